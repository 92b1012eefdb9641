package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrRefused is wrapped by every error caused by endpoint protection refusing
// a destination address. Such a failure is permanent: retrying cannot fix it.
var ErrRefused = errors.New("endpoint address refused by endpoint protection")

// refusedRange is one non-public address block and why it is refused.
type refusedRange struct {
	prefix netip.Prefix
	reason string
}

// refusedV4 lists the IPv4 blocks that are not publicly routable unicast
// destinations (IANA IPv4 Special-Purpose Address Registry, plus multicast and
// the reserved class E space).
var refusedV4 = []refusedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (unspecified)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (includes cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (includes broadcast)"},
}

// Well-known IPv6 blocks. Everything outside globalUnicast6 is refused; the
// other entries name the reason or carry an embedded IPv4 address.
var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// refusedV6Global lists blocks inside 2000::/3 that are not public unicast
// destinations.
var refusedV6Global = []refusedRange{
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (Teredo, benchmarking, ORCHID)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
}

// namedV6 gives a precise reason for well-known blocks outside 2000::/3; an
// address outside 2000::/3 that matches none of them is still refused.
var namedV6 = []refusedRange{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (private)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// RefusedIP reports whether endpoint protection refuses ip: true for the
// invalid (zero) Addr, for every IPv4 block that is not public unicast
// (loopback, RFC 1918, link-local, CGNAT 100.64/10, unspecified, multicast,
// documentation, benchmarking, reserved and broadcast), and for every IPv6
// address outside the global unicast block 2000::/3 (loopback, unspecified,
// fc00::/7, fe80::/10, multicast, ...) or inside its special blocks
// (2001::/23, 2001:db8::/32, 3fff::/20). IPv4-mapped IPv6 addresses are
// unmapped first, and addresses embedding an IPv4 address (NAT64 64:ff9b::/96,
// 6to4 2002::/16) are refused when the embedded address is. Zones are ignored.
func RefusedIP(ip netip.Addr) bool {
	return refusedReason(ip) != ""
}

// refusedReason returns why ip is refused, or "" when it is allowed.
func refusedReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid address"
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		for _, r := range refusedV4 {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return ""
	}
	if nat64WellKnown.Contains(ip) {
		b := ip.As16()
		if reason := refusedReason(netip.AddrFrom4([4]byte(b[12:16]))); reason != "" {
			return "NAT64 of " + reason
		}
		return ""
	}
	if !globalUnicast6.Contains(ip) {
		for _, r := range namedV6 {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return "reserved (outside 2000::/3 global unicast)"
	}
	for _, r := range refusedV6Global {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		if reason := refusedReason(netip.AddrFrom4([4]byte(b[2:6]))); reason != "" {
			return "6to4 of " + reason
		}
	}
	return ""
}

// addrPolicy decides whether the dialer may connect to an address; it returns
// a non-empty reason to refuse.
type addrPolicy func(netip.AddrPort) string

// publicOnly is the production policy: refuse whatever RefusedIP refuses.
func publicOnly(ap netip.AddrPort) string {
	return refusedReason(ap.Addr())
}

// dialControl returns a net.Dialer Control function enforcing policy on the
// address of every socket about to connect. An address the policy cannot
// parse is refused (fail closed).
func dialControl(policy addrPolicy) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s %q is not an IP address and port", ErrRefused, network, address)
		}
		if reason := policy(ap); reason != "" {
			return fmt.Errorf("%w: %s is %s", ErrRefused, ap.Addr(), reason)
		}
		return nil
	}
}

// isLocalhostName reports whether host is "localhost" or a name under the
// special-use .localhost domain (RFC 6761), which resolvers map to loopback.
func isLocalhostName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// looksNumeric reports whether host's last label is a number (decimal, or
// hexadecimal with 0x), as in "127.1", "2130706433" or "0x7f.0.0.1". No DNS
// name has a numeric top-level label, and some resolvers read such hosts as
// legacy IPv4 notations, so they would dodge the literal check.
func looksNumeric(host string) bool {
	h := strings.TrimSuffix(host, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	lower := strings.ToLower(last)
	if strings.HasPrefix(lower, "0x") {
		return strings.Trim(lower[2:], "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// parseEndpoint parses raw and checks the parts every endpoint must have: an
// absolute http or https URL with a non-empty host, a valid port if any, and
// no user info. It does not look at addresses.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook: invalid endpoint URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, errors.New("webhook: endpoint URL is not absolute (no scheme)")
	default:
		return nil, fmt.Errorf("webhook: endpoint URL scheme %q is not http or https", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("webhook: endpoint URL %s:%s has no host", u.Scheme, u.Opaque)
	}
	if u.User != nil {
		return nil, errors.New("webhook: endpoint URL must not contain user info")
	}
	if u.Hostname() == "" {
		return nil, errors.New("webhook: endpoint URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("webhook: endpoint URL port %q is not in 1..65535", p)
		}
	}
	if _, err := netip.ParseAddr(u.Hostname()); err != nil && looksNumeric(u.Hostname()) {
		return nil, fmt.Errorf("webhook: endpoint URL host %q is neither a DNS name nor a standard IP address", u.Hostname())
	}
	return u, nil
}

// CheckURL validates a subscription endpoint at subscribe time. It accepts raw
// only if it is an absolute http or https URL with a host (a DNS name or a
// standard IP literal; numeric forms such as "127.1" are rejected), a port in
// 1..65535 if one is given, and no user info, and if its scheme equals
// wantScheme ("http" or "https", compared case-insensitively; SNS requires the
// subscription protocol to match the URL scheme). An empty wantScheme accepts
// either scheme; any other value is an error.
//
// When allowPrivate is false, an IP literal host that RefusedIP refuses, and
// "localhost" or any name under .localhost, are rejected with an error
// wrapping ErrRefused. Other names are not resolved here: the Client checks
// the resolved address again whenever it connects, since DNS can change.
func CheckURL(raw, wantScheme string, allowPrivate bool) error {
	want := strings.ToLower(wantScheme)
	switch want {
	case "", "http", "https":
	default:
		return fmt.Errorf("webhook: protocol %q is not http or https", wantScheme)
	}
	u, err := parseEndpoint(raw)
	if err != nil {
		return err
	}
	if want != "" && u.Scheme != want {
		return fmt.Errorf("webhook: endpoint URL scheme %q does not match protocol %q", u.Scheme, want)
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if isLocalhostName(host) {
		return fmt.Errorf("webhook: endpoint host %q: %w: it names the loopback host", host, ErrRefused)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason := refusedReason(ip); reason != "" {
			return fmt.Errorf("webhook: endpoint host %s: %w: it is %s", host, ErrRefused, reason)
		}
	}
	return nil
}
