package snssign

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testSigner is shared across tests: RSA key generation is slow under -race.
var (
	sharedOnce   sync.Once
	sharedDir    string
	sharedSigner *Signer
	sharedErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		_ = os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func testSigner(t *testing.T) *Signer {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "snssign-shared-*")
		if sharedErr != nil {
			return
		}
		sharedSigner, sharedErr = LoadOrCreate(filepath.Join(sharedDir, "keys"))
	})
	if sharedErr != nil {
		t.Fatalf("LoadOrCreate: %v", sharedErr)
	}
	return sharedSigner
}

func sampleMessages() map[string]Message {
	return map[string]Message{
		"notification": {
			Type:      TypeNotification,
			MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
			TopicArn:  "arn:aws:sns:us-west-2:123456789012:MyTopic",
			Subject:   "My First Message",
			Message:   "Hello world!",
			Timestamp: "2012-05-02T00:54:06.655Z",
		},
		"notification-no-subject": {
			Type:      TypeNotification,
			MessageId: "da41e39f-ea4d-435a-b922-c6aae3915ebe",
			TopicArn:  "arn:aws:sns:us-west-2:123456789012:MyTopic",
			Message:   "{\"k\":\"v\"}\nsecond line",
			Timestamp: "2012-04-25T21:49:25.719Z",
		},
		"subscription": {
			Type:         TypeSubscriptionConfirmation,
			MessageId:    "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
			Token:        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
			TopicArn:     "arn:aws:sns:us-west-2:123456789012:MyTopic",
			Message:      "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
			SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
			Timestamp:    "2012-04-26T20:45:04.751Z",
		},
		"unsubscribe": {
			Type:         TypeUnsubscribeConfirmation,
			MessageId:    "47138184-6831-46b8-8f7c-afc488602d7d",
			Token:        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7948a98bac386edfe3e10314e873973b3e0a3c09119b722dedf2b5e31c59b13edbb26417c19f109351e6f2169efa9085ffe97e10535f4179ac1a03590b0f541f209c190f9ae23219ed6c470453e06c19b5ba9fcbb27daeb7c7",
			TopicArn:     "arn:aws:sns:us-west-2:123456789012:MyTopic",
			Message:      "You have chosen to deactivate subscription arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
			SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb",
			Timestamp:    "2012-04-26T20:06:41.581Z",
		},
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s := testSigner(t)
	for name, m := range sampleMessages() {
		for _, v := range []string{SignatureVersion1, SignatureVersion2} {
			t.Run(name+"/v"+v, func(t *testing.T) {
				sig, err := s.Sign(m, v)
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				if err := Verify(s.CertPEM(), m, v, sig); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				// The other version's hash must not verify.
				other := SignatureVersion2
				if v == SignatureVersion2 {
					other = SignatureVersion1
				}
				if err := Verify(s.CertPEM(), m, other, sig); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify with version %s = %v, want ErrBadSignature", other, err)
				}
			})
		}
	}
}

func TestSignErrors(t *testing.T) {
	s := testSigner(t)
	m := sampleMessages()["notification"]
	for _, v := range []string{"", "0", "3", "SHA256", " 1"} {
		if _, err := s.Sign(m, v); !errors.Is(err, ErrUnsupportedVersion) {
			t.Errorf("Sign(version %q) err = %v, want ErrUnsupportedVersion", v, err)
		}
		if err := Verify(s.CertPEM(), m, v, "AAAA"); !errors.Is(err, ErrUnsupportedVersion) {
			t.Errorf("Verify(version %q) err = %v, want ErrUnsupportedVersion", v, err)
		}
	}
	bad := m
	bad.Type = "Bogus"
	if _, err := s.Sign(bad, "1"); !errors.Is(err, ErrUnknownType) {
		t.Errorf("Sign(unknown type) err = %v, want ErrUnknownType", err)
	}
	if err := Verify(s.CertPEM(), m, "2", "not base64!!"); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(bad base64) err = %v, want ErrBadSignature", err)
	}
	if err := Verify([]byte("garbage"), m, "2", "AAAA"); err == nil {
		t.Error("Verify(garbage cert) succeeded")
	}
}

func TestStringToSignNotificationLiteral(t *testing.T) {
	m := Message{
		Type:      "Notification",
		MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:  "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:   "My First Message",
		Message:   "Hello world!",
		Timestamp: "2012-05-02T00:54:06.655Z",
		// Ignored for notifications:
		Token:        "tok",
		SubscribeURL: "https://example.invalid/",
	}
	want := "Message\nHello world!\n" +
		"MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
		"Subject\nMy First Message\n" +
		"Timestamp\n2012-05-02T00:54:06.655Z\n" +
		"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n" +
		"Type\nNotification\n"
	got, err := StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("StringToSign =\n%q\nwant\n%q", got, want)
	}

	m.Subject = ""
	wantNoSubject := "Message\nHello world!\n" +
		"MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
		"Timestamp\n2012-05-02T00:54:06.655Z\n" +
		"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n" +
		"Type\nNotification\n"
	got, err = StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantNoSubject {
		t.Fatalf("StringToSign without subject =\n%q\nwant\n%q", got, wantNoSubject)
	}
}

