package nativeapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/abanico/abanico/internal/function"
)

// Function is a function as the native API shows it.
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

func (h *Handler) functionView(c *function.Config) *Function {
	return &Function{
		Name: c.Name, ARN: h.functions.FunctionArn(c.Name), Runtime: c.Runtime, Handler: c.Handler,
		Timeout: c.Timeout, MemorySize: c.MemorySize, CodeSha256: c.CodeSha256, CodeSize: c.CodeSize,
		LastModified: c.LastModified, ReservedConcurrency: c.ReservedConcurrency,
	}
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) {
	out := []*Function{}
	for _, c := range h.functions.List() {
		out = append(out, h.functionView(c))
	}
	writeJSON(w, http.StatusOK, map[string][]*Function{"functions": out})
}

func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request) {
	c, err := h.functions.Get(r.PathValue("name"))
	if err != nil {
		h.writeError(w, err, "name")
		return
	}
	writeJSON(w, http.StatusOK, h.functionView(c))
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := h.functions.Delete(r.Context(), name); err != nil {
		h.writeError(w, fmt.Errorf("delete function %s: %w", name, err), "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// InvokeResult is a synchronous invocation's result: Payload is the
// function's response as JSON when it is JSON, else as a string; Logs is
// the tail of the invocation's log.
type InvokeResult struct {
	Payload       any    `json:"payload"`
	FunctionError string `json:"functionError,omitempty"`
	Logs          string `json:"logs,omitempty"`
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
			h.writeError(w, &requestError{http.StatusRequestEntityTooLarge, Error{Code: "too_large", Message: fmt.Sprintf("payload is larger than %d bytes", function.MaxSyncPayload)}}, "")
			return
		}
		h.writeError(w, badRequest("", "read payload: %v", err), "")
		return
	}
	out, err := h.functions.Invoke(r.Context(), name, function.InvokeInput{Type: r.URL.Query().Get("type"), Payload: payload, LogTail: true})
	if err != nil {
		field := "name"
		if _, code := classify(codeOf(err)); code == "invalid_parameter" && r.URL.Query().Get("type") != "" {
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
	res := InvokeResult{FunctionError: out.FunctionError}
	if json.Valid(out.Payload) {
		res.Payload = json.RawMessage(out.Payload)
	} else {
		res.Payload = string(out.Payload)
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
