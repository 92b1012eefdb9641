// Package abanico is a client for Abanico's native REST/JSON API (the
// routes under /v1 of an Abanico server).
//
// Every method maps to one HTTP request and takes a context that bounds it:
// cancelling the context abandons the request. Resources are addressed by
// name (topics, queues, functions) except subscriptions, which are
// addressed by ARN; names, ARNs and receipt handles are path-escaped by the
// client, so callers pass them as they are.
//
// The request and answer types of this package are the API's JSON bodies:
// the server encodes and decodes these same types, so their fields and
// documentation are the wire format (the server also serves it as an
// OpenAPI document, see [Client.OpenAPI]).
//
// Every failure the server reports is returned as an *Error (wrapped with
// the operation; use errors.As, [IsNotFound] or [IsConflict]). Transport
// failures and undecodable answers are returned wrapped as well and are
// never an *Error.
package abanico

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one Abanico server. It is safe for concurrent use.
type Client struct {
	base string // endpoint without trailing slashes
	hc   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc instead of its
// own client (which has no timeout of its own; contexts bound requests). A
// nil hc is ignored. If hc has a Timeout, long-poll receives still get at
// least their wait plus a margin (see [Client.ReceiveMessages]).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// NewClient returns a client for the server at endpoint, a base URL such as
// http://127.0.0.1:4566 (a trailing slash is allowed; a path prefix is kept
// in front of /v1). It does not contact the server.
func NewClient(endpoint string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(endpoint, "/"), hc: &http.Client{}}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// Error codes the server answers with, as found in [Error.Code].
const (
	CodeNotFound         = "not_found"
	CodeInvalidParameter = "invalid_parameter"
	CodeConflict         = "conflict"
	CodeThrottled        = "throttled"
	CodeTooLarge         = "too_large"
	CodeInternal         = "internal"
)

// Error is every error the API reports: for a failed request, the HTTP
// Status and the decoded error body; for a failed batch entry (see
// [BatchResult]), the body alone (Status is 0). Code is one of not_found,
// invalid_parameter, conflict, throttled, too_large or internal; Field
// names the request field, path or query parameter at fault when the
// server knows it.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error describes e as "status code: message (field f)", leaving out the
// parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	return b.String()
}

// ErrorResponse is the body of every failed request: the error under
// "error".
type ErrorResponse struct {
	Error *Error `json:"error"`
}

// IsNotFound reports whether err is or wraps an *Error with code
// not_found.
func IsNotFound(err error) bool { return hasCode(err, CodeNotFound) }

// IsConflict reports whether err is or wraps an *Error with code conflict.
func IsConflict(err error) bool { return hasCode(err, CodeConflict) }

func hasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// pathOf joins literal path parts and escaped parameters: each odd-indexed
// element of parts is a parameter and is escaped as one path segment.
func pathOf(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			p = url.PathEscape(p)
		}
		b.WriteString(p)
	}
	return b.String()
}

// call is one request: method and path (already escaped, starting with
// /v1), optional query, optional JSON body (nil for none) or raw body.
type call struct {
	method  string
	path    string
	query   url.Values
	body    any
	raw     []byte // sent as is when not nil; body is then ignored
	hc      *http.Client
	headers http.Header // of the answer, filled in by do
}

// do sends c and, on a 2xx answer, decodes its JSON body into out (when out
// is not nil) or, when out is a *[]byte, copies it there. It returns the
// status. A non-2xx answer is returned as *Error.
func (cl *Client) do(ctx context.Context, c *call, out any) (int, error) {
	u := cl.base + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	switch {
	case c.raw != nil:
		body = bytes.NewReader(c.raw)
	case c.body != nil:
		b, err := json.Marshal(c.body)
		if err != nil {
			return 0, fmt.Errorf("encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case c.raw != nil:
		req.Header.Set("Content-Type", "application/octet-stream")
	case c.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.hc
	if hc == nil {
		hc = cl.hc
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	c.headers = resp.Header
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, decodeError(resp)
	}
	switch o := out.(type) {
	case nil:
		_, _ = io.Copy(io.Discard, resp.Body)
	case *[]byte:
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, fmt.Errorf("read answer: %w", err)
		}
		*o = b
	default:
		if resp.StatusCode == http.StatusNoContent {
			return resp.StatusCode, nil
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode answer (status %d): %w", resp.StatusCode, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, nil
}

// decodeError reads a non-2xx answer into an *Error; an answer that is not
// the API's error body becomes an internal Error carrying the status.
func decodeError(resp *http.Response) *Error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body ErrorResponse
	if err == nil && json.Unmarshal(b, &body) == nil && body.Error != nil && body.Error.Code != "" {
		body.Error.Status = resp.StatusCode
		return body.Error
	}
	msg := http.StatusText(resp.StatusCode)
	if text := strings.TrimSpace(string(b)); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		msg += ": " + text
	}
	if msg == "" {
		msg = "unexpected answer"
	}
	return &Error{Status: resp.StatusCode, Code: CodeInternal, Message: msg}
}

// run performs c and wraps any failure with op.
func (cl *Client) run(ctx context.Context, op string, c *call, out any) (int, error) {
	status, err := cl.do(ctx, c, out)
	if err != nil {
		return status, fmt.Errorf("abanico: %s: %w", op, err)
	}
	return status, nil
}

// seconds converts d to whole seconds, rounding up so that a positive
// duration never becomes zero.
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// OpenAPI returns the server's OpenAPI document for the native API, as the
// raw JSON it serves.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var doc []byte
	if _, err := c.run(ctx, "get openapi document", &call{method: http.MethodGet, path: "/v1/openapi.json"}, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}
