package abanico

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Function is a function as the server shows it. Timeout is in seconds and
// MemorySize in MB; ReservedConcurrency is nil when none is reserved.
type Function struct {
	Name                string `json:"name"`
	ARN                 string `json:"arn"`
	Runtime             string `json:"runtime"`
	Handler             string `json:"handler"`
	Timeout             int    `json:"timeout"`
	MemorySize          int    `json:"memorySize"`
	CodeSha256          string `json:"codeSha256"`
	CodeSize            int64  `json:"codeSize"`
	LastModified        string `json:"lastModified"`
	ReservedConcurrency *int   `json:"reservedConcurrency,omitempty"`
}

// InvokeType selects how [Client.Invoke] runs a function.
type InvokeType string

// Invocation types. The zero InvokeType is the server's default,
// InvokeRequestResponse.
const (
	InvokeRequestResponse InvokeType = "RequestResponse"
	InvokeEvent           InvokeType = "Event"
	InvokeDryRun          InvokeType = "DryRun"
)

// InvokeResult is the outcome of an invocation. StatusCode is the HTTP
// status: 200 for a synchronous run, 202 for a queued event, 204 for a dry
// run. For a synchronous run, Payload is the function's response as JSON
// (a JSON string when the response was not JSON), FunctionError is set
// when the function failed (Payload then describes the failure), Logs is
// the tail of the run's log, and RequestID comes from the X-Request-Id
// header; for an event, only RequestID is set; for a dry run, nothing.
type InvokeResult struct {
	StatusCode    int             `json:"-"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	FunctionError string          `json:"functionError,omitempty"`
	Logs          string          `json:"logs,omitempty"`
	RequestID     string          `json:"requestId,omitempty"`
}

// ListFunctions returns every function (never nil on success).
func (c *Client) ListFunctions(ctx context.Context) ([]Function, error) {
	var out struct {
		Functions []Function `json:"functions"`
	}
	if _, err := c.run(ctx, "list functions", &call{method: http.MethodGet, path: "/v1/functions"}, &out); err != nil {
		return nil, err
	}
	if out.Functions == nil {
		out.Functions = []Function{}
	}
	return out.Functions, nil
}

// GetFunction returns the named function; a missing function is a
// not_found error.
func (c *Client) GetFunction(ctx context.Context, name string) (*Function, error) {
	var f Function
	if _, err := c.run(ctx, fmt.Sprintf("get function %q", name), &call{method: http.MethodGet, path: pathOf("/v1/functions/", name)}, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteFunction deletes the named function; a missing function is a
// not_found error.
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	_, err := c.run(ctx, fmt.Sprintf("delete function %q", name), &call{method: http.MethodDelete, path: pathOf("/v1/functions/", name)}, nil)
	return err
}

// Invoke runs the named function with payload as its event. A function
// that runs and fails is not an error of Invoke: see
// [InvokeResult.FunctionError]. A synchronous invocation waits for the
// function, bounded by ctx.
func (c *Client) Invoke(ctx context.Context, name string, payload []byte, typ InvokeType) (*InvokeResult, error) {
	q := url.Values{}
	if typ != "" {
		q.Set("type", string(typ))
	}
	if payload == nil {
		payload = []byte{}
	}
	cl := &call{method: http.MethodPost, path: pathOf("/v1/functions/", name, "/invocations"), query: q, raw: payload}
	var res InvokeResult
	status, err := c.run(ctx, fmt.Sprintf("invoke function %q", name), cl, &res)
	if err != nil {
		return nil, err
	}
	res.StatusCode = status
	if res.RequestID == "" && cl.headers != nil {
		res.RequestID = cl.headers.Get("X-Request-Id")
	}
	return &res, nil
}

// FunctionLogs returns the tail of the named function's captured output
// (stdout, stderr and the START/END/REPORT lines) as text, at most
// maxBytes of it when maxBytes is positive (the server's default bound
// otherwise). A missing function is a not_found error.
func (c *Client) FunctionLogs(ctx context.Context, name string, maxBytes int) ([]byte, error) {
	q := url.Values{}
	if maxBytes > 0 {
		q.Set("bytes", strconv.Itoa(maxBytes))
	}
	var logs []byte
	if _, err := c.run(ctx, fmt.Sprintf("logs of function %q", name), &call{method: http.MethodGet, path: pathOf("/v1/functions/", name, "/logs"), query: q}, &logs); err != nil {
		return nil, err
	}
	return logs, nil
}
