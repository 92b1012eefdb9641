// Package sqsapi is the SQS front end: it speaks both SQS wire protocols on
// one endpoint — AWS JSON 1.0 (X-Amz-Target: AmazonSQS.<Action>, what
// current SDKs send) and the query protocol (form-encoded Action=..., XML
// responses, what older SDKs and CLIs send) — and translates every action to
// the queue service. It holds no queue behaviour of its own.
package sqsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/uuid"
)

// MaxRequestBytes bounds a request body (ten 1 MiB entries plus encoding).
const MaxRequestBytes = 16 << 20

// Handler serves the SQS API.
type Handler struct {
	svc *queue.Service
	log *slog.Logger
}

// New returns the SQS handler.
func New(svc *queue.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, log: log}
}

// protocol is the wire format of one request.
type protocol int

const (
	protoJSON protocol = iota
	protoQuery
)

// call is one decoded request.
type call struct {
	action  string
	proto   protocol
	in      *input
	r       *http.Request
	reqID   string
	pathURL string // queue URL implied by a POST to the queue's URL
}

// IsSQSRequest reports whether r is addressed to the SQS API: an
// AmazonSQS JSON target, or a query request (its Action is decided later).
func IsSQSRequest(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
}

func newRequestID() string { return uuid.New() }

// ServeHTTP decodes the request in whichever protocol it uses, runs the
// action and answers in the same protocol.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, reqID: newRequestID()}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		h.writeError(w, c, &queue.Error{Code: "InvalidRequest", Message: "Could not read the request body."})
		return
	}
	if len(body) > MaxRequestBytes {
		h.writeError(w, c, &queue.Error{Code: "RequestEntityTooLarge", Message: "The request is too large."})
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		c.proto = protoJSON
		svc, action, _ := strings.Cut(target, ".")
		c.action = action
		if svc != "AmazonSQS" {
			h.writeError(w, c, &queue.Error{Code: "UnknownOperationException", Message: "The action " + target + " is not valid for this endpoint."})
			return
		}
		c.in, err = decodeJSON(body)
		if err != nil {
			h.writeError(w, c, &queue.Error{Code: "SerializationException", Message: err.Error()})
			return
		}
	} else {
		form, err := ParseForm(r, body)
		if err != nil {
			c.proto = protoQuery
			h.writeError(w, c, &queue.Error{Code: queue.CodeInvalidParameterValue, Message: "Malformed form-encoded request body."})
			return
		}
		h.ServeForm(w, r, form)
		return
	}
	h.run(w, c)
}

// ParseForm merges a query-protocol request's URL query and form body.
func ParseForm(r *http.Request, body []byte) (url.Values, error) {
	form := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && (ct == "application/x-www-form-urlencoded" || ct == "") {
		bodyForm, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range bodyForm {
			form[k] = v
		}
	}
	return form, nil
}

// ServeForm serves a query-protocol request whose parameters are parsed.
func (h *Handler) ServeForm(w http.ResponseWriter, r *http.Request, form url.Values) {
	c := &call{r: r, reqID: newRequestID(), proto: protoQuery, action: form.Get("Action")}
	var err error
	c.in, err = decodeQuery(form)
	if err != nil {
		var pe *paramError
		if errors.As(err, &pe) {
			h.writeError(w, c, &queue.Error{Code: queue.CodeInvalidParameterValue, Message: pe.msg})
		} else {
			h.writeError(w, c, &queue.Error{Code: queue.CodeInvalidParameterValue, Message: err.Error()})
		}
		return
	}
	h.run(w, c)
}

// run executes a decoded call.
func (h *Handler) run(w http.ResponseWriter, c *call) {
	r := c.r
	if p := strings.Trim(r.URL.Path, "/"); p != "" {
		c.pathURL = "http://" + r.Host + "/" + p
	}
	fn, ok := actions[c.action]
	if !ok {
		msg := fmt.Sprintf("The action %s is not valid for this web service.", c.action)
		if c.action == "" {
			msg = "The request must contain the parameter Action."
		}
		code := "InvalidAction"
		if c.proto == protoJSON {
			code = "UnknownOperationException"
		}
		h.writeError(w, c, &queue.Error{Code: code, Message: msg})
		return
	}
	out, err := fn(h, r.Context(), c)
	if err != nil {
		h.writeError(w, c, err)
		return
	}
	h.writeResult(w, c, out)
}

func (h *Handler) writeResult(w http.ResponseWriter, c *call, out obj) {
	w.Header().Set("x-amzn-RequestId", c.reqID)
	if c.proto == protoJSON {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(encodeJSON(out))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(encodeXML(c.action, out, c.reqID))
}

// queryCodes maps error shape names to the codes the query protocol (and
// the JSON protocol's x-amzn-query-error header) uses.
var queryCodes = map[string]string{
	queue.CodeQueueDoesNotExist:            "AWS.SimpleQueueService.NonExistentQueue",
	queue.CodeQueueAlreadyExists:           "QueueAlreadyExists",
	queue.CodeBatchEntryIdsNotDistinct:     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	queue.CodeBatchRequestTooLong:          "AWS.SimpleQueueService.BatchRequestTooLong",
	queue.CodeEmptyBatchRequest:            "AWS.SimpleQueueService.EmptyBatchRequest",
	queue.CodeInvalidBatchEntryID:          "AWS.SimpleQueueService.InvalidBatchEntryId",
	queue.CodeMessageNotInflight:           "AWS.SimpleQueueService.MessageNotInflight",
	queue.CodePurgeQueueInProgress:         "AWS.SimpleQueueService.PurgeQueueInProgress",
	queue.CodeTooManyEntriesInBatchRequest: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	queue.CodeUnsupportedOperation:         "AWS.SimpleQueueService.UnsupportedOperation",
}

// QueryCode is the query-protocol code of an error shape.
func QueryCode(shape string) string {
	if c, ok := queryCodes[shape]; ok {
		return c
	}
	return shape
}

func (h *Handler) writeError(w http.ResponseWriter, c *call, err error) {
	var qe *queue.Error
	if !errors.As(err, &qe) {
		if errors.Is(err, context.Canceled) {
			qe = &queue.Error{Code: "RequestCanceled", Message: "The request was canceled."}
		} else {
			h.log.Error("sqs request failed", "action", c.action, "err", err)
			qe = &queue.Error{Code: queue.CodeInternalError, Message: "We encountered an internal error. Please try again.", Server: true}
		}
	}
	status := http.StatusBadRequest
	fault := "Sender"
	if qe.Cause != nil {
		h.log.Error("sqs request failed", "action", c.action, "err", qe.Cause)
	}
	if qe.Server {
		status = http.StatusInternalServerError
		fault = "Receiver"
	}
	if qe.Code == "RequestEntityTooLarge" {
		status = http.StatusRequestEntityTooLarge
	}
	w.Header().Set("x-amzn-RequestId", c.reqID)
	if c.proto == protoJSON {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("x-amzn-query-error", QueryCode(qe.Code)+";"+fault)
		w.WriteHeader(status)
		_, _ = w.Write(encodeJSON(obj{f("__type", "com.amazonaws.sqs#"+qe.Code), f("message", qe.Message)}))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var b xmlBuf
	b.WriteString(`<?xml version="1.0"?><ErrorResponse xmlns="` + xmlns + `"><Error>`)
	b.Elem("Type", fault)
	b.Elem("Code", QueryCode(qe.Code))
	b.Elem("Message", qe.Message)
	b.WriteString("<Detail/></Error>")
	b.Elem("RequestId", c.reqID)
	b.WriteString("</ErrorResponse>")
	_, _ = w.Write(b.Bytes())
}
