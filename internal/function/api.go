// Package function keeps AWS Lambda-style functions: their definitions and
// code (durable, shared by every node), synchronous and queued (Event)
// invocations with AWS's retry rules, and the processes that run them
// locally.
package function

import (
	"fmt"

	"github.com/abanico/abanico/internal/apierr"
)

// Error is a Lambda API failure; Code is the AWS exception name.
type Error = apierr.Error

// Lambda error codes.
const (
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceConflict      = "ResourceConflictException"
	CodeInvalidParameterValue = "InvalidParameterValueException"
	CodeTooManyRequests       = "TooManyRequestsException"
	CodeRequestTooLarge       = "RequestTooLargeException"
	CodeService               = "ServiceException"
	CodePreconditionFailed    = "PreconditionFailedException"
)

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Error {
	return errorf(CodeInvalidParameterValue, format, args...)
}

func internal(err error) *Error {
	return &Error{Code: CodeService, Message: "Internal error", Server: true, Cause: err}
}

// Config is a function's stored definition ($LATEST).
type Config struct {
	Name         string            `json:"name"`
	Runtime      string            `json:"runtime"`
	Handler      string            `json:"handler"`
	Role         string            `json:"role"`
	Description  string            `json:"description,omitempty"`
	Timeout      int               `json:"timeout"`    // seconds, 1..900 (default 3)
	MemorySize   int               `json:"memorySize"` // MB, 128..10240 (default 128), recorded
	Environment  map[string]string `json:"environment,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Architecture string            `json:"architecture"` // x86_64 or arm64 (recorded)
	CodeSha256   string            `json:"codeSha256"`   // base64 SHA-256 of the zip, as AWS shows it
	CodeSize     int64             `json:"codeSize"`
	RevisionID   string            `json:"revisionId"`
	LastModified string            `json:"lastModified"` // 2006-01-02T15:04:05.000+0000
	// ReservedConcurrency from PutFunctionConcurrency (nil: unreserved).
	ReservedConcurrency *int `json:"reservedConcurrency,omitempty"`
	// MaximumRetryAttempts of asynchronous invocations (nil: AWS's 2).
	MaximumRetryAttempts *int `json:"maximumRetryAttempts,omitempty"`
	// MaximumEventAgeInSeconds of asynchronous invocations (nil: 21600).
	MaximumEventAgeInSeconds *int        `json:"maximumEventAgeInSeconds,omitempty"`
	Policy                   []Statement `json:"policy,omitempty"`
	Created                  int64       `json:"created"`
}

// Statement is one resource-policy statement added with AddPermission
// (recorded, not enforced).
type Statement struct {
	Sid              string `json:"sid"`
	Action           string `json:"action"`
	Principal        string `json:"principal"`
	SourceArn        string `json:"sourceArn,omitempty"`
	SourceAccount    string `json:"sourceAccount,omitempty"`
	EventSourceToken string `json:"eventSourceToken,omitempty"`
}

// CreateInput is CreateFunction's input. ZipFile holds a zip archive with
// an executable named bootstrap at its root (custom runtimes).
type CreateInput struct {
	Name         string
	Runtime      string
	Handler      string
	Role         string
	Description  string
	Timeout      *int
	MemorySize   *int
	Environment  map[string]string
	Tags         map[string]string
	Architecture string
	ZipFile      []byte
}

// UpdateConfigInput is UpdateFunctionConfiguration's input: nil fields are
// left unchanged; a non-nil Environment replaces the variables.
type UpdateConfigInput struct {
	Runtime     *string
	Handler     *string
	Role        *string
	Description *string
	Timeout     *int
	MemorySize  *int
	Environment map[string]string
	// RevisionID, when set, must match the current one.
	RevisionID string
}

// Invocation types.
const (
	InvokeRequestResponse = "RequestResponse"
	InvokeEvent           = "Event"
	InvokeDryRun          = "DryRun"
)

// InvokeInput is Invoke's input.
type InvokeInput struct {
	Type          string // RequestResponse (default), Event, DryRun
	Payload       []byte
	LogTail       bool   // LogType Tail: return the last 4 KB of the invocation's log
	ClientContext string // base64 JSON
}

// InvokeOutput is Invoke's result: StatusCode 200 (RequestResponse), 202
// (Event) or 204 (DryRun).
type InvokeOutput struct {
	StatusCode      int
	Payload         []byte
	FunctionError   string // "Unhandled" when the function failed
	LogResult       string // base64 of the log tail, with LogTail
	ExecutedVersion string
	RequestID       string
}
