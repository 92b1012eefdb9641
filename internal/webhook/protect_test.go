package webhook

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestRefusedIP(t *testing.T) {
	tests := []struct {
		addr    string
		refused bool
	}{
		// IPv4 non-public ranges.
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"169.254.169.254", true},
		{"169.254.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.0.0.170", true},
		{"192.0.2.10", true},
		{"192.88.99.1", true},
		{"192.168.1.1", true},
		{"198.18.0.1", true},
		{"198.19.255.255", true},
		{"198.51.100.7", true},
		{"203.0.113.9", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		// IPv4 public neighbours of those ranges.
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"9.255.255.255", false},
		{"11.0.0.0", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
		{"172.15.255.255", false},
		{"172.32.0.0", false},
		{"169.253.255.255", false},
		{"192.169.0.0", false},
		{"198.20.0.0", false},
		{"223.255.255.255", false},
		// IPv6 non-public ranges.
		{"::", true},
		{"::1", true},
		{"::127.0.0.1", true},
		{"fc00::1", true},
		{"fd00:ec2::254", true},
		{"fd12:3456:789a::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"febf::1", true},
		{"fec0::1", true},
		{"ff02::1", true},
		{"ff0e::1", true},
		{"100::1", true},
		{"2001::1", true},
		{"2001:db8::1", true},
		{"3fff::1", true},
		{"5f00::1", true},
		{"64:ff9b:1::1", true},
		{"1234::1", true},
		{"4000::1", true},
		// IPv4-mapped and IPv4-embedding forms are judged by the IPv4 address.
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:10.1.2.3", true},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::a9fe:a9fe", true},
		{"64:ff9b::808:808", false},
		{"2002:7f00:1::1", true},
		{"2002:c0a8:101::1", true},
		{"2002:808:808::1", false},
		// IPv6 public.
		{"2606:4700::1", false},
		{"2606:4700:4700::1111", false},
		{"2a00:1450:4001:81b::200e", false},
		{"2001:4860:4860::8888", false},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.addr)
		if got := RefusedIP(ip); got != tt.refused {
			t.Errorf("RefusedIP(%s) = %v, want %v (reason %q)", tt.addr, got, tt.refused, refusedReason(ip))
		}
	}
	if !RefusedIP(netip.Addr{}) {
		t.Error("RefusedIP(zero Addr) = false, want true")
	}
}

func TestDialControl(t *testing.T) {
	control := dialControl(publicOnly)
	tests := []struct {
		network, address string
		refused          bool
	}{
		{"tcp4", "127.0.0.1:80", true},
		{"tcp6", "[::1]:443", true},
		{"tcp6", "[::ffff:127.0.0.1]:80", true},
		{"tcp6", "[fe80::1%eth0]:80", true},
		{"tcp4", "169.254.169.254:80", true},
		{"tcp6", "[fd00:ec2::254]:80", true},
		{"tcp4", "not-an-address:80", true},
		{"tcp4", "8.8.8.8:443", false},
		{"tcp6", "[2606:4700::1]:443", false},
	}
	for _, tt := range tests {
		err := control(tt.network, tt.address, nil)
		if tt.refused != (err != nil) {
			t.Errorf("control(%s, %s) = %v, want refused %v", tt.network, tt.address, err, tt.refused)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("control(%s, %s) = %v, does not wrap ErrRefused", tt.network, tt.address, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw, want    string
		allowPrivate bool
		ok           bool
		refused      bool // error wraps ErrRefused
	}{
		{"https://example.com/hook", "https", false, true, false},
		{"http://example.com:8080/hook?x=1", "http", false, true, false},
		{"HTTPS://Example.COM/hook", "HTTPS", false, true, false},
		{"https://example.com/hook", "", false, true, false},
		{"http://8.8.8.8/", "http", false, true, false},
		{"http://[2606:4700::1]:8080/", "http", false, true, false},

		{"ftp://example.com/", "http", false, false, false},
		{"ftp://example.com/", "", false, false, false},
		{"https://example.com/", "ftp", false, false, false},
		{"example.com/hook", "https", false, false, false},
		{"/hook", "https", false, false, false},
		{"", "https", false, false, false},
		{"https://", "https", false, false, false},
		{"https:///path", "https", false, false, false},
		{"https://:443/", "https", false, false, false},
		{"http:example.com", "http", false, false, false},
		{"https://user:pass@example.com/", "https", false, false, false},
		{"https://user@example.com/", "https", true, false, false},
		{"http://example.com/", "https", false, false, false},
		{"https://example.com/", "http", false, false, false},
		{"https://example.com:0/", "https", false, false, false},
		{"https://example.com:65536/", "https", false, false, false},
		{"https://example.com:65535/", "https", false, true, false},
		{"http://exa mple.com/", "http", false, false, false},
		{"http://127.1/", "http", true, false, false},
		{"http://2130706433/", "http", true, false, false},
		{"http://0x7f.0.0.1/", "http", true, false, false},

		{"http://127.0.0.1:8080/", "http", false, false, true},
		{"http://127.0.0.1:8080/", "http", true, true, false},
		{"http://10.0.0.5/", "http", false, false, true},
		{"http://169.254.169.254/latest/meta-data/", "http", false, false, true},
		{"http://169.254.169.254/latest/meta-data/", "http", true, true, false},
		{"http://[::1]/", "http", false, false, true},
		{"http://[::ffff:127.0.0.1]/", "http", false, false, true},
		{"http://[fd00:ec2::254]/", "http", false, false, true},
		{"http://[fe80::1%25eth0]/", "http", false, false, true},
		{"http://100.64.0.1/", "http", false, false, true},
		{"http://0.0.0.0/", "http", false, false, true},
		{"http://localhost/", "http", false, false, true},
		{"http://LOCALHOST.:9000/", "http", false, false, true},
		{"http://api.localhost/", "http", false, false, true},
		{"http://localhost/", "http", true, true, false},
		{"http://localhost.example.com/", "http", false, true, false},
	}
	for _, tt := range tests {
		err := CheckURL(tt.raw, tt.want, tt.allowPrivate)
		if tt.ok != (err == nil) {
			t.Errorf("CheckURL(%q, %q, %v) = %v, want ok %v", tt.raw, tt.want, tt.allowPrivate, err, tt.ok)
			continue
		}
		if err != nil {
			if got := errors.Is(err, ErrRefused); got != tt.refused {
				t.Errorf("CheckURL(%q, %q, %v) = %v, wraps ErrRefused %v, want %v", tt.raw, tt.want, tt.allowPrivate, err, got, tt.refused)
			}
			if !strings.HasPrefix(err.Error(), "webhook: ") {
				t.Errorf("CheckURL(%q) error %q lacks package context", tt.raw, err)
			}
		}
	}
}
