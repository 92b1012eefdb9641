package abanico

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Function is a function as the server shows it. Timeout is in seconds and
// MemorySize in MB; CodeSha256 is the base64 SHA-256 of the zip archive;
// ReservedConcurrency is nil when none is reserved; Environment holds the
// function's own variables.
type Function struct {
	Name                string            `json:"name"`
	ARN                 string            `json:"arn"`
	Runtime             string            `json:"runtime"`
	Handler             string            `json:"handler"`
	Timeout             int               `json:"timeout"`
	MemorySize          int               `json:"memorySize"`
	CodeSha256          string            `json:"codeSha256"`
	CodeSize            int64             `json:"codeSize"`
	LastModified        string            `json:"lastModified"`
	ReservedConcurrency *int              `json:"reservedConcurrency,omitempty"`
	Environment         map[string]string `json:"environment"`
}

// CreateFunctionInput describes a function to create. Zip is a zip archive
// with an executable named bootstrap at its root (see [BootstrapZip]); the
// function runs it as a local process speaking the Lambda Runtime API.
// Zero values take the server's defaults: Runtime provided.al2023, Handler
// "bootstrap", Timeout 3 s, MemorySize 128 MB, no reserved concurrency.
type CreateFunctionInput struct {
	Name                string            `json:"name"`
	Runtime             string            `json:"runtime,omitempty"`
	Handler             string            `json:"handler,omitempty"`
	Timeout             int               `json:"timeout,omitempty"`
	MemorySize          int               `json:"memorySize,omitempty"`
	Environment         map[string]string `json:"environment,omitempty"`
	ReservedConcurrency *int              `json:"reservedConcurrency,omitempty"`
	Zip                 []byte            `json:"code"`
}

// UpdateFunctionInput changes a function's configuration: nil fields stay
// as they are. A non-nil Environment replaces every variable (an empty map
// removes them all). RemoveReservedConcurrency removes the reservation and
// must not be combined with ReservedConcurrency.
type UpdateFunctionInput struct {
	Runtime                   *string           `json:"runtime,omitempty"`
	Handler                   *string           `json:"handler,omitempty"`
	Timeout                   *int              `json:"timeout,omitempty"`
	MemorySize                *int              `json:"memorySize,omitempty"`
	Environment               map[string]string `json:"environment"`
	ReservedConcurrency       *int              `json:"reservedConcurrency,omitempty"`
	RemoveReservedConcurrency bool              `json:"removeReservedConcurrency,omitempty"`
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

// CreateFunction creates a function and returns it. A function of the same
// name is a conflict error; an archive without a bootstrap, or settings
// out of range, are invalid_parameter errors (nothing is created).
func (c *Client) CreateFunction(ctx context.Context, in CreateFunctionInput) (*Function, error) {
	var f Function
	if _, err := c.run(ctx, fmt.Sprintf("create function %q", in.Name), &call{method: http.MethodPost, path: "/v1/functions", body: in}, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// UpdateFunctionCode replaces the named function's code with the zip
// archive zip and returns the function. Running processes finish their
// invocation; later invocations run the new code.
func (c *Client) UpdateFunctionCode(ctx context.Context, name string, zip []byte) (*Function, error) {
	body := struct {
		Code []byte `json:"code"`
	}{zip}
	var f Function
	if _, err := c.run(ctx, fmt.Sprintf("update code of function %q", name), &call{method: http.MethodPut, path: pathOf("/v1/functions/", name, "/code"), body: body}, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// UpdateFunction changes the named function's configuration and returns
// the function as it then is; when the server rejects a setting, none is
// changed. A missing function is a not_found error.
func (c *Client) UpdateFunction(ctx context.Context, name string, in UpdateFunctionInput) (*Function, error) {
	var f Function
	if _, err := c.run(ctx, fmt.Sprintf("update function %q", name), &call{method: http.MethodPatch, path: pathOf("/v1/functions/", name), body: in}, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// bootstrapTime is the modification time of the file BootstrapZip
// writes, fixed so that the archive depends on the script alone.
var bootstrapTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// BootstrapZip returns a zip archive holding script as one executable file
// named bootstrap (mode 0755), the code of a custom runtime
// (provided.al2023) function. The archive is stored uncompressed with a
// fixed modification time, so the same script always gives the same
// archive, and the same CodeSha256.
func BootstrapZip(script []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Store, Modified: bootstrapTime}
	h.SetMode(0o755)
	f, err := zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("abanico: bootstrap zip: %w", err)
	}
	if _, err := f.Write(script); err != nil {
		return nil, fmt.Errorf("abanico: bootstrap zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("abanico: bootstrap zip: %w", err)
	}
	return buf.Bytes(), nil
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
