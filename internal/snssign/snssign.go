// Package snssign signs Amazon SNS style message envelopes the way AWS does,
// so that ordinary SNS signature verifiers (the AWS SDK helpers, the PHP/Node
// "sns-validator" style libraries, or a few lines of openssl) accept messages
// produced by Abanico when they are given Abanico's certificate.
//
// The scheme, as documented by AWS ("Verifying the signatures of Amazon SNS
// messages"):
//
//   - A canonical string is built from selected envelope fields as
//     "Name\nValue\n" pairs in a fixed order that depends on the message Type
//     (see StringToSign).
//   - SignatureVersion "1" signs that string with RSASSA-PKCS1-v1_5 over SHA-1
//     (SHA1withRSA); SignatureVersion "2" uses SHA-256 (SHA256withRSA).
//   - The signature is sent base64 encoded in the "Signature" field and the
//     receiver fetches the X.509 certificate named by "SigningCertURL"
//     (on AWS: https://sns.<region>.amazonaws.com/SimpleNotificationService-<id>.pem).
//
// The Signer keeps one RSA key and a self-signed certificate on disk so that
// signatures stay verifiable across restarts.
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
	"fmt"
	"hash"
	"strings"
)

// Message types that carry an SNS signature.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Signature versions understood by Sign and Verify.
const (
	SignatureVersion1 = "1" // SHA1withRSA
	SignatureVersion2 = "2" // SHA256withRSA
)

// Message holds the JSON envelope fields that take part in the signature.
// Fields that are irrelevant for a given Type are ignored by StringToSign.
type Message struct {
	Type         string
	MessageId    string // spelled as in the SNS JSON envelope
	Token        string
	TopicArn     string
	Subject      string
	Message      string
	Timestamp    string
	SubscribeURL string
}

// ErrUnknownType is returned (wrapped) for a Type that SNS does not sign.
var ErrUnknownType = errors.New("snssign: unknown message type")

// ErrUnsupportedVersion is returned (wrapped) for a SignatureVersion other
// than "1" or "2".
var ErrUnsupportedVersion = errors.New("snssign: unsupported signature version")

// ErrBadSignature is returned (wrapped) by Verify when the signature does not
// match the message.
var ErrBadSignature = errors.New("snssign: signature verification failed")

// StringToSign builds the canonical string AWS signs. Each included field
// contributes "Name\nValue\n", in this order:
//
//	Notification:                 Message, MessageId, Subject (only when
//	                              non-empty), Timestamp, TopicArn, Type
//	SubscriptionConfirmation and
//	UnsubscribeConfirmation:      Message, MessageId, SubscribeURL, Timestamp,
//	                              Token, TopicArn, Type
//
// Values are used verbatim (no escaping), exactly as a receiver sees them
// after JSON decoding. An empty Subject means "no Subject key in the
// envelope", matching SNS, which never sends an empty Subject.
func StringToSign(m Message) (string, error) {
	type pair struct{ k, v string }
	var fields []pair
	switch m.Type {
	case TypeNotification:
		fields = append(fields, pair{"Message", m.Message}, pair{"MessageId", m.MessageId})
		if m.Subject != "" {
			fields = append(fields, pair{"Subject", m.Subject})
		}
		fields = append(fields,
			pair{"Timestamp", m.Timestamp},
			pair{"TopicArn", m.TopicArn},
			pair{"Type", m.Type})
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		fields = append(fields,
			pair{"Message", m.Message},
			pair{"MessageId", m.MessageId},
			pair{"SubscribeURL", m.SubscribeURL},
			pair{"Timestamp", m.Timestamp},
			pair{"Token", m.Token},
			pair{"TopicArn", m.TopicArn},
			pair{"Type", m.Type})
	default:
		return "", fmt.Errorf("%w %q", ErrUnknownType, m.Type)
	}
	n := 0
	for _, f := range fields {
		n += len(f.k) + len(f.v) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(f.k)
		b.WriteByte('\n')
		b.WriteString(f.v)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// hashFor maps a SignatureVersion to its digest.
func hashFor(version string) (crypto.Hash, hash.Hash, error) {
	switch version {
	case SignatureVersion1:
		return crypto.SHA1, sha1.New(), nil
	case SignatureVersion2:
		return crypto.SHA256, sha256.New(), nil
	default:
		return 0, nil, fmt.Errorf("%w %q (want %q or %q)",
			ErrUnsupportedVersion, version, SignatureVersion1, SignatureVersion2)
	}
}

// digest returns the hash identifier and digest of m's string to sign.
func digest(m Message, version string) (crypto.Hash, []byte, error) {
	h, hh, err := hashFor(version)
	if err != nil {
		return 0, nil, err
	}
	s, err := StringToSign(m)
	if err != nil {
		return 0, nil, err
	}
	hh.Write([]byte(s))
	return h, hh.Sum(nil), nil
}

// Sign signs m with SignatureVersion version ("1": SHA1withRSA, "2":
// SHA256withRSA, both RSASSA-PKCS1-v1_5) and returns the base64 (standard
// alphabet, padded) signature for the envelope's "Signature" field.
func (s *Signer) Sign(m Message, version string) (string, error) {
	h, sum, err := digest(m, version)
	if err != nil {
		return "", err
	}
	sig, err := rsa.SignPKCS1v15(nil, s.key, h, sum)
	if err != nil {
		return "", fmt.Errorf("snssign: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks signatureB64 over m the way an SNS receiver does: it takes
// the RSA public key from the first CERTIFICATE block of certPEM, rebuilds
// the string to sign and verifies a PKCS#1 v1.5 signature with SHA-1
// (version "1") or SHA-256 (version "2"). It does not check the certificate's
// validity period or chain; callers decide which certificate to trust.
func Verify(certPEM []byte, m Message, version, signatureB64 string) error {
	pub, err := publicKeyFromPEM(certPEM)
	if err != nil {
		return err
	}
	h, sum, err := digest(m, version)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(signatureB64)
	if err != nil {
		return fmt.Errorf("%w: signature is not valid base64: %v", ErrBadSignature, err)
	}
	if err := rsa.VerifyPKCS1v15(pub, h, sum, sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// publicKeyFromPEM extracts the RSA public key of the first certificate in
// certPEM.
func publicKeyFromPEM(certPEM []byte) (*rsa.PublicKey, error) {
	rest := certPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("snssign: no CERTIFICATE PEM block found")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("snssign: parse certificate: %w", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("snssign: certificate key is %T, want RSA", cert.PublicKey)
		}
		return pub, nil
	}
}
