// Package topic implements SNS topics on JetStream: publish stores a
// message once (group committed with the engine's durability), and a
// dispatcher fans it out to every subscription whose filter policy matches,
// each subscription independently.
package topic

import (
	"fmt"

	"github.com/abanico/abanico/internal/apierr"
)

// Error is an SNS failure the client caused or must know about; Code is
// the SNS error code.
type Error = apierr.Error

// SNS error codes.
const (
	CodeNotFound                     = "NotFound"
	CodeInvalidParameter             = "InvalidParameter"
	CodeInvalidParameterValue        = "InvalidParameterValue"
	CodeAuthorizationError           = "AuthorizationError"
	CodeTooManyEntriesInBatchRequest = "TooManyEntriesInBatchRequest"
	CodeBatchEntryIdsNotDistinct     = "BatchEntryIdsNotDistinct"
	CodeEmptyBatchRequest            = "EmptyBatchRequest"
	CodeInvalidBatchEntryID          = "InvalidBatchEntryId"
	CodeBatchRequestTooLong          = "BatchRequestTooLong"
	CodeResourceNotFound             = "ResourceNotFound"
	CodeTagLimitExceeded             = "TagLimitExceeded"
	CodeInternalError                = "InternalError"
)

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParameter(format string, args ...any) *Error {
	return errorf(CodeInvalidParameter, "Invalid parameter: "+format, args...)
}

func internal(err error) *Error {
	return &Error{Code: CodeInternalError, Message: "Internal Error", Server: true, Cause: err}
}

// Topic is a topic's definition.
type Topic struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	Shard       int               `json:"shard"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Permissions []Permission      `json:"permissions,omitempty"`
	Created     int64             `json:"created"`
}

// Permission is a statement added with AddPermission.
type Permission struct {
	Label    string   `json:"label"`
	Accounts []string `json:"accounts"`
	Actions  []string `json:"actions"`
}

// Subscription is a subscription's definition.
type Subscription struct {
	ID         string            `json:"id"`
	TopicName  string            `json:"topic"`
	TopicID    string            `json:"topicId"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"`
	// Pending until confirmed (protocols that need confirmation).
	Pending bool   `json:"pending,omitempty"`
	Token   string `json:"token,omitempty"`
	// TokenExpires is when Token stops confirming (unix milliseconds); an
	// unconfirmed subscription is deleted then.
	TokenExpires int64 `json:"tokenExpires,omitempty"`
	// ConfirmationWasAuthenticated is true when confirmed through the API.
	ConfirmationWasAuthenticated bool `json:"confirmationWasAuthenticated,omitempty"`
	// AuthenticateOnUnsubscribe: only authenticated requests may delete it.
	AuthenticateOnUnsubscribe bool  `json:"authenticateOnUnsubscribe,omitempty"`
	Created                   int64 `json:"created"`
}

// MessageAttribute is an SNS message attribute: DataType String,
// String.Array, Number or Binary (custom suffixes allowed).
type MessageAttribute struct {
	DataType    string `json:"t"`
	StringValue string `json:"s,omitempty"`
	BinaryValue []byte `json:"b,omitempty"`
}

// PublishInput is one message to publish.
type PublishInput struct {
	// ID is the batch entry id (PublishBatch only).
	ID                     string
	TopicArn               string
	Message                string
	Subject                string
	MessageStructure       string
	MessageAttributes      map[string]MessageAttribute
	MessageGroupID         string
	MessageDeduplicationID string
}

// PublishResult is the outcome of one PublishInput: Err or MessageID.
type PublishResult struct {
	ID        string
	MessageID string
	Err       *Error
}
