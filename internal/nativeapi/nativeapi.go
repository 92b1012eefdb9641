// Package nativeapi is Abanico's own REST/JSON API, versioned under /v1. It
// translates requests to the same engine services the AWS front ends use;
// it implements no behaviour of its own: every rule, limit and validation
// is the services'.
//
// Resources are addressed by name (topics, queues, functions) except
// subscriptions, which are addressed by ARN. Bodies are JSON with camelCase
// fields; unknown fields are rejected. Every failure is answered with an
// HTTP status and an error body (abanico.ErrorResponse).
//
// The bodies are the types of the public client package
// (github.com/abanico/abanico), so each wire shape is declared once, with
// its documentation, where clients see it; the few requests read here in
// another form say why.
package nativeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/apierr"
	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/topic"
)

// maxBody bounds a JSON request body: ten maximum-size messages, escaped.
const maxBody = 8 << 20

// Handler serves /v1. It is safe for concurrent use.
type Handler struct {
	queues    *queue.Service
	topics    *topic.Service
	functions *function.Service
	log       *slog.Logger
	mux       *http.ServeMux
	info      Info
}

// route is one operation of the API. The route table is the single source
// of what the handler serves; the OpenAPI document is checked against it.
type route struct {
	method string
	path   string
	handle func(h *Handler, w http.ResponseWriter, r *http.Request)
}

// pattern is the route's http.ServeMux pattern.
func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes lists every operation of the API.
var routes = []route{
	{"GET", "/v1/openapi.json", (*Handler).openAPI},
	{"GET", "/v1/status", (*Handler).status},

	{"POST", "/v1/topics", (*Handler).createTopic},
	{"GET", "/v1/topics", (*Handler).listTopics},
	{"GET", "/v1/topics/{name}", (*Handler).getTopic},
	{"PATCH", "/v1/topics/{name}", (*Handler).updateTopic},
	{"DELETE", "/v1/topics/{name}", (*Handler).deleteTopic},
	{"POST", "/v1/topics/{name}/messages", (*Handler).publish},
	{"POST", "/v1/topics/{name}/messages:batch", (*Handler).publishBatch},
	{"POST", "/v1/topics/{name}/subscriptions", (*Handler).subscribe},

	{"GET", "/v1/subscriptions", (*Handler).listSubscriptions},
	{"GET", "/v1/subscriptions/{arn}", (*Handler).getSubscription},
	{"PATCH", "/v1/subscriptions/{arn}", (*Handler).updateSubscription},
	{"DELETE", "/v1/subscriptions/{arn}", (*Handler).unsubscribe},
	{"GET", "/v1/subscriptions/{arn}/attempts", (*Handler).attempts},

	{"POST", "/v1/queues", (*Handler).createQueue},
	{"GET", "/v1/queues", (*Handler).listQueues},
	{"GET", "/v1/queues/{name}", (*Handler).getQueue},
	{"PATCH", "/v1/queues/{name}", (*Handler).updateQueue},
	{"DELETE", "/v1/queues/{name}", (*Handler).deleteQueue},
	{"POST", "/v1/queues/{name}/purge", (*Handler).purgeQueue},
	{"POST", "/v1/queues/{name}/messages", (*Handler).sendMessage},
	{"POST", "/v1/queues/{name}/messages:batch", (*Handler).sendMessageBatch},
	{"GET", "/v1/queues/{name}/messages", (*Handler).receiveMessages},
	{"GET", "/v1/queues/{name}/messages:peek", (*Handler).peekMessages},
	{"DELETE", "/v1/queues/{name}/messages/{receiptHandle}", (*Handler).deleteMessage},
	{"PATCH", "/v1/queues/{name}/messages/{receiptHandle}", (*Handler).changeVisibility},
	{"POST", "/v1/queues/{name}/redrive", (*Handler).redrive},
	{"GET", "/v1/queues/{name}/redrive", (*Handler).redriveTasks},
	{"GET", "/v1/queues/{name}/redrive/{taskHandle}", (*Handler).redriveTask},
	{"DELETE", "/v1/queues/{name}/redrive/{taskHandle}", (*Handler).cancelRedrive},

	{"POST", "/v1/functions", (*Handler).createFunction},
	{"GET", "/v1/functions", (*Handler).listFunctions},
	{"GET", "/v1/functions/{name}", (*Handler).getFunction},
	{"PATCH", "/v1/functions/{name}", (*Handler).updateFunction},
	{"PUT", "/v1/functions/{name}/code", (*Handler).updateFunctionCode},
	{"DELETE", "/v1/functions/{name}", (*Handler).deleteFunction},
	{"POST", "/v1/functions/{name}/invocations", (*Handler).invoke},
	{"GET", "/v1/functions/{name}/logs", (*Handler).functionLogs},
}

