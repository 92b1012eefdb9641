// Package apierr is the error every Abanico service returns for a failure a
// client must hear about: an API error code, a message for the client, and
// for server faults the underlying cause (logged, never shown).
package apierr

// Error is an API failure. Code is the AWS error name of the service
// (e.g. "QueueDoesNotExist", "NotFound"); the protocol front ends translate
// it to each wire format.
type Error struct {
	Code    string
	Message string
	// Server marks failures that are not the caller's fault.
	Server bool
	// Cause is the underlying failure of a server error.
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