func TestStringToSignSubscriptionLiteral(t *testing.T) {
	m := Message{
		Type:         "SubscriptionConfirmation",
		MessageId:    "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:        "2336412f37fb",
		TopicArn:     "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:      "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb",
		Timestamp:    "2012-04-26T20:45:04.751Z",
		Subject:      "ignored for confirmations",
	}
	want := "Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.\n" +
		"MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n" +
		"SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb\n" +
		"Timestamp\n2012-04-26T20:45:04.751Z\n" +
		"Token\n2336412f37fb\n" +
		"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n" +
		"Type\nSubscriptionConfirmation\n"
	got, err := StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("StringToSign =\n%q\nwant\n%q", got, want)
	}

	// UnsubscribeConfirmation uses the same field list.
	m.Type = "UnsubscribeConfirmation"
	got, err = StringToSign(m)
	if err != nil {
		t.Fatal(err)
	}
	wantUnsub := strings.TrimSuffix(want, "Type\nSubscriptionConfirmation\n") + "Type\nUnsubscribeConfirmation\n"
	if got != wantUnsub {
		t.Fatalf("StringToSign(unsubscribe) =\n%q\nwant\n%q", got, wantUnsub)
	}
}

func TestStringToSignUnknownType(t *testing.T) {
	for _, typ := range []string{"", "notification", "Notification ", "SubscriptionConfirmation\n"} {
		if _, err := StringToSign(Message{Type: typ}); !errors.Is(err, ErrUnknownType) {
			t.Errorf("StringToSign(Type %q) err = %v, want ErrUnknownType", typ, err)
		}
	}
}

func TestSubjectChangesSignature(t *testing.T) {
	s := testSigner(t)
	with := sampleMessages()["notification"]
	without := with
	without.Subject = ""

	a, _ := StringToSign(with)
	b, _ := StringToSign(without)
	if a == b {
		t.Fatal("Subject did not change the string to sign")
	}
	if !strings.Contains(a, "Subject\n") || strings.Contains(b, "Subject\n") {
		t.Fatalf("Subject presence wrong:\nwith=%q\nwithout=%q", a, b)
	}

	sig, err := s.Sign(with, "2")
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.CertPEM(), without, "2", sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signature with Subject verified without it: %v", err)
	}
}

func TestTamperingFails(t *testing.T) {
	s := testSigner(t)
	type field struct {
		name string
		set  func(*Message)
	}
	notifFields := []field{
		{"Message", func(m *Message) { m.Message += "x" }},
		{"MessageId", func(m *Message) { m.MessageId += "x" }},
		{"Subject", func(m *Message) { m.Subject += "x" }},
		{"Timestamp", func(m *Message) { m.Timestamp = "2012-05-02T00:54:06.656Z" }},
		{"TopicArn", func(m *Message) { m.TopicArn += "x" }},
		{"Type", func(m *Message) { m.Type = TypeSubscriptionConfirmation }},
	}
	confFields := []field{
		{"Message", func(m *Message) { m.Message += "x" }},
		{"MessageId", func(m *Message) { m.MessageId += "x" }},
		{"SubscribeURL", func(m *Message) { m.SubscribeURL += "x" }},
		{"Timestamp", func(m *Message) { m.Timestamp += "x" }},
		{"Token", func(m *Message) { m.Token += "x" }},
		{"TopicArn", func(m *Message) { m.TopicArn += "x" }},
		{"Type", func(m *Message) {
			if m.Type == TypeSubscriptionConfirmation {
				m.Type = TypeUnsubscribeConfirmation
			} else {
				m.Type = TypeSubscriptionConfirmation
			}
		}},
	}
	cases := map[string][]field{
		"notification": notifFields,
		"subscription": confFields,
		"unsubscribe":  confFields,
	}
	msgs := sampleMessages()
	for name, fields := range cases {
		for _, v := range []string{"1", "2"} {
			sig, err := s.Sign(msgs[name], v)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fields {
				m := msgs[name]
				f.set(&m)
				if err := Verify(s.CertPEM(), m, v, sig); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s v%s: tampered %s: Verify = %v, want ErrBadSignature", name, v, f.name, err)
				}
			}
			// Tampering with the signature bytes fails as well.
			raw, _ := base64.StdEncoding.DecodeString(sig)
			raw[len(raw)/2] ^= 0x01
			if err := Verify(s.CertPEM(), msgs[name], v, base64.StdEncoding.EncodeToString(raw)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s v%s: flipped signature bit verified: %v", name, v, err)
			}
		}
	}
}