// New builds the handler over the engine services; it serves every route
// of the route table and nothing else.
func New(queues *queue.Service, topics *topic.Service, functions *function.Service, log *slog.Logger, opts ...Option) *Handler {
	h := &Handler{queues: queues, topics: topics, functions: functions, log: log, mux: http.NewServeMux()}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	for _, rt := range routes {
		handle := rt.handle
		h.mux.HandleFunc(rt.pattern(), func(w http.ResponseWriter, r *http.Request) { handle(h, w, r) })
	}
	return h
}

// ServeHTTP serves one request. Paths outside the route table are answered
// 404 not_found, and known paths with another method 405, both with the
// error body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		// The mux answers unknown paths (404) and wrong methods (405, with
		// Allow); replace its text body with the error shape.
		rec := &statusOnly{ResponseWriter: w}
		h.mux.ServeHTTP(rec, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// statusOnly turns the mux's plain-text 404/405 answers into error bodies.
type statusOnly struct {
	http.ResponseWriter
	wrote bool
}

func (s *statusOnly) WriteHeader(status int) {
	if s.wrote {
		return
	}
	s.wrote = true
	e := &abanico.Error{Code: abanico.CodeNotFound, Message: "no such resource"}
	if status == http.StatusMethodNotAllowed {
		e = &abanico.Error{Code: abanico.CodeInvalidParameter, Message: "method not allowed"}
	}
	s.ResponseWriter.Header().Del("X-Content-Type-Options")
	writeJSON(s.ResponseWriter, status, abanico.ErrorResponse{Error: e})
}

func (s *statusOnly) Write(p []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return len(p), nil
}

// requestError is a fault in the request itself, found before any service
// is called.
type requestError struct {
	status int
	body   abanico.Error
}

func (e *requestError) Error() string { return e.body.Message }

func badRequest(field, format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, abanico.Error{Code: abanico.CodeInvalidParameter, Message: fmt.Sprintf(format, args...), Field: field}}
}

// classify maps a service error code to an HTTP status and native code;
// codes it does not list are the caller's fault (400 invalid_parameter).
// The queue service's ResourceNotFoundException is the function service's
// code, so one case covers both.
func classify(code string) (int, string) {
	switch code {
	case topic.CodeNotFound, topic.CodeResourceNotFound, queue.CodeQueueDoesNotExist,
		function.CodeResourceNotFound:
		return http.StatusNotFound, abanico.CodeNotFound
	case function.CodeResourceConflict, queue.CodeQueueAlreadyExists, "QueueAlreadyExists":
		return http.StatusConflict, abanico.CodeConflict
	case function.CodeTooManyRequests, queue.CodePurgeQueueInProgress, queue.CodeOverLimit:
		return http.StatusTooManyRequests, abanico.CodeThrottled
	case function.CodeRequestTooLarge, "RequestTooLarge", queue.CodeBatchRequestTooLong:
		return http.StatusRequestEntityTooLarge, abanico.CodeTooLarge
	}
	return http.StatusBadRequest, abanico.CodeInvalidParameter
}

