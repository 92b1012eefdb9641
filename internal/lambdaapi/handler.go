// Package lambdaapi is the AWS Lambda front end. Lambda speaks the
// restJson1 protocol: an operation is named by its method and path, its
// inputs arrive as path labels, query parameters, headers and a JSON body,
// and errors are a JSON body with the error name in the X-Amzn-ErrorType
// header. Every operation is decoded into the function service's input
// types and translated to a call on it; the package holds no function
// behaviour of its own.
package lambdaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/uuid"
)

// Request size limits. Code uploads carry a base64 zip of up to 50 MB,
// which AWS accepts in a request of at most MaxCodeRequestBytes.
const (
	// MaxRequestBytes bounds the JSON body of an operation without code.
	MaxRequestBytes = 1 << 20
	// MaxCodeRequestBytes bounds CreateFunction and UpdateFunctionCode.
	MaxCodeRequestBytes = 69905067
	// MaxSyncPayloadBytes bounds a RequestResponse or DryRun payload.
	MaxSyncPayloadBytes = 6 << 20
	// MaxEventPayloadBytes bounds an Event (asynchronous) payload: 1 MB,
	// AWS's limit since it was raised from 256 KB.
	MaxEventPayloadBytes = 1 << 20
)

// Error codes of the wire protocol that the function service does not
// produce itself.
const (
	codeSerialization         = "SerializationException"
	codeInvalidRequestContent = "InvalidRequestContentException"
	codeUnknownOperation      = "UnknownOperationException"
	codeRequestCanceled       = "RequestCanceled"
)

// requestIDHeader carries every response's request id.
const requestIDHeader = "x-amzn-RequestId"

// apiPrefixes are the path prefixes of the Lambda operations served: each
// API version the operations were introduced in.
var apiPrefixes = []string{
	"/2015-03-31/functions",
	"/2017-10-31/functions",
	"/2019-09-25/functions",
	"/2019-09-30/functions",
}

// IsLambdaRequest reports whether a request is for this API: its path is
// one of the Lambda function paths (any operation, served or not).
func IsLambdaRequest(r *http.Request) bool {
	p := r.URL.Path
	for _, prefix := range apiPrefixes {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// Handler serves the Lambda REST API paths on the shared listener.
type Handler struct {
	svc       *function.Service
	publicURL string
	log       *slog.Logger
	mux       *http.ServeMux
}

// route is one served operation.
type route struct {
	pattern string // http.ServeMux pattern: method and path
	op      string // AWS operation name (for logs)
	fn      func(*Handler, http.ResponseWriter, *http.Request) error
}

// routes are the served operations. ListFunctions and CreateFunction are
// accepted with and without the trailing slash SDKs differ on. The GET of
// a function's code is Abanico's own: it is the Code.Location GetFunction
// returns.
var routes = []route{
	{"POST /2015-03-31/functions", "CreateFunction", (*Handler).createFunction},
	{"POST /2015-03-31/functions/{$}", "CreateFunction", (*Handler).createFunction},
	{"GET /2015-03-31/functions", "ListFunctions", (*Handler).listFunctions},
	{"GET /2015-03-31/functions/{$}", "ListFunctions", (*Handler).listFunctions},
	{"GET /2015-03-31/functions/{FunctionName}", "GetFunction", (*Handler).getFunction},
	{"DELETE /2015-03-31/functions/{FunctionName}", "DeleteFunction", (*Handler).deleteFunction},
	{"GET /2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration", (*Handler).getFunctionConfiguration},
	{"PUT /2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration", (*Handler).updateFunctionConfiguration},
	{"GET /2015-03-31/functions/{FunctionName}/code", "GetFunctionCode", (*Handler).getFunctionCode},
	{"PUT /2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode", (*Handler).updateFunctionCode},
	{"POST /2015-03-31/functions/{FunctionName}/invocations", "Invoke", (*Handler).invoke},
	{"POST /2015-03-31/functions/{FunctionName}/policy", "AddPermission", (*Handler).addPermission},
	{"GET /2015-03-31/functions/{FunctionName}/policy", "GetPolicy", (*Handler).getPolicy},
	{"DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", (*Handler).removePermission},
	{"PUT /2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", (*Handler).putFunctionConcurrency},
	{"DELETE /2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", (*Handler).deleteFunctionConcurrency},
	{"GET /2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", (*Handler).getFunctionConcurrency},
	{"PUT /2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig", (*Handler).putEventInvokeConfig},
	{"POST /2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig", (*Handler).updateEventInvokeConfig},
	{"GET /2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig", (*Handler).getEventInvokeConfig},
}

// New returns the Lambda handler. publicURL is the base URL clients reach
// the server at; GetFunction's Code.Location points under it.
func New(svc *function.Service, publicURL string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{
		svc:       svc,
		publicURL: strings.TrimRight(publicURL, "/"),
		log:       log,
		mux:       http.NewServeMux(),
	}
	for _, rt := range routes {
		h.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := rt.fn(h, w, r); err != nil {
				h.writeError(w, r, rt.op, err)
			}
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, "", &function.Error{Code: codeUnknownOperation,
			Message: "Unknown operation: " + r.Method + " " + r.URL.EscapedPath()})
	})
	return h
}

