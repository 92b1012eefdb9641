package lambdaruntime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Runtime API paths and headers, as AWS Lambda defines them.
const (
	apiBase = "/2018-06-01/runtime"

	hdrRequestID     = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline      = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID       = "Lambda-Runtime-Trace-Id"
	hdrClientContext = "Lambda-Runtime-Client-Context"
	hdrErrorType     = "Lambda-Runtime-Function-Error-Type"
	// hdrErrorBody is a trailer that runtimes streaming a response set,
	// base64 encoded, when producing the response failed midway.
	hdrErrorBody = "Lambda-Runtime-Function-Error-Body"

	// maxResponseBytes is Lambda's limit on a synchronous response.
	maxResponseBytes = 6291556
	// maxDiscardBytes bounds what is read past the limit so that the
	// runtime can still be answered.
	maxDiscardBytes = 64 << 20
)

// routes serves the Runtime API of this process.
func (p *process) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiBase+"/invocation/next", p.handleNext)
	mux.HandleFunc("POST "+apiBase+"/invocation/{id}/response", p.handleResponse)
	mux.HandleFunc("POST "+apiBase+"/invocation/{id}/error", p.handleError)
	mux.HandleFunc("POST "+apiBase+"/init/error", p.handleInitError)
	return mux
}

// handleNext ends init (first call) or the invocation that has its response
// (later calls), then blocks until an invocation is assigned and answers it
// with AWS's headers. The invocation's timeout starts here.
func (p *process) handleNext(w http.ResponseWriter, req *http.Request) {
	p.mu.Lock()
	first := !p.ready
	if first {
		p.ready = true
		p.endInitLocked()
	}
	if c := p.cur; c != nil && c.completed {
		p.cur = nil
		close(c.next)
	}
	p.mu.Unlock()
	if first {
		// Init output goes before the START line.
		p.drainLogs()
	}

	var inv *invocation
	select {
	case inv = <-p.assign:
	case <-req.Context().Done():
		return
	case <-p.exited:
		return
	}

	p.mu.Lock()
	if inv.abandoned {
		p.mu.Unlock()
		writeErrorDoc(w, http.StatusInternalServerError, "Invocation withdrawn", "Runtime.Unknown")
		return
	}
	now := time.Now()
	inv.delivered = true
	inv.deliveredAt = now
	inv.deadline = now.Add(inv.timeout)
	p.cur = inv
	p.mu.Unlock()

	// START precedes anything the handler prints.
	p.fs.platform(inv, "START RequestId: "+inv.id+" Version: "+inv.version)
	close(inv.deliveredCh)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(hdrRequestID, inv.id)
	h.Set(hdrDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(hdrFunctionARN, inv.arn)
	h.Set(hdrTraceID, inv.traceID)
	if inv.clientContext != "" {
		h.Set(hdrClientContext, inv.clientContext)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// handleResponse records the runtime's response to the current invocation.
func (p *process) handleResponse(w http.ResponseWriter, req *http.Request) {
	inv, ok := p.lookup(w, req.PathValue("id"))
	if !ok {
		return
	}
	body, tooLarge, err := readLimited(req.Body, maxResponseBytes)
	if err != nil {
		writeErrorDoc(w, http.StatusBadRequest, "Reading the response failed: "+err.Error(), "InvalidRequest")
		return
	}
	switch {
	case tooLarge:
		doc := errorDocument(fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseBytes), "Function.ResponseSizeTooLarge")
		if !p.complete(inv, doc, "Unhandled") {
			writeInvalidRequestID(w)
			return
		}
		writeErrorDoc(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseBytes), "RequestEntityTooLarge")
		return
	case req.Trailer.Get(hdrErrorType) != "":
		// The runtime failed while streaming its response.
		doc, derr := base64.StdEncoding.DecodeString(req.Trailer.Get(hdrErrorBody))
		if derr != nil || !json.Valid(doc) {
			doc = errorDocument("Unknown application error occurred", req.Trailer.Get(hdrErrorType))
		}
		if !p.complete(inv, doc, "Unhandled") {
			writeInvalidRequestID(w)
			return
		}
	default:
		if !p.complete(inv, body, "") {
			writeInvalidRequestID(w)
			return
		}
	}
	writeAccepted(w)
}

// handleError records the error document the runtime reports for the
// current invocation.
func (p *process) handleError(w http.ResponseWriter, req *http.Request) {
	inv, ok := p.lookup(w, req.PathValue("id"))
	if !ok {
		return
	}
	body, _, err := readLimited(req.Body, maxResponseBytes)
	if err != nil {
		writeErrorDoc(w, http.StatusBadRequest, "Reading the error failed: "+err.Error(), "InvalidRequest")
		return
	}
	if !p.complete(inv, errorBody(body, req.Header.Get(hdrErrorType)), "Unhandled") {
		writeInvalidRequestID(w)
		return
	}
	writeAccepted(w)
}

// handleInitError records an init failure; the process is then considered
// failed, and the invocation waiting on it fails with the document.
func (p *process) handleInitError(w http.ResponseWriter, req *http.Request) {
	body, _, err := readLimited(req.Body, maxResponseBytes)
	if err != nil {
		writeErrorDoc(w, http.StatusBadRequest, "Reading the error failed: "+err.Error(), "InvalidRequest")
		return
	}
	errType := req.Header.Get(hdrErrorType)
	p.mu.Lock()
	if p.ready {
		p.mu.Unlock()
		writeErrorDoc(w, http.StatusForbidden, "Init error reported after init ended", "InvalidStateTransition")
		return
	}
	if p.initErr == nil {
		if errType == "" {
			errType = "Runtime.Unknown"
		}
		p.initErr = errorBody(body, errType)
		p.initErrType = errType
		p.endInitLocked()
		close(p.initFailed)
	}
	p.mu.Unlock()
	writeAccepted(w)
}

// lookup returns the current invocation if it is id and still waits for
// its outcome; otherwise it answers the runtime and reports false.
func (p *process) lookup(w http.ResponseWriter, id string) (*invocation, bool) {
	p.mu.Lock()
	inv := p.cur
	p.mu.Unlock()
	if inv == nil || inv.id != id {
		writeInvalidRequestID(w)
		return nil, false
	}
	return inv, true
}

// complete records the outcome of inv unless it already has one or was
// given up; it reports whether it did.
func (p *process) complete(inv *invocation, payload []byte, functionError string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != inv || inv.completed || inv.abandoned {
		return false
	}
	inv.completed = true
	inv.completedAt = time.Now()
	inv.result = payload
	inv.functionError = functionError
	close(inv.done)
	return true
}

// readLimited reads up to limit bytes of r; past that it reports tooLarge
// and discards (boundedly) the rest so the caller can still answer.
func readLimited(r io.Reader, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		_, _ = io.Copy(io.Discard, io.LimitReader(r, maxDiscardBytes))
		return nil, true, nil
	}
	return body, false, nil
}

// errorBody is the error document to return for a body posted to an error
// endpoint: the body itself when it is a JSON object, else a document
// wrapping it.
func errorBody(body []byte, errType string) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		return body
	}
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	msg := string(body)
	if len(trimmed) == 0 {
		msg = "Unknown application error occurred"
	}
	return errorDocument(msg, errType)
}

// errorDoc is Lambda's error document. Timeouts carry only a message.
type errorDoc struct {
	ErrorType    string `json:"errorType,omitempty"`
	ErrorMessage string `json:"errorMessage"`
}

func errorDocument(msg, errType string) []byte {
	b, err := json.Marshal(errorDoc{ErrorType: errType, ErrorMessage: msg})
	if err != nil { // cannot happen: two strings
		return []byte(`{"errorMessage":"Unknown application error occurred"}`)
	}
	return b
}

func writeErrorDoc(w http.ResponseWriter, status int, msg, errType string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorDocument(msg, errType))
}

func writeInvalidRequestID(w http.ResponseWriter) {
	writeErrorDoc(w, http.StatusBadRequest, "Invalid request ID", "InvalidRequestID")
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}` + "\n"))
}
