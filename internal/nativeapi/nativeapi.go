// Package nativeapi is Abanico's own REST/JSON API, versioned under /v1. It
// translates requests to the same engine services the AWS front ends use;
// it implements no behaviour of its own.
package nativeapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/abanico/abanico/internal/apierr"
	"github.com/abanico/abanico/internal/function"
	"github.com/abanico/abanico/internal/topic"
)

// Handler serves /v1.
type Handler struct {
	topics    *topic.Service
	functions *function.Service
	log       *slog.Logger
	mux       *http.ServeMux
}

// New builds the handler.
func New(topics *topic.Service, functions *function.Service, log *slog.Logger) *Handler {
	h := &Handler{topics: topics, functions: functions, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /v1/subscriptions/{arn}/attempts", h.attempts)
	h.mux.HandleFunc("GET /v1/functions/{name}/logs", h.functionLogs)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// attempts returns an endpoint subscription's recent delivery attempts,
// counters, circuit state and backlog.
func (h *Handler) attempts(w http.ResponseWriter, r *http.Request) {
	st, err := h.topics.EndpointStats(r.Context(), r.PathValue("arn"))
	if err != nil {
		h.writeError(w, err, "arn")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// functionLogs returns the tail of a function's captured output (stdout,
// stderr and the START/END/REPORT lines), as text; ?bytes=N bounds it.
func (h *Handler) functionLogs(w http.ResponseWriter, r *http.Request) {
	n := 0
	if v := r.URL.Query().Get("bytes"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]Error{"error": {Code: "invalid_parameter", Message: "bytes must be a non-negative integer", Field: "bytes"}})
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

// Error is the body of every native API error: a stable code, a message
// and, when one parameter is at fault, its name.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (h *Handler) writeError(w http.ResponseWriter, err error, field string) {
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Server {
		h.log.Error("native api", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]Error{"error": {Code: "internal", Message: "internal error"}})
		return
	}
	status, code := http.StatusBadRequest, "invalid_parameter"
	switch ae.Code {
	case topic.CodeNotFound, topic.CodeResourceNotFound, function.CodeResourceNotFound:
		status, code, field = http.StatusNotFound, "not_found", ""
	}
	writeJSON(w, status, map[string]Error{"error": {Code: code, Message: ae.Message, Field: field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
