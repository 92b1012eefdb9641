// Package nativeapi is Abanico's own REST/JSON API, versioned under /v1. It
// translates requests to the same engine services the AWS front ends use;
// it implements no behaviour of its own.
package nativeapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/abanico/abanico/internal/apierr"
	"github.com/abanico/abanico/internal/topic"
)

// Handler serves /v1.
type Handler struct {
	topics *topic.Service
	log    *slog.Logger
	mux    *http.ServeMux
}

// New builds the handler.
func New(topics *topic.Service, log *slog.Logger) *Handler {
	h := &Handler{topics: topics, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /v1/subscriptions/{arn}/attempts", h.attempts)
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
	case topic.CodeNotFound, topic.CodeResourceNotFound:
		status, code, field = http.StatusNotFound, "not_found", ""
	}
	writeJSON(w, status, map[string]Error{"error": {Code: code, Message: ae.Message, Field: field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