// TestStandardVerifier checks signatures with nothing but crypto/x509 and
// crypto/rsa, the way any SNS receiver would, without using Verify or
// StringToSign.
func TestStandardVerifier(t *testing.T) {
	s := testSigner(t)
	block, _ := pem.Decode(s.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CertPEM is not a CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	if pub.N.BitLen() != 2048 {
		t.Errorf("key size = %d, want 2048", pub.N.BitLen())
	}

	m := sampleMessages()["notification"]
	canonical := "Message\n" + m.Message + "\n" +
		"MessageId\n" + m.MessageId + "\n" +
		"Subject\n" + m.Subject + "\n" +
		"Timestamp\n" + m.Timestamp + "\n" +
		"TopicArn\n" + m.TopicArn + "\n" +
		"Type\n" + m.Type + "\n"

	sig1, err := s.Sign(m, "1")
	if err != nil {
		t.Fatal(err)
	}
	raw1, err := base64.StdEncoding.DecodeString(sig1)
	if err != nil {
		t.Fatal(err)
	}
	h1 := sha1.Sum([]byte(canonical))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, h1[:], raw1); err != nil {
		t.Errorf("SHA1withRSA: %v", err)
	}

	sig2, err := s.Sign(m, "2")
	if err != nil {
		t.Fatal(err)
	}
	raw2, err := base64.StdEncoding.DecodeString(sig2)
	if err != nil {
		t.Fatal(err)
	}
	h2 := sha256.Sum256([]byte(canonical))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h2[:], raw2); err != nil {
		t.Errorf("SHA256withRSA: %v", err)
	}
	// Same check through x509's generic API.
	if err := cert.CheckSignature(x509.SHA256WithRSA, []byte(canonical), raw2); err != nil {
		t.Errorf("x509 CheckSignature SHA256WithRSA: %v", err)
	}
	if len(raw2) != 256 {
		t.Errorf("signature length = %d, want 256", len(raw2))
	}
}

func TestLoadOrCreatePersistence(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "sns")
	s1, err := LoadOrCreate(dir, "abanico.example", "10.0.0.5", "host.example:9911", "", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("dir mode = %o, want no group/other bits", perm)
	}
	for _, name := range []string{KeyFile, CertFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %o, want 600", name, perm)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir has %d entries, want only key and cert (no temp files left)", len(entries))
	}

	cert := s1.Certificate()
	if cert.Subject.CommonName != CommonName {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if got := strings.Join(cert.DNSNames, ","); got != "localhost,abanico.example,host.example" {
		t.Errorf("DNSNames = %q", got)
	}
	if len(cert.IPAddresses) != 3 || cert.IPAddresses[2].String() != "10.0.0.5" {
		t.Errorf("IPAddresses = %v", cert.IPAddresses)
	}
	years := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24 / 365
	if years < 9.99 || years > 10.01 {
		t.Errorf("validity = %.2f years, want 10", years)
	}
	if len(s1.CertID()) != 32 || strings.Trim(s1.CertID(), "0123456789abcdef") != "" {
		t.Errorf("CertID = %q, want 32 lowercase hex digits", s1.CertID())
	}
	if s1.CertFileName() != "SimpleNotificationService-"+s1.CertID()+".pem" {
		t.Errorf("CertFileName = %q", s1.CertFileName())
	}

	m := sampleMessages()["subscription"]
	sig, err := s1.Sign(m, "2")
	if err != nil {
		t.Fatal(err)
	}

	// Different hosts on reload do not matter: the stored cert is reused.
	s2, err := LoadOrCreate(dir, "other.example")
	if err != nil {
		t.Fatal(err)
	}
	if string(s1.CertPEM()) != string(s2.CertPEM()) {
		t.Fatal("second LoadOrCreate returned a different certificate")
	}
	if s1.CertID() != s2.CertID() {
		t.Fatal("CertID changed across loads")
	}
	if err := Verify(s2.CertPEM(), m, "2", sig); err != nil {
		t.Fatalf("old signature no longer verifies after reload: %v", err)
	}
	sig2, err := s2.Sign(m, "2")
	if err != nil {
		t.Fatal(err)
	}
	if sig2 != sig { // PKCS#1 v1.5 is deterministic: same key => same signature
		t.Fatal("reloaded key produced a different signature")
	}
}

