// Package snsapi is the SNS front end. SNS speaks only the AWS query
// protocol: form-encoded parameters (POST body or URL query) with
// Action=...&Version=2010-03-31, answered in XML. Every action is decoded
// into a plain input value and translated to the topic service; the
// package holds no topic behaviour of its own.
package snsapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/abanico/abanico/internal/awsproto"
	"github.com/abanico/abanico/internal/topic"
	"github.com/abanico/abanico/internal/uuid"
)

// Version is the SNS API version.
const Version = "2010-03-31"

// XMLNS is the SNS query protocol's XML namespace.
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// MaxRequestBytes bounds a request body: a PublishBatch of ten entries,
// form-encoded (base64 binary attributes, percent escapes), fits.
const MaxRequestBytes = 16 << 20

// Handler serves the SNS API.
type Handler struct {
	svc *topic.Service
	log *slog.Logger
}

// New returns the SNS handler.
func New(svc *topic.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, log: log}
}

// Actions SNS has and SQS has not (every operation of the SNS model but
// AddPermission and RemovePermission, which both services have).
var snsOnlyActions = map[string]bool{
	"CheckIfPhoneNumberIsOptedOut": true, "ConfirmSubscription": true, "CreatePlatformApplication": true,
	"CreatePlatformEndpoint": true, "CreateSMSSandboxPhoneNumber": true, "CreateTopic": true,
	"DeleteEndpoint": true, "DeletePlatformApplication": true, "DeleteSMSSandboxPhoneNumber": true,
	"DeleteTopic": true, "GetDataProtectionPolicy": true, "GetEndpointAttributes": true,
	"GetPlatformApplicationAttributes": true, "GetSMSAttributes": true, "GetSMSSandboxAccountStatus": true,
	"GetSubscriptionAttributes": true, "GetTopicAttributes": true, "ListEndpointsByPlatformApplication": true,
	"ListOriginationNumbers": true, "ListPhoneNumbersOptedOut": true, "ListPlatformApplications": true,
	"ListSMSSandboxPhoneNumbers": true, "ListSubscriptions": true, "ListSubscriptionsByTopic": true,
	"ListTagsForResource": true, "ListTopics": true, "OptInPhoneNumber": true, "Publish": true,
	"PublishBatch": true, "PutDataProtectionPolicy": true, "SetEndpointAttributes": true,
	"SetPlatformApplicationAttributes": true, "SetSMSAttributes": true, "SetSubscriptionAttributes": true,
	"SetTopicAttributes": true, "Subscribe": true, "TagResource": true, "Unsubscribe": true,
	"UntagResource": true, "VerifySMSSandboxPhoneNumber": true,
}

// IsSNSRequest reports whether a query-protocol request (its parameters
// already parsed into form) is for SNS rather than SQS, which share the
// endpoint: its SigV4 credential scope names the sns service (in the
// Authorization header, or X-Amz-Credential of a presigned request), or it
// carries SNS's API Version, or its Action exists only in SNS. The actions
// both services have (AddPermission, RemovePermission) count as SNS when
// they name a TopicArn and no QueueUrl.
func IsSNSRequest(r *http.Request, form url.Values) bool {
	if r != nil && credentialService(r.Header.Get("Authorization")) == "sns" {
		return true
	}
	if credentialService("Credential="+form.Get("X-Amz-Credential")) == "sns" {
		return true
	}
	if form.Get("Version") == Version {
		return true
	}
	act := form.Get("Action")
	if snsOnlyActions[act] {
		return true
	}
	if act == "AddPermission" || act == "RemovePermission" {
		return form.Get("TopicArn") != "" && form.Get("QueueUrl") == ""
	}
	return false
}

// signed reports whether a request carries AWS credentials: a SigV4
// Authorization header or a presigned URL. Links followed from a message
// (SubscribeURL, UnsubscribeURL) carry none.
func signed(r *http.Request, form url.Values) bool {
	return strings.Contains(r.Header.Get("Authorization"), "Credential=") || form.Get("X-Amz-Credential") != ""
}

// credentialService returns the service of a SigV4 credential scope
// (Credential=AKID/20261126/us-east-1/sns/aws4_request) in an
// Authorization header value, or "".
func credentialService(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(cred, ", "); i >= 0 {
		cred = cred[:i]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 || parts[len(parts)-1] != "aws4_request" {
		return ""
	}
	return parts[len(parts)-2]
}

func newRequestID() string { return uuid.New() }

// ReadForm returns a query request's parameters: the URL query, plus a
// form-encoded POST body (whose parameters win). It consumes the body.
func ReadForm(r *http.Request) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &topic.Error{Code: "MalformedQueryString", Message: "The query string is malformed."}
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return form, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		return nil, &topic.Error{Code: "MalformedQueryString", Message: "Could not read the request body."}
	}
	if len(body) > MaxRequestBytes {
		return nil, &topic.Error{Code: "RequestEntityTooLarge", Message: "The request is too large."}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" && ct != "" {
		return form, nil
	}
	bodyForm, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &topic.Error{Code: "MalformedQueryString", Message: "The request body is not a valid form-encoded string."}
	}
	for k, v := range bodyForm {
		form[k] = v
	}
	return form, nil
}

