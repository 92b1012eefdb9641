package queue

import (
	"fmt"

	"github.com/abanico/abanico/internal/apierr"
)

// Error is a queue failure the client caused or must know about; Code is
// the SQS error shape name.
type Error = apierr.Error

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
