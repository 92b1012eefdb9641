package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Defaults applied by NewClient for zero-valued settings.
const (
	// DefaultTimeout bounds one attempt when Options.Timeout is not positive;
	// it is the per-attempt timeout SNS uses for HTTP/S endpoints.
	DefaultTimeout = 15 * time.Second
	// DefaultUserAgent is sent when neither Options.UserAgent nor the request
	// sets a User-Agent; it is the agent string SNS uses.
	DefaultUserAgent = "Amazon Simple Notification Service Agent"
	// DefaultMaxConns is the pool size used when NewClient gets maxConns <= 0.
	DefaultMaxConns = 16
	// MaxRedirects is the number of redirects followed when
	// Options.FollowRedirects is set; one more is an error.
	MaxRedirects = 5
	// MaxDrain is how much of a response body Post reads (and discards) so
	// the connection can be reused; a longer body closes the connection.
	MaxDrain = 64 << 10
)

const (
	idleConnTimeout = 90 * time.Second
	keepAlive       = 30 * time.Second
	maxHeaderBytes  = 64 << 10
)

// Options are the server-wide settings of webhook delivery. The zero value is
// usable and is the safe configuration: private destinations refused,
// redirects not followed, system roots only, 15 s per attempt.
type Options struct {
	// AllowPrivate permits endpoints that resolve to loopback, private
	// (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10, which
	// includes cloud metadata 169.254.169.254 and fd00:ec2::254),
	// unspecified, multicast, CGNAT 100.64/10, and other non-public ranges
	// (see RefusedIP). The zero value (false) refuses them.
	AllowPrivate bool
	// CAFile is a PEM bundle trusted in addition to the system roots for
	// https endpoints. Empty means the system roots only.
	CAFile string
	// FollowRedirects follows up to MaxRedirects (5) redirects, each hop
	// checked by endpoint protection like the first, and never from https
	// down to http. Redirects follow ordinary HTTP client semantics: 307 and
	// 308 repeat the POST with its body, while 301, 302 and 303 continue with
	// a GET without a body. By default redirects are not followed and the
	// 3xx response is the result.
	FollowRedirects bool
	// Timeout bounds one attempt, across every hop: connecting, TLS,
	// sending, and reading the response. Not positive means DefaultTimeout
	// (15 s, as SNS).
	Timeout time.Duration
	// UserAgent is sent unless the request sets its own User-Agent; empty
	// means DefaultUserAgent.
	UserAgent string
}

// Client sends the requests of one subscription through its own connection
// pool (its own http.Transport), so one endpoint's slowness never holds
// connections another subscription needs. A Client never uses a proxy, and
// unless Options.AllowPrivate is set it never connects to an address that
// RefusedIP refuses. It is safe for concurrent use.
type Client struct {
	transport *http.Transport
	http      *http.Client
	timeout   time.Duration
	userAgent string
}

// NewClient builds a client whose pool holds at most maxConns connections per
// endpoint host, busy and idle (maxConns <= 0 means DefaultMaxConns); further
// requests wait for a connection within their own timeout. It fails when
// opts.CAFile cannot be read or holds no valid certificate.
func NewClient(opts Options, maxConns int) (*Client, error) {
	var policy addrPolicy
	if !opts.AllowPrivate {
		policy = publicOnly
	}
	return newClient(opts, maxConns, policy)
}

// newClient is NewClient with an explicit address policy; a nil policy
// allows every address.
func newClient(opts Options, maxConns int, policy addrPolicy) (*Client, error) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	userAgent := opts.UserAgent
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	roots, err := rootPool(opts.CAFile)
	if err != nil {
		return nil, err
	}

	dialer := &net.Dialer{Timeout: timeout, KeepAlive: keepAlive}
	if policy != nil {
		dialer.Control = dialControl(policy)
	}
	t := &http.Transport{
		Proxy:                  nil, // never: a proxy would connect where the dialer cannot check
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxConns,
		MaxIdleConnsPerHost:    maxConns,
		MaxConnsPerHost:        maxConns,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		DisableCompression:     true,
	}
	c := &Client{transport: t, timeout: timeout, userAgent: userAgent}
	c.http = &http.Client{Transport: t, CheckRedirect: checkRedirect(opts.FollowRedirects)}
	return c, nil
}