// ServeHTTP gives the request its id and serves the operation its method
// and path name.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(requestIDHeader, uuid.New())
	h.mux.ServeHTTP(w, r)
}

// readBody reads a request body of at most limit bytes; op names the
// operation in the error a larger one gets, as AWS words it.
func readBody(r *http.Request, limit int64, op string) ([]byte, error) {
	tooLarge := &function.Error{Code: function.CodeRequestTooLarge,
		Message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, op)}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		// The client went away or sent a broken body: its failure, not
		// one to log.
		return nil, &function.Error{Code: codeSerialization, Message: "Could not read the request body: " + err.Error()}
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// writeJSON answers with status and v as the JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}

// writeNoContent answers 204 without a body.
func writeNoContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reasonError attaches a throttling reason (TooManyRequestsException's
// Reason member) to an error.
type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() + " (" + e.reason + ")" }
func (e *reasonError) Unwrap() error { return e.err }

// errorStatus is the HTTP status of each error code that is not 400, from
// the Lambda model's error shapes.
var errorStatus = map[string]int{
	function.CodeResourceNotFound:   http.StatusNotFound,
	function.CodeResourceConflict:   http.StatusConflict,
	function.CodeTooManyRequests:    http.StatusTooManyRequests,
	function.CodeRequestTooLarge:    http.StatusRequestEntityTooLarge,
	function.CodePreconditionFailed: http.StatusPreconditionFailed,
	function.CodeService:            http.StatusInternalServerError,
	codeUnknownOperation:            http.StatusNotFound,
	"UnsupportedMediaTypeException": http.StatusUnsupportedMediaType,
	"ResourceNotReadyException":     http.StatusBadGateway,
	"InvalidRuntimeException":       http.StatusBadGateway,
	"InvalidZipFileException":       http.StatusBadGateway,
	"ServiceUnavailableException":   http.StatusServiceUnavailable,
}

// wireError is an error as it is written.
type wireError struct {
	status int
	code   string
	body   errorBody
}

// errorBody is the JSON body of an error.
type errorBody struct {
	Type    string `json:"Type"`
	Message string `json:"message"`
	Reason  string `json:"Reason,omitempty"`
}

// toWire converts any failure of op to the error to answer with, logging
// the ones that are not the caller's fault under the request's id.
func (h *Handler) toWire(r *http.Request, op, reqID string, err error) wireError {
	var fe *function.Error
	switch {
	case errors.As(err, &fe):
		if fe.Server || fe.Cause != nil {
			h.log.Error("lambda request failed", "op", op, "request_id", reqID, "err", err)
		}
	case errors.Is(err, context.Canceled) && r != nil && r.Context().Err() != nil:
		fe = &function.Error{Code: codeRequestCanceled, Message: "The request was canceled."}
	default:
		h.log.Error("lambda request failed", "op", op, "request_id", reqID, "err", err)
		fe = &function.Error{Code: function.CodeService, Message: "An internal error occurred. Please try again.", Server: true}
	}
	status, ok := errorStatus[fe.Code]
	if !ok {
		status = http.StatusBadRequest
		if fe.Server {
			status = http.StatusInternalServerError
		}
	}
	we := wireError{status: status, code: fe.Code, body: errorBody{Type: "User", Message: fe.Message}}
	if status >= 500 {
		we.body.Type = "Server"
	}
	var re *reasonError
	if fe.Code == function.CodeTooManyRequests && errors.As(err, &re) {
		we.body.Reason = re.reason
	}
	return we
}

// writeError answers with the error err of op (empty for no operation).
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, op string, err error) {
	reqID := w.Header().Get(requestIDHeader)
	if reqID == "" {
		reqID = uuid.New()
		w.Header().Set(requestIDHeader, reqID)
	}
	we := h.toWire(r, op, reqID, err)
	b, _ := json.Marshal(we.body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", we.code)
	w.WriteHeader(we.status)
	_, _ = w.Write(b)
}