// writeError answers err: a service error by its code, a request error as
// it is, anything else as an internal error (logged, never shown). field
// names the request field at fault for invalid_parameter answers.
func (h *Handler) writeError(w http.ResponseWriter, err error, field string) {
	var re *requestError
	if errors.As(err, &re) {
		writeJSON(w, re.status, abanico.ErrorResponse{Error: &re.body})
		return
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Server {
		h.log.Error("native api", "err", err)
		writeJSON(w, http.StatusInternalServerError, abanico.ErrorResponse{Error: internalError()})
		return
	}
	status, _ := classify(ae.Code)
	writeJSON(w, status, abanico.ErrorResponse{Error: errorOf(ae, field)})
}

// internalError is what a server fault shows: nothing of its cause.
func internalError() *abanico.Error {
	return &abanico.Error{Code: abanico.CodeInternal, Message: "internal error"}
}

// errorOf is the native form of a service error (of a request, or of a
// batch entry); field is kept for invalid_parameter errors only.
func errorOf(e *apierr.Error, field string) *abanico.Error {
	if e.Server {
		return internalError()
	}
	_, code := classify(e.Code)
	if code != abanico.CodeInvalidParameter {
		field = ""
	}
	return &abanico.Error{Code: code, Message: e.Message, Field: field}
}

// reply answers v with status, or err when it is set (field as for
// writeError): the common end of a handler. v is evaluated first, so it
// must not depend on err being nil.
func (h *Handler) reply(w http.ResponseWriter, status int, v any, err error, field string) {
	if err != nil {
		h.writeError(w, err, field)
		return
	}
	writeJSON(w, status, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeBody reads the JSON request body into v, rejecting unknown fields,
// trailing data and bodies over maxBody. An empty body is an error unless
// optional is set (then v keeps its zero value).
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	return decodeBodyLimit(w, r, v, optional, maxBody)
}

// decodeBodyLimit is decodeBody with another bound than maxBody.
func decodeBodyLimit(w http.ResponseWriter, r *http.Request, v any, optional bool, limit int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return badRequest("", "request body is required")
	}
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			return badRequest("", "request body must hold exactly one JSON value")
		}
		return nil
	}
	return jsonError(err)
}

// fieldOf names the request field a service error is about: the field
// paired with the first text its message holds (pairs of text and field),
// else def.
func fieldOf(err error, def string, pairs ...string) string {
	msg := err.Error()
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Contains(msg, pairs[i]) {
			return pairs[i+1]
		}
	}
	return def
}

// readMessage reads the body of a one-message request (a publish or a
// send) into m; id is m's batch entry id, which such a request must not
// have.
func readMessage(w http.ResponseWriter, r *http.Request, m any, id *string) error {
	if err := decodeBody(w, r, m, false); err != nil {
		return err
	}
	if *id != "" {
		return badRequest("id", "id is only for batch entries")
	}
	return nil
}

// entryPrefix is the field path of a batch request's entry i.
func entryPrefix(i int) string { return fmt.Sprintf("messages[%d].", i) }

// batchInputs translates the entries of a batch request (a publish or a
// send) with in, each with its field path; the first entry in error fails
// them all.
func batchInputs[M, In any](entries []M, in func(prefix string, m *M) (In, error)) ([]In, error) {
	out := make([]In, len(entries))
	for i := range entries {
		var err error
		if out[i], err = in(entryPrefix(i), &entries[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batchResult is the outcome of batch entry i: ok, or when the service
// refused the entry, its error, with the field at fault named by field
// (from the service's message and the entry's field path).
func batchResult(i int, ok abanico.BatchResult, err *apierr.Error, field func(msg, prefix string) string) abanico.BatchResult {
	if err == nil {
		return ok
	}
	return abanico.BatchResult{ID: ok.ID, Error: errorOf(err, field(err.Message, entryPrefix(i)))}
}

// jsonError describes a JSON decoding failure, naming the field at fault
// when the decoder tells it.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &requestError{http.StatusRequestEntityTooLarge, abanico.Error{Code: abanico.CodeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badRequest(te.Field, "field %s must be of type %s", te.Field, jsonType(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return badRequest("", "malformed JSON at byte %d: %v", se.Offset, se)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		return badRequest(f, "unknown field %q", f)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("", "malformed JSON: unexpected end of input")
	}
	return badRequest("", "malformed JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	case "ptr", "interface":
		return "a JSON value"
	}
	return "number"
}

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string) (*int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, badRequest(name, "%s must be an integer", name)
	}
	return &n, nil
}

// queryBool reads an optional boolean query parameter (false when absent).
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(name, "%s must be true or false", name)
	}
	return b, nil
}

// views renders listed items with view, skipping items deleted between
// the listing and their rendering; it never returns nil.
func views[T, V any](ctx context.Context, items []T, view func(context.Context, T) (V, error)) ([]V, error) {
	out := make([]V, 0, len(items))
	for _, it := range items {
		v, err := view(ctx, it)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
