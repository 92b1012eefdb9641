package webhook

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func FuzzCheckURL(f *testing.F) {
	for _, seed := range []string{
		"https://example.com/hook",
		"http://example.com:8080/a?b=c#d",
		"http://127.0.0.1/",
		"http://[::ffff:169.254.169.254]/",
		"http://[fe80::1%25eth0]:80/",
		"http://localhost./",
		"http://user:pw@example.com/",
		"http:example.com",
		"ftp://example.com/",
		"http://127.1/",
		"http://0x7f.1/",
		"//example.com/",
		"https://:443",
		"",
	} {
		f.Add(seed, "http", false)
		f.Add(seed, "https", true)
		f.Add(seed, "", false)
	}
	f.Fuzz(func(t *testing.T, raw, want string, allowPrivate bool) {
		err := CheckURL(raw, want, allowPrivate)
		if err != nil {
			if errors.Is(err, ErrRefused) && allowPrivate {
				t.Fatalf("CheckURL(%q, %q, true) refused an address: %v", raw, want, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("CheckURL accepted %q, which does not parse: %v", raw, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("CheckURL accepted %q with scheme %q", raw, u.Scheme)
		}
		if want != "" && u.Scheme != want && !strings.EqualFold(u.Scheme, want) {
			t.Fatalf("CheckURL accepted %q for protocol %q", raw, want)
		}
		if u.Hostname() == "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("CheckURL accepted %q: host %q, user %v, opaque %q", raw, u.Hostname(), u.User, u.Opaque)
		}
		if !allowPrivate {
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && RefusedIP(ip) {
				t.Fatalf("CheckURL accepted refused address %q", raw)
			}
			if isLocalhostName(u.Hostname()) {
				t.Fatalf("CheckURL accepted localhost name %q", raw)
			}
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	for _, seed := range []string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
		"whsec_",
		"whsec_====",
		"whsec_AQID\nBAUG",
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseSecret(s)
		if err != nil {
			if key != nil {
				t.Fatalf("ParseSecret(%q) returned a key with error %v", s, err)
			}
			return
		}
		if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
			t.Fatalf("ParseSecret(%q) = %d bytes", s, len(key))
		}
		if again := SecretPrefix + base64.StdEncoding.EncodeToString(key); again != s {
			t.Fatalf("ParseSecret(%q) does not round-trip: %q", s, again)
		}
	})
}
