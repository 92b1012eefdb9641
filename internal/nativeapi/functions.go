package nativeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/function"
)

func (h *Handler) functionView(c *function.Config) *abanico.Function {
	env := map[string]string{}
	for k, v := range c.Environment {
		env[k] = v
	}
	return &abanico.Function{
		Name: c.Name, ARN: h.functions.FunctionArn(c.Name), Runtime: c.Runtime, Handler: c.Handler,
		Timeout: c.Timeout, MemorySize: c.MemorySize, CodeSha256: c.CodeSha256, CodeSize: c.CodeSize,
		LastModified: c.LastModified, ReservedConcurrency: c.ReservedConcurrency, Environment: env,
	}
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) {
	out := []*abanico.Function{}
	for _, c := range h.functions.List() {
		out = append(out, h.functionView(c))
	}
	writeJSON(w, http.StatusOK, map[string][]*abanico.Function{"functions": out})
}

func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request) {
	c, err := h.functions.Get(r.PathValue("name"))
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	writeJSON(w, http.StatusOK, h.functionView(c))
}

// Defaults of functions created through the native API. Functions run as
// local processes, so only the custom runtimes are of use; the role is
// recorded, never assumed.
const (
	defaultRuntime = "provided.al2023"
	defaultHandler = "bootstrap"
)

// maxCodeBody bounds a request carrying a code archive: the largest
// archive the function service accepts, base64-encoded, and the rest of
// the JSON.
const maxCodeBody = (function.MaxZipSize+2)/3*4 + 64<<10

// functionRole is the execution role recorded for functions created here.
func (h *Handler) functionRole() string {
	return "arn:aws:iam::" + h.queues.AccountID() + ":role/abanico-function"
}

// createFunctionRequest is the body of a function creation, an
// abanico.CreateFunctionInput read with its fields of the same names
// replaced: timeout and memorySize are pointers, so that a 0 given is
// passed on to the service (which refuses it) instead of being taken as
// absent (the default); code is read as text, so that bad base64 is an
// error on the code field rather than a JSON syntax error.
type createFunctionRequest struct {
	abanico.CreateFunctionInput
	Timeout    *int   `json:"timeout,omitempty"`
	MemorySize *int   `json:"memorySize,omitempty"`
	Code       string `json:"code"`
}

// readCode reads the body of a request carrying a code archive into
// body, and returns the archive decoded from code, its base64 text.
func readCode(w http.ResponseWriter, r *http.Request, body any, code *string) ([]byte, error) {
	if err := decodeBodyLimit(w, r, body, false, maxCodeBody); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(*code)
	if err != nil {
		return nil, badRequest("code", "code must be a base64 zip archive: %v", err)
	}
	return b, nil
}

// functionField names the request field a function service message is
// about (def when none).
func functionField(msg, def string) string {
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "functionname"):
		return "name"
	case strings.Contains(low, "'timeout'"):
		return "timeout"
	case strings.Contains(low, "'memorysize'"):
		return "memorySize"
	case strings.Contains(low, "runtime"):
		return "runtime"
	case strings.Contains(low, "environment variables"):
		return "environment"
	case strings.Contains(low, "reservedconcurrentexecutions"):
		return "reservedConcurrency"
	case strings.Contains(low, "zip") || strings.Contains(low, "uploaded file") || strings.Contains(low, "request must be smaller"):
		return "code"
	}
	return def
}

// createFunction creates a function from a zip archive (base64 in code)
// with a bootstrap at its root. When a reserved concurrency is given and
// the service rejects it, the new function is deleted again.
func (h *Handler) createFunction(w http.ResponseWriter, r *http.Request) {
	var req createFunctionRequest
	zipFile, err := readCode(w, r, &req, &req.Code)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	in := function.CreateInput{
		Name: req.Name, Runtime: req.Runtime, Handler: req.Handler, Role: h.functionRole(),
		Timeout: req.Timeout, MemorySize: req.MemorySize, Environment: req.Environment, ZipFile: zipFile,
	}
	if in.Runtime == "" {
		in.Runtime = defaultRuntime
	}
	if in.Handler == "" {
		in.Handler = defaultHandler
	}
	c, err := h.functions.Create(r.Context(), in)
	if err != nil {
		h.writeError(w, fmt.Errorf("create function %s: %w", req.Name, err), functionField(err.Error(), ""))
		return
	}
	if n := req.ReservedConcurrency; n != nil {
		if err := h.functions.PutConcurrency(r.Context(), c.Name, *n); err != nil {
			if derr := h.functions.Delete(r.Context(), c.Name); derr != nil {
				h.log.Error("native api: delete function after a rejected concurrency", "function", c.Name, "err", derr)
			}
			h.writeError(w, fmt.Errorf("reserve concurrency of function %s: %w", c.Name, err), "reservedConcurrency")
			return
		}
		if c, err = h.functions.Get(c.Name); err != nil {
			h.writeError(w, err, "")
			return
		}
	}
	writeJSON(w, http.StatusCreated, h.functionView(c))
}

// functionCodeRequest is the body of a code update (the code sent by
// abanico.Client.UpdateFunctionCode), read as text as in
// createFunctionRequest.
type functionCodeRequest struct {
	Code string `json:"code"`
}

