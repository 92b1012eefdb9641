package webhook

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// seen is one request as recorded by a recorder.
type seen struct {
	method string
	path   string
	header http.Header
	body   []byte
	proto  int
}

// recorder is an http.Handler that records every request and answers with
// status (200 when zero).
type recorder struct {
	status int
	mu     sync.Mutex
	reqs   []seen
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, seen{r.Method, r.URL.Path, r.Header.Clone(), body, r.ProtoMajor})
	rec.mu.Unlock()
	if rec.status != 0 {
		w.WriteHeader(rec.status)
	}
	_, _ = io.WriteString(w, "ok")
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

// newRecorderServer starts a loopback HTTP server recording its requests.
func newRecorderServer(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv, rec
}

// newTestClient builds a client and closes it at the end of the test.
func newTestClient(t *testing.T, opts Options, maxConns int) *Client {
	t.Helper()
	c, err := NewClient(opts, maxConns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPostDeliversBodyAndHeaders(t *testing.T) {
	srv, rec := newRecorderServer(t)
	c := newTestClient(t, Options{AllowPrivate: true}, 0)

	key := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"Type":"Notification","Message":"hello"}`)
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-Amz-Sns-Message-Type", "Notification")
	ts := time.Now()
	SetHeaders(h, key, "msg_42", ts, body)

	res := c.Post(context.Background(), Request{URL: srv.URL + "/hook?token=x", Header: h, Body: body})
	if res.Err != nil || res.Status != http.StatusOK || res.Refused {
		t.Fatalf("Post = %+v, want status 200 without error", res)
	}
	if !res.Delivered() {
		t.Error("Delivered() = false for a 200")
	}
	if res.Latency <= 0 {
		t.Errorf("Latency = %v, want > 0", res.Latency)
	}
	if h.Get("User-Agent") != "" {
		t.Error("Post modified the caller's header")
	}

	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.method != http.MethodPost || got.path != "/hook" {
		t.Errorf("server saw %s %s, want POST /hook", got.method, got.path)
	}
	if string(got.body) != string(body) {
		t.Errorf("server saw body %q, want %q", got.body, body)
	}
	for name, want := range map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"X-Amz-Sns-Message-Type": "Notification",
		"User-Agent":             DefaultUserAgent,
		"Content-Length":         strconv.Itoa(len(body)),
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("server saw %s %q, want %q", name, v, want)
		}
	}
	if err := Verify(key, got.header, got.body, time.Now(), 0); err != nil {
		t.Errorf("server could not verify the Standard Webhooks signature: %v", err)
	}
}

func TestPostUserAgent(t *testing.T) {
	srv, rec := newRecorderServer(t)
	c := newTestClient(t, Options{AllowPrivate: true, UserAgent: "abanico-test/1"}, 0)

	if res := c.Post(context.Background(), Request{URL: srv.URL}); res.Err != nil {
		t.Fatalf("Post: %v", res.Err)
	}
	h := http.Header{"User-Agent": {"custom/2"}}
	if res := c.Post(context.Background(), Request{URL: srv.URL, Header: h}); res.Err != nil {
		t.Fatalf("Post: %v", res.Err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	if ua := reqs[0].header.Get("User-Agent"); ua != "abanico-test/1" {
		t.Errorf("User-Agent = %q, want the Options value", ua)
	}
	if ua := reqs[1].header.Get("User-Agent"); ua != "custom/2" {
		t.Errorf("User-Agent = %q, want the request's own value", ua)
	}
}

func TestPostStatusIsReported(t *testing.T) {
	for _, status := range []int{200, 204, 302, 404, 499, 500, 503} {
		rec := &recorder{status: status}
		srv := httptest.NewServer(rec)
		c := newTestClient(t, Options{AllowPrivate: true}, 0)
		res := c.Post(context.Background(), Request{URL: srv.URL})
		srv.Close()
		if res.Err != nil || res.Status != status {
			t.Errorf("status %d: Post = %+v", status, res)
		}
		if res.Delivered() != SNSSuccess(status) {
			t.Errorf("status %d: Delivered() = %v, want %v", status, res.Delivered(), SNSSuccess(status))
		}
	}
}

func TestSNSSuccess(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{0, false},
		{100, false},
		{199, false},
		{200, true},
		{201, true},
		{302, true},
		{404, true},
		{499, true},
		{500, false},
		{503, false},
		{599, false},
	}
	for _, tt := range tests {
		if got := SNSSuccess(tt.status); got != tt.want {
			t.Errorf("SNSSuccess(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestPostReusesConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, strings.Repeat("x", 10<<10))
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	c := newTestClient(t, Options{AllowPrivate: true}, 1)
	for i := range 3 {
		if res := c.Post(context.Background(), Request{URL: srv.URL, Body: []byte("x")}); res.Status != 200 {
			t.Fatalf("Post %d = %+v", i, res)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections for 3 sequential posts, want 1 (drained and reused)", n)
	}
}

// TestTimeoutIsolation checks that a hanging endpoint fails at
// Options.Timeout, frees its connection, and does not delay another Client.
func TestTimeoutIsolation(t *testing.T) {
	const timeout = 300 * time.Millisecond
	var entered atomic.Int32
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close
	healthy, _ := newRecorderServer(t)

	slow := newTestClient(t, Options{AllowPrivate: true, Timeout: timeout}, 1)
	other := newTestClient(t, Options{AllowPrivate: true, Timeout: 5 * time.Second}, 1)

	const n = 3
	results := make(chan Result, n)
	for range n {
		go func() { results <- slow.Post(context.Background(), Request{URL: hang.URL, Body: []byte("x")}) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for entered.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("hanging server never saw a request")
		}
		time.Sleep(5 * time.Millisecond)
	}

	res := other.Post(context.Background(), Request{URL: healthy.URL, Body: []byte("y")})
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("healthy Post = %+v", res)
	}
	if res.Latency >= timeout {
		t.Errorf("healthy Post took %v, want well under the hanging client's %v", res.Latency, timeout)
	}

	for range n {
		r := <-results
		if r.Status != 0 || r.Err == nil || r.Refused || r.Delivered() {
			t.Errorf("hanging Post = %+v, want status 0 with an error", r)
		}
		if !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Errorf("hanging Post error %v does not wrap context.DeadlineExceeded", r.Err)
		}
		if r.Latency < timeout || r.Latency > timeout+2*time.Second {
			t.Errorf("hanging Post took %v, want about %v", r.Latency, timeout)
		}
	}

	// The pool holds one connection per host: the next attempt reaches the
	// server only if the timed-out attempts gave their connection back.
	before := entered.Load()
	if r := slow.Post(context.Background(), Request{URL: hang.URL}); r.Err == nil {
		t.Errorf("hanging Post = %+v, want a timeout", r)
	}
	if entered.Load() <= before {
		t.Error("after timeouts, a new attempt never reached the server: connection not freed")
	}
}

func TestPostContextCancel(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	c := newTestClient(t, Options{AllowPrivate: true, Timeout: 10 * time.Second}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := c.Post(ctx, Request{URL: hang.URL})
	if res.Status != 0 || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Post = %+v, want an error wrapping context.Canceled", res)
	}
	if res.Latency > 5*time.Second {
		t.Errorf("cancelled Post took %v", res.Latency)
	}
}

func TestPostRefusesPrivate(t *testing.T) {
	srv, rec := newRecorderServer(t)
	c := newTestClient(t, Options{}, 0)

	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{
		srv.URL,                              // 127.0.0.1 literal
		"http://localhost:" + u.Port() + "/", // name resolved to loopback
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		srv6 := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rec}}
		srv6.Start()
		t.Cleanup(srv6.Close)
		urls = append(urls, srv6.URL)
	}
	for _, target := range urls {
		res := c.Post(context.Background(), Request{URL: target, Body: []byte("secret")})
		if !res.Refused || !errors.Is(res.Err, ErrRefused) || res.Status != 0 {
			t.Errorf("Post(%s) = %+v, want refused", target, res)
		}
		if res.Err != nil && !strings.Contains(res.Err.Error(), "loopback") {
			t.Errorf("Post(%s) error %q does not say why", target, res.Err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestPostRejectsBadURL(t *testing.T) {
	c := newTestClient(t, Options{AllowPrivate: true}, 0)
	for _, raw := range []string{"", "ftp://example.com/", "http://user:pw@127.0.0.1/", "/relative", "http://127.0.0.1:0/"} {
		res := c.Post(context.Background(), Request{URL: raw})
		if res.Err == nil || res.Status != 0 || res.Refused {
			t.Errorf("Post(%q) = %+v, want a non-refused error", raw, res)
		}
	}
}

func TestClientNeverUsesProxy(t *testing.T) {
	c := newTestClient(t, Options{}, 0)
	if c.transport.Proxy != nil {
		t.Error("transport has a Proxy function; a proxy would bypass endpoint protection")
	}
	if c.transport.MaxConnsPerHost != DefaultMaxConns || c.transport.MaxIdleConnsPerHost != DefaultMaxConns {
		t.Errorf("pool limits = %d/%d, want %d", c.transport.MaxConnsPerHost, c.transport.MaxIdleConnsPerHost, DefaultMaxConns)
	}
	if c.transport.IdleConnTimeout != 90*time.Second || !c.transport.ForceAttemptHTTP2 {
		t.Errorf("IdleConnTimeout %v, ForceAttemptHTTP2 %v", c.transport.IdleConnTimeout, c.transport.ForceAttemptHTTP2)
	}
	if c.timeout != DefaultTimeout {
		t.Errorf("timeout = %v, want %v", c.timeout, DefaultTimeout)
	}
}

// newRedirector starts a server that answers every request with a redirect
// of the given code to target.
func newRedirector(t *testing.T, code int, target string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target, code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRedirectNotFollowedByDefault(t *testing.T) {
	final, rec := newRecorderServer(t)
	redir := newRedirector(t, http.StatusFound, final.URL+"/final")
	c := newTestClient(t, Options{AllowPrivate: true}, 0)

	res := c.Post(context.Background(), Request{URL: redir.URL, Body: []byte("b")})
	if res.Err != nil || res.Status != http.StatusFound {
		t.Errorf("Post = %+v, want status 302", res)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("redirect target saw %d requests, want none", n)
	}
}

func TestRedirectFollowed(t *testing.T) {
	tests := []struct {
		code       int
		wantMethod string
		wantBody   string
	}{
		{http.StatusFound, http.MethodGet, ""},
		{http.StatusSeeOther, http.MethodGet, ""},
		{http.StatusTemporaryRedirect, http.MethodPost, "payload"},
		{http.StatusPermanentRedirect, http.MethodPost, "payload"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			final, rec := newRecorderServer(t)
			redir := newRedirector(t, tt.code, final.URL+"/final")
			c := newTestClient(t, Options{AllowPrivate: true, FollowRedirects: true}, 0)

			res := c.Post(context.Background(), Request{URL: redir.URL, Body: []byte("payload")})
			if res.Err != nil || res.Status != http.StatusOK {
				t.Fatalf("Post = %+v, want the final 200", res)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("redirect target saw %d requests, want 1", len(reqs))
			}
			if reqs[0].method != tt.wantMethod || string(reqs[0].body) != tt.wantBody || reqs[0].path != "/final" {
				t.Errorf("redirect target saw %s %s %q, want %s /final %q", reqs[0].method, reqs[0].path, reqs[0].body, tt.wantMethod, tt.wantBody)
			}
			if ua := reqs[0].header.Get("User-Agent"); ua != DefaultUserAgent {
				t.Errorf("redirected request User-Agent %q", ua)
			}
		})
	}
}

func TestRedirectLimit(t *testing.T) {
	// /n redirects to /n-1; /0 answers 200.
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || n <= 0 {
			return
		}
		http.Redirect(w, r, fmt.Sprintf("%s/%d", srv.URL, n-1), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Options{AllowPrivate: true, FollowRedirects: true}, 0)

	if res := c.Post(context.Background(), Request{URL: srv.URL + "/" + strconv.Itoa(MaxRedirects)}); res.Err != nil || res.Status != 200 {
		t.Errorf("%d redirects: Post = %+v, want 200", MaxRedirects, res)
	}
	res := c.Post(context.Background(), Request{URL: srv.URL + "/" + strconv.Itoa(MaxRedirects+1)})
	if res.Err == nil || res.Status != 0 || res.Refused {
		t.Errorf("%d redirects: Post = %+v, want an error", MaxRedirects+1, res)
	}
}

// TestRedirectHopChecked makes the dialer refuse only the redirect target's
// address, showing every hop goes through endpoint protection.
func TestRedirectHopChecked(t *testing.T) {
	final, rec := newRecorderServer(t)
	redir := newRedirector(t, http.StatusTemporaryRedirect, final.URL+"/final")
	finalPort := uint16(mustPort(t, final.URL))
	policy := func(ap netip.AddrPort) string {
		if ap.Port() == finalPort {
			return "refused for the test"
		}
		return ""
	}
	c, err := newClient(Options{FollowRedirects: true}, 0, policy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	res := c.Post(context.Background(), Request{URL: redir.URL, Body: []byte("b")})
	if !res.Refused || !errors.Is(res.Err, ErrRefused) || res.Status != 0 {
		t.Errorf("Post = %+v, want the redirect hop refused", res)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("redirect target saw %d requests, want none", n)
	}
}

// TestRedirectFirstHopRefused checks the production policy: with
// AllowPrivate=false even the first hop to loopback is refused, so the
// redirect is never seen.
func TestRedirectFirstHopRefused(t *testing.T) {
	var hits atomic.Int32
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	c := newTestClient(t, Options{FollowRedirects: true}, 0)

	res := c.Post(context.Background(), Request{URL: redir.URL})
	if !res.Refused || !errors.Is(res.Err, ErrRefused) {
		t.Errorf("Post = %+v, want refused", res)
	}
	if hits.Load() != 0 {
		t.Error("loopback server was reached")
	}
}

func mustPort(t *testing.T, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeCAFile writes srv's certificate as a PEM file and returns its path.
func writeCAFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTPSVerification(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewUnstartedServer(rec)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	plain := newTestClient(t, Options{AllowPrivate: true}, 0)
	res := plain.Post(context.Background(), Request{URL: srv.URL, Body: []byte("b")})
	var unknown x509.UnknownAuthorityError
	if res.Err == nil || res.Status != 0 || res.Refused || !errors.As(res.Err, &unknown) {
		t.Errorf("Post without CAFile = %+v, want an unknown authority error", res)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("server saw %d requests over an unverified connection", n)
	}

	trusting := newTestClient(t, Options{AllowPrivate: true, CAFile: writeCAFile(t, srv)}, 0)
	res = trusting.Post(context.Background(), Request{URL: srv.URL, Body: []byte("b")})
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("Post with CAFile = %+v, want 200", res)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || string(reqs[0].body) != "b" {
		t.Fatalf("server saw %+v", reqs)
	}
	if reqs[0].proto != 2 {
		t.Errorf("request used HTTP/%d, want HTTP/2 over TLS", reqs[0].proto)
	}
}

func TestRedirectHTTPSDowngradeRefused(t *testing.T) {
	final, rec := newRecorderServer(t)
	redir := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	c := newTestClient(t, Options{AllowPrivate: true, FollowRedirects: true, CAFile: writeCAFile(t, redir)}, 0)

	res := c.Post(context.Background(), Request{URL: redir.URL})
	if res.Err == nil || res.Status != 0 {
		t.Errorf("Post = %+v, want the downgrade refused", res)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("http target saw %d requests", n)
	}
}

func TestNewClientCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.pem")
	if err := os.WriteFile(broken, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.pem"), garbage, broken} {
		if _, err := NewClient(Options{CAFile: path}, 0); err == nil {
			t.Errorf("NewClient(CAFile %s) succeeded, want an error", filepath.Base(path))
		} else if !strings.HasPrefix(err.Error(), "webhook: ") {
			t.Errorf("NewClient(CAFile %s) error %q lacks context", filepath.Base(path), err)
		}
	}
}