// ServeHTTP reads the request's parameters and serves it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, err := ReadForm(r)
	if err != nil {
		h.writeError(w, "", newRequestID(), err)
		return
	}
	h.ServeForm(w, r, form)
}

// ServeForm serves a request whose parameters the caller has parsed
// (GET links such as UnsubscribeURL and SubscribeURL included).
func (h *Handler) ServeForm(w http.ResponseWriter, r *http.Request, form url.Values) {
	reqID := newRequestID()
	name := form.Get("Action")
	act, ok := actions[name]
	if !ok {
		if name == "" {
			h.writeError(w, name, reqID, &topic.Error{Code: "MissingAction", Message: "The request must contain the parameter Action."})
			return
		}
		h.writeError(w, name, reqID, &topic.Error{Code: "InvalidAction", Message: "The action " + name + " is not valid for this web service."})
		return
	}
	in, err := act.decode(form)
	if err != nil {
		h.writeError(w, name, reqID, err)
		return
	}
	out, err := act.run(h, topic.WithAuthenticated(r.Context(), signed(r, form)), in)
	if err != nil {
		h.writeError(w, name, reqID, err)
		return
	}
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(awsproto.EncodeXML(XMLNS, name, out, reqID))
}

// wireCodes maps the service's codes to the codes SNS sends where they
// differ (the model's InvalidParameterValueException is ParameterValueInvalid).
var wireCodes = map[string]string{
	topic.CodeInvalidParameterValue: "ParameterValueInvalid",
}

func wireCode(code string) string {
	if c, ok := wireCodes[code]; ok {
		return c
	}
	return code
}

// errorStatus is the HTTP status of the error codes that are not 400,
// from the model's error shapes.
var errorStatus = map[string]int{
	topic.CodeNotFound:           http.StatusNotFound,
	topic.CodeResourceNotFound:   http.StatusNotFound,
	topic.CodeAuthorizationError: http.StatusForbidden,
	"InvalidSecurity":            http.StatusForbidden,
	"SubscriptionLimitExceeded":  http.StatusForbidden,
	"TopicLimitExceeded":         http.StatusForbidden,
	"FilterPolicyLimitExceeded":  http.StatusForbidden,
	"KMSOptInRequired":           http.StatusForbidden,
	"Throttled":                  http.StatusTooManyRequests,
	"RequestEntityTooLarge":      http.StatusRequestEntityTooLarge,
	topic.CodeInternalError:      http.StatusInternalServerError,
}

// toError converts any failure to the SNS error to answer with.
func (h *Handler) toError(action string, err error) *topic.Error {
	var te *topic.Error
	if errors.As(err, &te) {
		if te.Cause != nil || te.Server {
			h.log.Error("sns request failed", "action", action, "err", err)
		}
		return te
	}
	if errors.Is(err, context.Canceled) {
		return &topic.Error{Code: "RequestCanceled", Message: "The request was canceled."}
	}
	h.log.Error("sns request failed", "action", action, "err", err)
	return &topic.Error{Code: topic.CodeInternalError, Message: "Internal Error", Server: true}
}

// errorResponse is the status and XML body of an error.
func errorResponse(te *topic.Error, reqID string) (int, []byte) {
	status, ok := errorStatus[te.Code]
	if !ok {
		status = http.StatusBadRequest
	}
	fault := "Sender"
	if te.Server {
		status = http.StatusInternalServerError
		fault = "Receiver"
	}
	var b awsproto.XMLBuf
	b.WriteString(`<?xml version="1.0"?><ErrorResponse xmlns="` + XMLNS + `"><Error>`)
	b.Elem("Type", fault)
	b.Elem("Code", wireCode(te.Code))
	b.Elem("Message", te.Message)
	b.WriteString("</Error>")
	b.Elem("RequestId", reqID)
	b.WriteString("</ErrorResponse>")
	return status, b.Bytes()
}

func (h *Handler) writeError(w http.ResponseWriter, action, reqID string, err error) {
	status, body := errorResponse(h.toError(action, err), reqID)
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// CertContentType is the media type the signing certificate is served as.
const CertContentType = "application/x-x509-ca-cert"

// CertHandler serves the signing certificate (a message's SigningCertURL)
// at svc.CertPath(), for GET and HEAD.
func CertHandler(svc *topic.Service) http.Handler {
	return certHandler(svc.CertPath, svc.CertPEM)
}

func certHandler(path func() string, pem func() []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path() {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", CertContentType)
		_, _ = w.Write(pem())
	})
}
