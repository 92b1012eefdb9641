package snssign

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// File names inside the directory given to LoadOrCreate.
const (
	KeyFile  = "key.pem"
	CertFile = "cert.pem"
)

// CommonName is the subject CN of generated certificates.
const CommonName = "sns.abanico.local"

const (
	keyBits      = 2048
	certValidity = 10 * 365 * 24 * time.Hour
)

// Signer holds an RSA key pair and the self-signed X.509 certificate that
// carries its public key. It is safe for concurrent use.
type Signer struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
	certID  string
}

// createMu serialises LoadOrCreate within the process so that two callers
// pointed at the same empty directory cannot write mismatched key and
// certificate files. (Concurrent first-time creation from several processes
// on one directory is not coordinated; a resulting mismatch is detected and
// reported on the next load.)
var createMu sync.Mutex

// LoadOrCreate returns the Signer stored in dir, creating it on first use.
//
// If dir holds key.pem and cert.pem they are loaded and checked to belong
// together. If neither exists, dir is created (mode 0700) and a fresh
// RSA-2048 key plus a self-signed certificate valid for 10 years (CN
// "sns.abanico.local", DNS SANs "localhost" and hosts, IP SANs for loopback
// and any IP literals in hosts) are written atomically with mode 0600.
// hosts only matter when a certificate is generated.
//
// Existing material is never silently replaced: a corrupt or mismatched
// file, or a certificate without its key, is an error, because regenerating
// would invalidate every signature handed out so far. The one repair made is
// when key.pem exists but cert.pem does not (a crash between the two
// writes): a certificate is issued for the existing key.
func LoadOrCreate(dir string, hosts ...string) (*Signer, error) {
	if dir == "" {
		return nil, errors.New("snssign: empty directory")
	}
	createMu.Lock()
	defer createMu.Unlock()

	keyPath := filepath.Join(dir, KeyFile)
	certPath := filepath.Join(dir, CertFile)

	keyPEM, keyErr := readOptional(keyPath)
	if keyErr != nil {
		return nil, keyErr
	}
	certPEM, certErr := readOptional(certPath)
	if certErr != nil {
		return nil, certErr
	}

	switch {
	case keyPEM != nil && certPEM != nil:
		key, err := parseKey(keyPEM)
		if err != nil {
			return nil, fmt.Errorf("snssign: %s: %w (refusing to regenerate; remove the directory to start over, which invalidates earlier signatures)", keyPath, err)
		}
		cert, err := parseCert(certPEM)
		if err != nil {
			return nil, fmt.Errorf("snssign: %s: %w (refusing to regenerate; remove the directory to start over, which invalidates earlier signatures)", certPath, err)
		}
		return newSigner(key, cert, certPEM, keyPath, certPath)

	case keyPEM == nil && certPEM != nil:
		return nil, fmt.Errorf("snssign: %s exists but %s is missing; refusing to generate a new key for an existing certificate", certPath, keyPath)

	case keyPEM != nil: // key present, certificate missing
		key, err := parseKey(keyPEM)
		if err != nil {
			return nil, fmt.Errorf("snssign: %s: %w (refusing to regenerate)", keyPath, err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("snssign: %w", err)
		}
		return issueAndStore(dir, key, hosts, keyPath, certPath)

	default: // nothing yet
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("snssign: create %s: %w", dir, err)
		}
		key, err := rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			return nil, fmt.Errorf("snssign: generate key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("snssign: marshal key: %w", err)
		}
		// The key goes first: a crash before the certificate is written
		// leaves a state LoadOrCreate can complete without a new key.
		if err := writeFileAtomic(dir, KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, err
		}
		return issueAndStore(dir, key, hosts, keyPath, certPath)
	}
}

// issueAndStore creates a self-signed certificate for key and writes it.
func issueAndStore(dir string, key *rsa.PrivateKey, hosts []string, keyPath, certPath string) (*Signer, error) {
	der, err := selfSign(key, hosts, time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("snssign: parse generated certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFileAtomic(dir, CertFile, certPEM); err != nil {
		return nil, err
	}
	return newSigner(key, cert, certPEM, keyPath, certPath)
}

func newSigner(key *rsa.PrivateKey, cert *x509.Certificate, certPEM []byte, keyPath, certPath string) (*Signer, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("snssign: %s: certificate key is %T, want RSA", certPath, cert.PublicKey)
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("snssign: %s does not match %s (refusing to regenerate)", certPath, keyPath)
	}
	sum := sha256.Sum256(cert.Raw)
	return &Signer{
		key:     key,
		cert:    cert,
		certPEM: certPEM,
		certID:  hex.EncodeToString(sum[:16]),
	}, nil
}

// selfSign builds a self-signed certificate for key.
func selfSign(key *rsa.PrivateKey, hosts []string, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("snssign: serial number: %w", err)
	}
	dns, ips := sanitizeHosts(hosts)
	notBefore := now.Add(-time.Hour).UTC().Truncate(time.Second) // tolerate clock skew
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)), // never zero
		Subject: pkix.Name{
			CommonName:   CommonName,
			Organization: []string{"Abanico"},
		},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("snssign: create certificate: %w", err)
	}
	return der, nil
}

// sanitizeHosts splits hosts into DNS names and IP addresses, always
// including localhost and the loopback addresses, dropping blanks, ports and
// duplicates.
func sanitizeHosts(hosts []string) ([]string, []net.IP) {
	dns := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	seenDNS := map[string]bool{"localhost": true}
	seenIP := map[string]bool{"127.0.0.1": true, "::1": true}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if k := ip.String(); !seenIP[k] {
				seenIP[k] = true
				ips = append(ips, ip)
			}
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if h != "" && !seenDNS[h] {
			seenDNS[h] = true
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// readOptional reads path, returning (nil, nil) if it does not exist.
func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snssign: %w", err)
	}
	return b, nil
}

// parseKey decodes an RSA private key from PEM (PKCS#8 "PRIVATE KEY" or
// PKCS#1 "RSA PRIVATE KEY").
func parseKey(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("corrupt key file: no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("corrupt key file: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, want RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("corrupt key file: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("corrupt key file: unexpected PEM block %q", block.Type)
	}
}

// parseCert decodes the first CERTIFICATE block and returns the certificate.
func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("corrupt certificate file: no CERTIFICATE PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("corrupt certificate file: %w", err)
	}
	return c, nil
}

// writeFileAtomic writes data to dir/name with mode 0600 via a temporary
// file, fsync, rename and a directory fsync.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("snssign: write %s: %w", name, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("snssign: write %s: %w", filepath.Join(dir, name), err)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// CertPEM returns the PEM-encoded certificate, suitable for serving at the
// SigningCertURL. The returned slice is a copy.
func (s *Signer) CertPEM() []byte {
	return append([]byte(nil), s.certPEM...)
}

// Certificate returns the parsed signing certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// CertID is a stable identifier of the certificate: the first 32 hex digits
// of the SHA-256 of its DER encoding. It plays the role of the hash in AWS's
// SimpleNotificationService-<id>.pem certificate URLs.
func (s *Signer) CertID() string { return s.certID }

// CertFileName is the AWS-style certificate file name,
// "SimpleNotificationService-<CertID>.pem", for use in SigningCertURL paths.
func (s *Signer) CertFileName() string {
	return "SimpleNotificationService-" + s.certID + ".pem"
}
