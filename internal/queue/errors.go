package queue

import "fmt"

// Error is a queue failure the client caused or must know about. Code is the
// AWS SQS error name (the Smithy shape name, e.g. "QueueDoesNotExist"); the
// protocol front ends translate it to each wire format.
type Error struct {
	Code    string
	Message string
	// Server marks failures that are not the caller's fault.
	Server bool
	// Cause is the underlying failure of a server error (logged, never
	// shown to clients).
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Error codes, named as SQS names them.
const (
	CodeQueueDoesNotExist            = "QueueDoesNotExist"
	CodeQueueAlreadyExists           = "QueueNameExists"
	CodeInvalidAttributeName         = "InvalidAttributeName"
	CodeInvalidAttributeValue        = "InvalidAttributeValue"
	CodeInvalidParameterValue        = "InvalidParameterValue"
	CodeMissingParameter             = "MissingParameter"
	CodeInvalidMessageContents       = "InvalidMessageContents"
	CodeReceiptHandleIsInvalid       = "ReceiptHandleIsInvalid"
	CodeMessageNotInflight           = "MessageNotInflight"
	CodeTooManyEntriesInBatchRequest = "TooManyEntriesInBatchRequest"
	CodeEmptyBatchRequest            = "EmptyBatchRequest"
	CodeBatchEntryIdsNotDistinct     = "BatchEntryIdsNotDistinct"
	CodeInvalidBatchEntryID          = "InvalidBatchEntryId"
	CodeBatchRequestTooLong          = "BatchRequestTooLong"
	CodePurgeQueueInProgress         = "PurgeQueueInProgress"
	CodeUnsupportedOperation         = "UnsupportedOperation"
	CodeResourceNotFound             = "ResourceNotFoundException"
	CodeOverLimit                    = "OverLimit"
	CodeInternalError                = "InternalError"
	CodeInvalidAddress               = "InvalidAddress"
)

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func noQueue() *Error {
	return errorf(CodeQueueDoesNotExist, "The specified queue does not exist.")
}

func internal(err error) *Error {
	return &Error{Code: CodeInternalError, Message: "We encountered an internal error. Please try again.", Server: true, Cause: err}
}
