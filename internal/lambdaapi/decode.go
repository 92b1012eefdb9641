package lambdaapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/abanico/abanico/internal/function"
)

// Request bodies, shaped as the restJson1 protocol sends them. Members
// the service has no use for (VpcConfig, TracingConfig, EphemeralStorage,
// ...) are accepted and ignored, so that deployment tools which always
// send them work; members whose absence would change what the function
// does (code from S3 or an image, layers, destinations) are rejected.

// codeIn is a code source: CreateFunction's Code, or UpdateFunctionCode's
// top-level members.
type codeIn struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageURI        string `json:"ImageUri"`
}

type environmentIn struct {
	Variables map[string]string `json:"Variables"`
}

type createRequest struct {
	FunctionName  string            `json:"FunctionName"`
	Runtime       string            `json:"Runtime"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Code          *codeIn           `json:"Code"`
	Description   string            `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	Environment   *environmentIn    `json:"Environment"`
	Tags          map[string]string `json:"Tags"`
	Architectures []string          `json:"Architectures"`
	Publish       bool              `json:"Publish"`
	PackageType   string            `json:"PackageType"`
	Layers        []string          `json:"Layers"`
}

type updateCodeRequest struct {
	codeIn
	RevisionID    string   `json:"RevisionId"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	Architectures []string `json:"Architectures"`
}

type updateConfigRequest struct {
	Runtime     *string        `json:"Runtime"`
	Handler     *string        `json:"Handler"`
	Role        *string        `json:"Role"`
	Description *string        `json:"Description"`
	Timeout     *int           `json:"Timeout"`
	MemorySize  *int           `json:"MemorySize"`
	Environment *environmentIn `json:"Environment"`
	RevisionID  string         `json:"RevisionId"`
	Layers      []string       `json:"Layers"`
}

type concurrencyRequest struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
}

type destinationIn struct {
	Destination string `json:"Destination"`
}

type eventInvokeConfigRequest struct {
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *struct {
		OnSuccess *destinationIn `json:"OnSuccess"`
		OnFailure *destinationIn `json:"OnFailure"`
	} `json:"DestinationConfig"`
}

type addPermissionRequest struct {
	StatementID      string `json:"StatementId"`
	Action           string `json:"Action"`
	Principal        string `json:"Principal"`
	SourceArn        string `json:"SourceArn"`
	SourceAccount    string `json:"SourceAccount"`
	EventSourceToken string `json:"EventSourceToken"`
	RevisionID       string `json:"RevisionId"`
}

// updateCode is a decoded UpdateFunctionCode request.
type updateCode struct {
	ZipFile    []byte
	RevisionID string
	DryRun     bool
}

// eventInvokeConfig is a decoded Put/UpdateFunctionEventInvokeConfig
// request; nil members were not given.
type eventInvokeConfig struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
}

// Limits of the asynchronous invocation settings.
const (
	maxRetryAttempts = 2
	minEventAge      = 60
	maxEventAge      = 21600
)

func invalid(format string, args ...any) *function.Error {
	return &function.Error{Code: function.CodeInvalidParameterValue, Message: fmt.Sprintf(format, args...)}
}

func serialization(format string, args ...any) *function.Error {
	return &function.Error{Code: codeSerialization, Message: fmt.Sprintf(format, args...)}
}

// decodeBody decodes a JSON request body into v; an empty body is an
// empty object. blobField names v's one base64 member, for the message
// of a malformed one. Every failure is a SerializationException whose
// message names the offending member.
func decodeBody(body []byte, v any, blobField string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return serialization("Could not parse request body: it is not valid UTF-8.")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var b64 base64.CorruptInputError
	switch {
	case errors.As(err, &syn):
		return serialization("Could not parse request body into json: %s (at offset %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return serialization("Could not parse request body: expected a JSON object, got %s.", typ.Value)
		}
		return serialization("Could not parse request body: %s: expected %s, got %s.", typ.Field, typeName(typ.Type), typ.Value)
	case errors.As(err, &b64):
		return serialization("Could not parse request body: %s is not valid base64 (at offset %d).", blobField, int64(b64))
	}
	return serialization("Could not parse request body: %s", err.Error())
}

// typeName describes the JSON value a Go type decodes from.
func typeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// zipSource returns the zip of a code source; prefix is how its members
// are named in messages ("Code." in CreateFunction).
func zipSource(c *codeIn, prefix string) ([]byte, error) {
	if c == nil {
		return nil, invalid("%s is required: provide the function's code as %sZipFile.", strings.TrimSuffix(prefix, "."), prefix)
	}
	if c.S3Bucket != "" || c.S3Key != "" || c.S3ObjectVersion != "" || c.ImageURI != "" {
		return nil, invalid("Only %sZipFile is supported: code from S3 (%sS3Bucket, %sS3Key) or a container image (%sImageUri) is not.", prefix, prefix, prefix, prefix)
	}
	if len(c.ZipFile) == 0 {
		return nil, invalid("Please provide a source for function code: %sZipFile is empty.", prefix)
	}
	return c.ZipFile, nil
}

// architecture returns the one architecture of an Architectures list, ""
// when none is given.
func architecture(list []string) (string, error) {
	switch {
	case len(list) == 0:
		return "", nil
	case len(list) > 1:
		return "", invalid("Architectures must hold exactly one architecture, got %d.", len(list))
	case list[0] != "x86_64" && list[0] != "arm64":
		return "", invalid("Value %q at 'architectures' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64].", list[0])
	}
	return list[0], nil
}

// noLayers rejects a non-empty Layers list.
func noLayers(layers []string) error {
	if len(layers) > 0 {
		return invalid("Layers are not supported: include everything the function needs in its ZipFile.")
	}
	return nil
}

// decodeCreate decodes a CreateFunction request.
func decodeCreate(body []byte) (function.CreateInput, error) {
	var req createRequest
	if err := decodeBody(body, &req, "Code.ZipFile"); err != nil {
		return function.CreateInput{}, err
	}
	switch req.PackageType {
	case "", "Zip":
	case "Image":
		return function.CreateInput{}, invalid("PackageType Image is not supported: only Code.ZipFile is.")
	default:
		return function.CreateInput{}, invalid("Value %q at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip].", req.PackageType)
	}
	zip, err := zipSource(req.Code, "Code.")
	if err != nil {
		return function.CreateInput{}, err
	}
	arch, err := architecture(req.Architectures)
	if err != nil {
		return function.CreateInput{}, err
	}
	if err := noLayers(req.Layers); err != nil {
		return function.CreateInput{}, err
	}
	in := function.CreateInput{
		Name:         req.FunctionName,
		Runtime:      req.Runtime,
		Handler:      req.Handler,
		Role:         req.Role,
		Description:  req.Description,
		Timeout:      req.Timeout,
		MemorySize:   req.MemorySize,
		Tags:         req.Tags,
		Architecture: arch,
		ZipFile:      zip,
	}
	if req.Environment != nil {
		in.Environment = req.Environment.Variables
	}
	return in, nil
}

// decodeUpdateCode decodes an UpdateFunctionCode request.
func decodeUpdateCode(body []byte) (updateCode, error) {
	var req updateCodeRequest
	if err := decodeBody(body, &req, "ZipFile"); err != nil {
		return updateCode{}, err
	}
	zip, err := zipSource(&req.codeIn, "")
	if err != nil {
		return updateCode{}, err
	}
	// The architecture is recorded at creation; a valid one is accepted
	// and left as it was.
	if _, err := architecture(req.Architectures); err != nil {
		return updateCode{}, err
	}
	return updateCode{ZipFile: zip, RevisionID: req.RevisionID, DryRun: req.DryRun}, nil
}

// decodeUpdateConfig decodes an UpdateFunctionConfiguration request. An
// Environment without Variables removes every variable.
func decodeUpdateConfig(body []byte) (function.UpdateConfigInput, error) {
	var req updateConfigRequest
	if err := decodeBody(body, &req, ""); err != nil {
		return function.UpdateConfigInput{}, err
	}
	if err := noLayers(req.Layers); err != nil {
		return function.UpdateConfigInput{}, err
	}
	in := function.UpdateConfigInput{
		Runtime:     req.Runtime,
		Handler:     req.Handler,
		Role:        req.Role,
		Description: req.Description,
		Timeout:     req.Timeout,
		MemorySize:  req.MemorySize,
		RevisionID:  req.RevisionID,
	}
	if req.Environment != nil {
		in.Environment = req.Environment.Variables
		if in.Environment == nil {
			in.Environment = map[string]string{}
		}
	}
	return in, nil
}

// decodeConcurrency decodes a PutFunctionConcurrency request.
func decodeConcurrency(body []byte) (int, error) {
	var req concurrencyRequest
	if err := decodeBody(body, &req, ""); err != nil {
		return 0, err
	}
	if req.ReservedConcurrentExecutions == nil {
		return 0, invalid("ReservedConcurrentExecutions is required.")
	}
	if n := *req.ReservedConcurrentExecutions; n < 0 {
		return 0, invalid("Value %d at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0.", n)
	}
	return *req.ReservedConcurrentExecutions, nil
}

// decodeEventInvokeConfig decodes a Put or UpdateFunctionEventInvokeConfig
// request.
func decodeEventInvokeConfig(body []byte) (eventInvokeConfig, error) {
	var req eventInvokeConfigRequest
	if err := decodeBody(body, &req, ""); err != nil {
		return eventInvokeConfig{}, err
	}
	if n := req.MaximumRetryAttempts; n != nil && (*n < 0 || *n > maxRetryAttempts) {
		return eventInvokeConfig{}, invalid("Value %d at 'maximumRetryAttempts' failed to satisfy constraint: Member must be between 0 and %d.", *n, maxRetryAttempts)
	}
	if n := req.MaximumEventAgeInSeconds; n != nil && (*n < minEventAge || *n > maxEventAge) {
		return eventInvokeConfig{}, invalid("Value %d at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must be between %d and %d.", *n, minEventAge, maxEventAge)
	}
	if d := req.DestinationConfig; d != nil &&
		((d.OnSuccess != nil && d.OnSuccess.Destination != "") || (d.OnFailure != nil && d.OnFailure.Destination != "")) {
		return eventInvokeConfig{}, invalid("DestinationConfig is not supported.")
	}
	return eventInvokeConfig{MaximumRetryAttempts: req.MaximumRetryAttempts, MaximumEventAgeInSeconds: req.MaximumEventAgeInSeconds}, nil
}

// decodeAddPermission decodes an AddPermission request: the statement and
// the revision it must apply to.
func decodeAddPermission(body []byte) (function.Statement, string, error) {
	var req addPermissionRequest
	if err := decodeBody(body, &req, ""); err != nil {
		return function.Statement{}, "", err
	}
	return function.Statement{
		Sid:              req.StatementID,
		Action:           req.Action,
		Principal:        req.Principal,
		SourceArn:        req.SourceArn,
		SourceAccount:    req.SourceAccount,
		EventSourceToken: req.EventSourceToken,
	}, req.RevisionID, nil
}

// latest is the only version functions have.
const latest = "$LATEST"

// splitQualifier splits a version or alias qualifier off a function name
// or ARN: name:q, account:function:name:q, arn:aws:lambda:region:account:function:name:q.
// A name without one is returned whole with an empty qualifier.
func splitQualifier(nameOrArn string) (string, string) {
	parts := strings.Split(nameOrArn, ":")
	n := len(parts)
	qualified := n == 2 ||
		(n == 4 && parts[1] == "function") ||
		(n == 8 && parts[0] == "arn" && parts[5] == "function")
	if !qualified || parts[n-1] == "" {
		return nameOrArn, ""
	}
	return strings.Join(parts[:n-1], ":"), parts[n-1]
}

// functionName returns the function a request names (its FunctionName
// path label, without a qualifier). The qualifier, from the name or the
// Qualifier query parameter, must be absent or $LATEST: functions have no
// published versions or aliases.
func (h *Handler) functionName(r *http.Request) (string, error) {
	return resolveName(r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), h.svc.FunctionArn)
}

// resolveName is functionName's logic; arn makes the ARN a message names.
func resolveName(label, queryQualifier string, arn func(string) string) (string, error) {
	name, qual := splitQualifier(label)
	if qual != "" && queryQualifier != "" && qual != queryQualifier {
		return "", invalid("The derived qualifier from the function name does not match the specified qualifier.")
	}
	if qual == "" {
		qual = queryQualifier
	}
	if qual != "" && qual != latest {
		full := name
		if !strings.HasPrefix(name, "arn:") {
			_, short, ok := strings.Cut(name, ":function:")
			if !ok {
				short = name
			}
			full = arn(short)
		}
		return "", &function.Error{Code: function.CodeResourceNotFound,
			Message: "Function not found: " + full + ":" + qual}
	}
	return name, nil
}

// ListFunctions paging.
const (
	defaultMaxItems = 50
	maxMaxItems     = 10000
	// maxPageItems is the most functions one page holds, whatever MaxItems
	// asks for (as AWS does).
	maxPageItems = 50
)

// parseMaxItems parses ListFunctions' MaxItems: 1..10000, 50 when absent.
func parseMaxItems(s string) (int, error) {
	if s == "" {
		return defaultMaxItems, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxMaxItems {
		return 0, invalid("Value %q at 'maxItems' failed to satisfy constraint: Member must be an integer between 1 and %d.", s, maxMaxItems)
	}
	return n, nil
}

var markerEncoding = base64.RawURLEncoding.Strict()

// encodeMarker makes the opaque NextMarker that resumes a listing after
// the function name.
func encodeMarker(name string) string {
	return markerEncoding.EncodeToString([]byte(name))
}

// decodeMarker returns the function name a marker resumes after.
func decodeMarker(marker string) (string, error) {
	bad := invalid("Invalid Marker: pass the NextMarker of a previous ListFunctions response.")
	if strings.ContainsAny(marker, "\r\n") {
		return "", bad
	}
	b, err := markerEncoding.DecodeString(marker)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", bad
	}
	return string(b), nil
}

// listPage returns the page of functions (sorted by name) that follows the
// name after ("" for the first page) and the marker of the next page.
func listPage(all []*function.Config, after string, maxItems int) ([]*function.Config, string) {
	start := 0
	if after != "" {
		for start < len(all) && all[start].Name <= after {
			start++
		}
	}
	n := min(maxItems, maxPageItems, len(all)-start)
	page := all[start : start+n]
	if start+n < len(all) && n > 0 {
		return page, encodeMarker(page[n-1].Name)
	}
	return page, ""
}

// parseInvokeHeaders decodes Invoke's headers.
func parseInvokeHeaders(hdr http.Header) (function.InvokeInput, error) {
	in := function.InvokeInput{Type: hdr.Get("X-Amz-Invocation-Type")}
	switch in.Type {
	case "":
		in.Type = function.InvokeRequestResponse
	case function.InvokeRequestResponse, function.InvokeEvent, function.InvokeDryRun:
	default:
		return function.InvokeInput{}, invalid("Value %q at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun].", in.Type)
	}
	switch lt := hdr.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		in.LogTail = true
	default:
		return function.InvokeInput{}, invalid("Value %q at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None].", lt)
	}
	if cc := hdr.Get("X-Amz-Client-Context"); cc != "" {
		if err := checkClientContext(cc); err != nil {
			return function.InvokeInput{}, err
		}
		in.ClientContext = cc
	}
	return in, nil
}

// maxClientContext bounds X-Amz-Client-Context (base64).
const maxClientContext = 3583

// checkClientContext checks that a client context is base64 of a JSON
// object.
func checkClientContext(cc string) error {
	if len(cc) > maxClientContext {
		return invalid("Client context must be at most %d bytes of base64, got %d.", maxClientContext, len(cc))
	}
	b, err := base64.StdEncoding.DecodeString(cc)
	var obj map[string]json.RawMessage
	if err != nil || json.Unmarshal(b, &obj) != nil || obj == nil {
		return &function.Error{Code: codeInvalidRequestContent, Message: "Client context must be a valid Base64-encoded JSON object."}
	}
	return nil
}

// checkPayload checks that a non-empty Invoke payload is JSON.
func checkPayload(payload []byte) error {
	if len(bytes.TrimSpace(payload)) == 0 || json.Valid(payload) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(payload, &raw)
	msg := "invalid JSON"
	if err != nil {
		msg = err.Error()
	}
	return &function.Error{Code: codeInvalidRequestContent, Message: "Could not parse request body into json: " + msg}
}
