package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testKey returns the 32 bytes 0x01..0x20.
func testKey() []byte {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	return key
}

func TestKnownAnswer(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString(testKey())
	if secret != "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=" {
		t.Fatalf("test secret = %q", secret)
	}
	key, err := ParseSecret(secret)
	if err != nil {
		t.Fatalf("ParseSecret: %v", err)
	}
	if !bytes.Equal(key, testKey()) {
		t.Fatalf("ParseSecret = %x, want %x", key, testKey())
	}
	body := []byte(`{"a":1}`)
	ts := time.Unix(1700000000, 0)

	m := hmac.New(sha256.New, testKey())
	m.Write([]byte(`msg_1.1700000000.{"a":1}`))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if want != "v1,OHBQOJh/RyAk1F4HTHuOYvxokKC7QzRGd6FI/ALOlYI=" {
		t.Fatalf("independent HMAC = %q", want)
	}
	if got := Sign(key, "msg_1", ts, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}

	h := http.Header{}
	SetHeaders(h, key, "msg_1", ts, body)
	if h.Get("webhook-id") != "msg_1" || h.Get("webhook-timestamp") != "1700000000" || h.Get("webhook-signature") != want {
		t.Errorf("SetHeaders = %v", h)
	}
}

// TestSpecVector checks the example published with the Standard Webhooks
// specification.
func TestSpecVector(t *testing.T) {
	key, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatalf("ParseSecret: %v", err)
	}
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	if got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", want)
	if err := Verify(key, h, body, ts.Add(10*time.Second), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseSecret(secret)
	if err != nil {
		t.Fatalf("ParseSecret(NewSecret()) = %v", err)
	}
	if len(key) != NewSecretBytes {
		t.Fatalf("NewSecret key has %d bytes", len(key))
	}
	if other, _ := NewSecret(); other == secret {
		t.Fatal("NewSecret repeated a secret")
	}

	now := time.Unix(1700000000, 0)
	body := []byte(`{"Message":"hi"}`)
	signed := func() http.Header {
		h := http.Header{}
		SetHeaders(h, key, "msg_7", now, body)
		return h
	}

	if err := Verify(key, signed(), body, now, 0); err != nil {
		t.Errorf("round trip: %v", err)
	}
	if err := Verify(key, signed(), body, now.Add(4*time.Minute), 0); err != nil {
		t.Errorf("4 min late with default tolerance: %v", err)
	}
	if err := Verify(key, signed(), body, now.Add(-4*time.Minute), 0); err != nil {
		t.Errorf("4 min early with default tolerance: %v", err)
	}

	tampered := append([]byte(nil), body...)
	tampered[2] ^= 1
	if err := Verify(key, signed(), tampered, now, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("tampered body: %v, want ErrNoMatchingSignature", err)
	}
	h := signed()
	h.Set("webhook-id", "msg_8")
	if err := Verify(key, h, body, now, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("changed id: %v, want ErrNoMatchingSignature", err)
	}
	wrongKey := bytes.Repeat([]byte{7}, 32)
	if err := Verify(wrongKey, signed(), body, now, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("wrong key: %v, want ErrNoMatchingSignature", err)
	}
	if err := Verify(nil, signed(), body, now, 0); err == nil {
		t.Error("empty key verified")
	}

	if err := Verify(key, signed(), body, now.Add(6*time.Minute), 0); !errors.Is(err, ErrBadTimestamp) {
		t.Errorf("stale timestamp: %v, want ErrBadTimestamp", err)
	}
	if err := Verify(key, signed(), body, now.Add(-6*time.Minute), 0); !errors.Is(err, ErrBadTimestamp) {
		t.Errorf("future timestamp: %v, want ErrBadTimestamp", err)
	}
	if err := Verify(key, signed(), body, now.Add(2*time.Second), time.Second); !errors.Is(err, ErrBadTimestamp) {
		t.Errorf("custom tolerance: %v, want ErrBadTimestamp", err)
	}

	// A timestamp changed after signing fails the signature even when fresh.
	h = signed()
	h.Set("webhook-timestamp", "1700000001")
	if err := Verify(key, h, body, now, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("changed timestamp: %v, want ErrNoMatchingSignature", err)
	}
	for _, ts := range []string{"-1700000000", "+1700000000", "1700000000.0", "1e9", " 1700000000", "99999999999999999999"} {
		h = signed()
		h.Set("webhook-timestamp", ts)
		if err := Verify(key, h, body, now, 0); !errors.Is(err, ErrBadTimestamp) {
			t.Errorf("timestamp %q: %v, want ErrBadTimestamp", ts, err)
		}
	}

	for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		h = signed()
		h.Del(name)
		if err := Verify(key, h, body, now, 0); !errors.Is(err, ErrMissingHeader) {
			t.Errorf("without %s: %v, want ErrMissingHeader", name, err)
		}
	}
}

func TestVerifyMultipleSignatures(t *testing.T) {
	key := testKey()
	now := time.Unix(1700000000, 0)
	body := []byte("body")
	good := Sign(key, "msg_1", now, body)
	stale := Sign(bytes.Repeat([]byte{9}, 32), "msg_1", now, body)
	_, goodB64, _ := strings.Cut(good, ",")

	tests := []struct {
		header string
		ok     bool
	}{
		{stale + " " + good, true},
		{good + " " + stale, true},
		{"v1a,c29tZXRoaW5n " + good, true},
		{"garbage v1,!!! " + good, true},
		{stale + "  " + good + " ", true},
		{stale, false},
		{"v2," + goodB64, false},
		{"v1a," + goodB64, false},
		{goodB64, false},
		{strings.Replace(good, "v1,", "v1 ,", 1), false},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", "1700000000")
		h.Set("webhook-signature", tt.header)
		err := Verify(key, h, body, now, 0)
		if tt.ok != (err == nil) {
			t.Errorf("Verify(signature %q) = %v, want ok %v", tt.header, err, tt.ok)
		}
	}
}

func TestParseSecretErrors(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, n)) }
	tests := []struct {
		name, secret string
	}{
		{"empty", ""},
		{"no prefix", b64(32)},
		{"wrong prefix", "whsec-" + b64(32)},
		{"upper-case prefix", "WHSEC_" + b64(32)},
		{"bad base64", "whsec_not*base64!"},
		{"url alphabet", "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))},
		{"missing padding", "whsec_" + strings.TrimRight(b64(32), "=")},
		{"embedded newline", "whsec_" + b64(32)[:20] + "\n" + b64(32)[20:]},
		{"trailing space", "whsec_" + b64(32) + " "},
		{"non-canonical bits", "whsec_" + b64(32)[:len(b64(32))-2] + "B="},
		{"too short", "whsec_" + b64(23)},
		{"too long", "whsec_" + b64(65)},
		{"empty key", "whsec_"},
	}
	for _, tt := range tests {
		if key, err := ParseSecret(tt.secret); err == nil {
			t.Errorf("%s: ParseSecret(%q) = %x, want an error", tt.name, tt.secret, key)
		}
	}
	for _, n := range []int{MinSecretBytes, 32, MaxSecretBytes} {
		if key, err := ParseSecret("whsec_" + b64(n)); err != nil || len(key) != n {
			t.Errorf("ParseSecret of %d bytes = %d bytes, %v", n, len(key), err)
		}
	}
}