func TestLoadOrCreateCorruptFiles(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "sns")
	s, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	certPath := filepath.Join(dir, CertFile)
	goodKey, _ := os.ReadFile(keyPath)
	goodCert := s.CertPEM()

	t.Run("corrupt key", func(t *testing.T) {
		if err := os.WriteFile(keyPath, []byte("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreate(dir)
		if err == nil || !strings.Contains(err.Error(), "corrupt key") || !strings.Contains(err.Error(), KeyFile) {
			t.Fatalf("err = %v, want corrupt key error naming %s", err, KeyFile)
		}
		// Nothing was regenerated behind our back.
		if got, _ := os.ReadFile(certPath); string(got) != string(goodCert) {
			t.Fatal("certificate was rewritten")
		}
	})

	t.Run("garbage key", func(t *testing.T) {
		if err := os.WriteFile(keyPath, []byte("hello"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "corrupt key") {
			t.Fatalf("err = %v, want corrupt key error", err)
		}
	})

	t.Run("corrupt cert", func(t *testing.T) {
		if err := os.WriteFile(keyPath, goodKey, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(certPath, []byte("nope"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "corrupt certificate") {
			t.Fatalf("err = %v, want corrupt certificate error", err)
		}
		if got, _ := os.ReadFile(keyPath); string(got) != string(goodKey) {
			t.Fatal("key was rewritten")
		}
	})

	t.Run("mismatched cert", func(t *testing.T) {
		other := testSigner(t)
		if err := os.WriteFile(certPath, other.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("err = %v, want mismatch error", err)
		}
	})

	t.Run("key missing", func(t *testing.T) {
		if err := os.WriteFile(certPath, goodCert, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(keyPath); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("err = %v, want missing key error", err)
		}
		if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
			t.Fatal("a key was generated for an existing certificate")
		}
	})

	t.Run("cert missing is repaired with the same key", func(t *testing.T) {
		if err := os.WriteFile(keyPath, goodKey, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(certPath); err != nil {
			t.Fatal(err)
		}
		s2, err := LoadOrCreate(dir)
		if err != nil {
			t.Fatal(err)
		}
		m := sampleMessages()["notification"]
		sig, err := s.Sign(m, "1")
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(s2.CertPEM(), m, "1", sig); err != nil {
			t.Fatalf("signature from original key does not verify with repaired cert: %v", err)
		}
	})
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sns")
	const n = 4
	var wg sync.WaitGroup
	signers := make([]*Signer, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { signers[i], errs[i] = LoadOrCreate(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate #%d: %v", i, errs[i])
		}
		if signers[i].CertID() != signers[0].CertID() {
			t.Fatalf("concurrent LoadOrCreate returned different certificates")
		}
	}
}

func TestLoadOrCreateEmptyDir(t *testing.T) {
	if _, err := LoadOrCreate(""); err == nil {
		t.Fatal("LoadOrCreate(\"\") succeeded")
	}
}

func TestCertPEMIsCopy(t *testing.T) {
	s := testSigner(t)
	p := s.CertPEM()
	p[0] = 'X'
	if s.CertPEM()[0] == 'X' {
		t.Fatal("CertPEM exposes internal buffer")
	}
}

func FuzzStringToSign(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.Type, m.MessageId, m.Token, m.TopicArn, m.Subject, m.Message, m.Timestamp, m.SubscribeURL)
	}
	f.Add("Bogus", "", "", "", "", "", "", "")
	f.Add("", "\n", "\x00", "Type\n", "Subject", "\xff\xfe", "", "")
	f.Fuzz(func(t *testing.T, typ, id, token, arn, subject, msg, ts, url string) {
		m := Message{Type: typ, MessageId: id, Token: token, TopicArn: arn, Subject: subject, Message: msg, Timestamp: ts, SubscribeURL: url}
		s, err := StringToSign(m)
		switch typ {
		case TypeNotification, TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		default:
			if err == nil || s != "" {
				t.Fatalf("type %q: got (%q, %v), want error", typ, s, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("type %q: %v", typ, err)
		}
		if !strings.HasSuffix(s, "Type\n"+typ+"\n") {
			t.Fatalf("missing Type trailer: %q", s)
		}
		if !strings.HasPrefix(s, "Message\n"+msg+"\nMessageId\n"+id+"\n") {
			t.Fatalf("missing Message/MessageId prefix: %q", s)
		}
		if typ == TypeNotification {
			if subject != "" && !strings.Contains(s, "\nSubject\n"+subject+"\nTimestamp\n") {
				t.Fatalf("subject %q not included: %q", subject, s)
			}
			if subject == "" && strings.HasPrefix(s[len("Message\n"+msg+"\nMessageId\n"+id+"\n"):], "Subject\n") {
				t.Fatalf("empty subject included: %q", s)
			}
		} else if !strings.Contains(s, "\nToken\n"+token+"\nTopicArn\n"+arn+"\nType\n") {
			t.Fatalf("missing Token/TopicArn: %q", s)
		}
	})
}