// rootPool returns the system roots plus the certificates of caFile (when
// not empty). Every CERTIFICATE block must parse, and there must be at least
// one; other PEM blocks and text between blocks are ignored.
func rootPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("webhook: reading CA file: %w", err)
	}
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("webhook: CA file %s: certificate %d: %w", caFile, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("webhook: CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// checkRedirect returns the http.Client redirect policy: stop at the first
// 3xx when follow is false; otherwise allow MaxRedirects hops to well-formed
// http/https URLs without user info and without an https-to-http downgrade.
// Address checks of each hop happen in the dialer.
func checkRedirect(follow bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) > MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		if _, err := parseEndpoint(req.URL.String()); err != nil {
			return fmt.Errorf("redirect to %s: %w", describeURL(req.URL), err)
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("refusing redirect from https to %s", describeURL(req.URL))
		}
		return nil
	}
}

// Close closes the client's idle connections. Requests in flight are not
// interrupted, and the Client stays usable (it will dial anew).
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// Request is one delivery attempt.
type Request struct {
	// URL is the absolute http or https endpoint URL.
	URL string
	// Header is sent as given (it is copied, never modified); nil is fine.
	Header http.Header
	// Body is the request body; it is not modified.
	Body []byte
}

// Result reports the outcome of one attempt. Exactly one of Status and Err is
// set: Status when a final response arrived, Err otherwise.
type Result struct {
	// Status is the HTTP status of the final response (after any followed
	// redirects), 0 when no final response was received.
	Status int
	// Latency is the time from the start of Post until the response was
	// received and drained, or until the attempt failed.
	Latency time.Duration
	// Err describes why no final response was received: a transport error,
	// a timeout or cancellation (wrapping context.DeadlineExceeded or
	// context.Canceled), a refused destination, a malformed URL, or a
	// refused redirect.
	Err error
	// Refused is true when the destination was refused by endpoint
	// protection (a permanent, client-side failure that retrying cannot
	// fix); Err then wraps ErrRefused.
	Refused bool
}

// Delivered reports whether SNS would count the attempt as delivered: a
// final response arrived and its status satisfies SNSSuccess.
func (r Result) Delivered() bool {
	return r.Err == nil && SNSSuccess(r.Status)
}

// SNSSuccess reports whether SNS counts an HTTP status as delivered: 200–499.
// 1xx, 5xx, no response (0) and timeouts are failures.
func SNSSuccess(status int) bool {
	return status >= 200 && status <= 499
}

// Post sends r with method POST and reads (and discards) up to MaxDrain bytes
// of the response body so the connection can be reused. The User-Agent is
// Options.UserAgent unless r.Header sets one. The whole attempt, including
// followed redirects and draining the body, is bounded by Options.Timeout
// through a context deadline, so a hanging endpoint gives its connection back
// when the attempt ends; ctx cancels the attempt earlier. Errors reading the
// body after the status arrived do not change the result. Post never panics
// on a bad URL: the Result carries the error.
func (c *Client) Post(ctx context.Context, r Request) Result {
	start := time.Now()
	fail := func(err error) Result {
		return Result{Latency: time.Since(start), Err: err, Refused: errors.Is(err, ErrRefused)}
	}
	u, err := parseEndpoint(r.URL)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return fail(fmt.Errorf("webhook: building request for %s: %w", describeURL(u), err))
	}
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(fmt.Errorf("webhook: POST %s: %w", describeURL(u), err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxDrain))
	_ = resp.Body.Close()
	if resp.StatusCode < 100 {
		return fail(fmt.Errorf("webhook: POST %s: invalid response status %d", describeURL(u), resp.StatusCode))
	}
	return Result{Status: resp.StatusCode, Latency: time.Since(start)}
}

// describeURL renders u for error messages without user info, query or
// fragment, which may carry credentials or tokens.
func describeURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
