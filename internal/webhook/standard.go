package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names and secret format.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"

	// SecretPrefix starts every textual secret.
	SecretPrefix = "whsec_"
	// MinSecretBytes and MaxSecretBytes bound the decoded key length.
	MinSecretBytes = 24
	MaxSecretBytes = 64
	// NewSecretBytes is the key length NewSecret generates.
	NewSecretBytes = 32

	// DefaultTolerance is the allowed clock difference used by Verify when
	// it is given a non-positive tolerance.
	DefaultTolerance = 5 * time.Minute

	signatureVersion = "v1"
)

// maxTimestamp bounds accepted webhook-timestamp values (in seconds, about
// 35,000 years either side of 1970) so time arithmetic cannot overflow.
const maxTimestamp = 1 << 40

// Errors returned (wrapped) by Verify.
var (
	// ErrMissingHeader: webhook-id, webhook-timestamp or webhook-signature
	// is absent or empty.
	ErrMissingHeader = errors.New("webhook: missing signature header")
	// ErrBadTimestamp: webhook-timestamp is not a decimal Unix time, or is
	// farther from now than the tolerance allows.
	ErrBadTimestamp = errors.New("webhook: timestamp invalid or outside tolerance")
	// ErrNoMatchingSignature: no v1 signature in webhook-signature matches.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
)

// NewSecret returns a fresh secret: SecretPrefix followed by the standard
// base64 encoding (with padding) of NewSecretBytes (32) bytes from
// crypto/rand. ParseSecret accepts every value it returns.
func NewSecret() (string, error) {
	key := make([]byte, NewSecretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook: generating secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret decodes a "whsec_..." secret into its key. The prefix is
// required, the rest must be canonical standard base64 with padding (no
// whitespace or line breaks), and the key must be MinSecretBytes..
// MaxSecretBytes (24..64) bytes long. On success, SecretPrefix plus the
// standard encoding of the key reproduces s exactly.
func ParseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook: secret does not start with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not valid base64: %w", err)
	}
	if base64.StdEncoding.EncodeToString(key) != enc {
		return nil, errors.New("webhook: secret is not canonical base64")
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("webhook: secret decodes to %d bytes, want %d..%d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature header value for one message:
// "v1," followed by the standard base64 of HMAC-SHA256(key,
// id + "." + unix seconds of ts + "." + body). It is deterministic.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

// mac computes the raw HMAC-SHA256 over the signed content, using the
// timestamp exactly as it appears (or will appear) in the header.
func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SetHeaders sets webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature (Sign) on h, replacing any previous values.
func SetHeaders(h http.Header, key []byte, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(key, id, ts, body))
}

// Verify checks the headers of a received request as a Standard Webhooks
// receiver does. It succeeds only if webhook-id, webhook-timestamp and
// webhook-signature are present; the timestamp is a non-negative decimal Unix
// time within tolerance of now in both directions (tolerance <= 0 means
// DefaultTolerance); and at least one of the space-separated "v1,<base64>"
// entries of webhook-signature equals the HMAC of id, timestamp (as sent) and
// body, compared in constant time. Entries of other versions are ignored. An
// empty key never verifies. Errors wrap ErrMissingHeader, ErrBadTimestamp or
// ErrNoMatchingSignature.
func Verify(key []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrNoMatchingSignature)
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, hv := range [...]struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs}} {
		if hv.value == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, hv.name)
		}
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if strings.Trim(tsText, "0123456789") != "" {
		return fmt.Errorf("%w: %q is not a decimal Unix time", ErrBadTimestamp, tsText)
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || secs > maxTimestamp {
		return fmt.Errorf("%w: %q is out of range", ErrBadTimestamp, tsText)
	}
	if skew := now.Sub(time.Unix(secs, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s is %v away from now, tolerance %v", ErrBadTimestamp, tsText, skew, tolerance)
	}
	want := mac(key, id, tsText, body)
	for _, entry := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != signatureVersion {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w for message %q", ErrNoMatchingSignature, id)
}