// updateFunctionCode replaces a function's code archive.
func (h *Handler) updateFunctionCode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req functionCodeRequest
	zipFile, err := readCode(w, r, &req, &req.Code)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	c, err := h.functions.UpdateCode(r.Context(), name, zipFile, "")
	if err != nil {
		h.writeError(w, fmt.Errorf("update code of function %s: %w", name, err), functionField(err.Error(), "code"))
		return
	}
	writeJSON(w, http.StatusOK, h.functionView(c))
}

// updateFunction changes a function's configuration: absent (or null)
// fields stay as they are, and environment, when given, replaces every
// variable. The reservation is changed first; when the service then
// rejects the configuration, the reservation is put back.
func (h *Handler) updateFunction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req abanico.UpdateFunctionInput
	if err := decodeBody(w, r, &req, false); err != nil {
		h.writeError(w, err, "")
		return
	}
	if req.RemoveReservedConcurrency && req.ReservedConcurrency != nil {
		h.writeError(w, badRequest("removeReservedConcurrency", "give reservedConcurrency or removeReservedConcurrency, not both"), "")
		return
	}
	old, err := h.functions.Get(name)
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	ctx := r.Context()
	concurrencyChanged := false
	switch {
	case req.ReservedConcurrency != nil:
		if err := h.functions.PutConcurrency(ctx, old.Name, *req.ReservedConcurrency); err != nil {
			h.writeError(w, fmt.Errorf("reserve concurrency of function %s: %w", name, err), "reservedConcurrency")
			return
		}
		concurrencyChanged = true
	case req.RemoveReservedConcurrency && old.ReservedConcurrency != nil:
		if err := h.functions.DeleteConcurrency(ctx, old.Name); err != nil {
			h.writeError(w, fmt.Errorf("remove reserved concurrency of function %s: %w", name, err), "")
			return
		}
		concurrencyChanged = true
	}
	in := function.UpdateConfigInput{Runtime: req.Runtime, Handler: req.Handler, Timeout: req.Timeout, MemorySize: req.MemorySize, Environment: req.Environment}
	if in.Runtime != nil || in.Handler != nil || in.Timeout != nil || in.MemorySize != nil || in.Environment != nil {
		if _, err := h.functions.UpdateConfiguration(ctx, old.Name, in); err != nil {
			if concurrencyChanged {
				h.restoreConcurrency(ctx, old)
			}
			h.writeError(w, fmt.Errorf("update function %s: %w", name, err), functionField(err.Error(), ""))
			return
		}
	}
	c, err := h.functions.Get(old.Name)
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	writeJSON(w, http.StatusOK, h.functionView(c))
}

// restoreConcurrency puts back a function's reservation as it was in old.
func (h *Handler) restoreConcurrency(ctx context.Context, old *function.Config) {
	var err error
	if old.ReservedConcurrency != nil {
		err = h.functions.PutConcurrency(ctx, old.Name, *old.ReservedConcurrency)
	} else {
		err = h.functions.DeleteConcurrency(ctx, old.Name)
	}
	if err != nil {
		h.log.Error("native api: restore reserved concurrency", "function", old.Name, "err", err)
	}
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := h.functions.Delete(r.Context(), name); err != nil {
		h.writeError(w, fmt.Errorf("delete function %s: %w", name, err), "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invoke runs a function with the request body as payload. ?type selects
// RequestResponse (default: 200 with the result), Event (202 with the
// request id) or DryRun (204).
func (h *Handler) invoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, function.MaxSyncPayload+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.writeError(w, &requestError{http.StatusRequestEntityTooLarge, abanico.Error{Code: abanico.CodeTooLarge, Message: fmt.Sprintf("payload is larger than %d bytes", function.MaxSyncPayload)}}, "")
			return
		}
		h.writeError(w, badRequest("", "read payload: %v", err), "")
		return
	}
	out, err := h.functions.Invoke(r.Context(), name, function.InvokeInput{Type: r.URL.Query().Get("type"), Payload: payload, LogTail: true})
	if err != nil {
		field := "name"
		if _, code := classify(codeOf(err)); code == abanico.CodeInvalidParameter && r.URL.Query().Get("type") != "" {
			field = "type"
		}
		h.writeError(w, fmt.Errorf("invoke %s: %w", name, err), field)
		return
	}
	switch out.StatusCode {
	case http.StatusAccepted:
		writeJSON(w, http.StatusAccepted, map[string]string{"requestId": out.RequestID})
		return
	case http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// The payload is the function's response as JSON when it is JSON,
	// else as a JSON string.
	res := abanico.InvokeResult{FunctionError: out.FunctionError, Payload: out.Payload}
	if !json.Valid(out.Payload) {
		if res.Payload, err = json.Marshal(string(out.Payload)); err != nil {
			h.writeError(w, fmt.Errorf("encode the payload of %s: %w", name, err), "")
			return
		}
	}
	if out.LogResult != "" {
		if b, err := base64.StdEncoding.DecodeString(out.LogResult); err == nil {
			res.Logs = string(b)
		}
	}
	if out.RequestID != "" {
		w.Header().Set("X-Request-Id", out.RequestID)
	}
	writeJSON(w, http.StatusOK, res)
}

// functionLogs returns the tail of a function's captured output (stdout,
// stderr and the START/END/REPORT lines), as text; ?bytes=N bounds it.
func (h *Handler) functionLogs(w http.ResponseWriter, r *http.Request) {
	n := 0
	if v := r.URL.Query().Get("bytes"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			h.writeError(w, badRequest("bytes", "bytes must be a non-negative integer"), "")
			return
		}
	}
	logs, err := h.functions.Logs(r.PathValue("name"), n)
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(logs)
}
