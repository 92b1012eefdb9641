package delivery

// PolicyError is a DeliveryPolicy validation failure. Error() returns a
// sentence suitable to follow "Invalid parameter: DeliveryPolicy: " in an
// SNS InvalidParameter error, naming the field by its JSON path, e.g.
// "healthyRetryPolicy.numRetries must be between 0 and 100" or, for a
// topic, "http.defaultHealthyRetryPolicy.numRetries must be between 0 and
// 100".
//
// The parse functions of this package return every failure as a
// *PolicyError, so callers can rely on errors.As.
type PolicyError struct {
	// Field is the JSON path of the offending key ("" when the document as
	// a whole is at fault).
	Field string
	// Reason says what is wrong, phrased to follow Field.
	Reason string
	// Err is the underlying cause, if any (such as a JSON syntax error).
	Err error
}

// Error returns Field and Reason as one sentence (just Reason when Field is
// empty).
func (e *PolicyError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + " " + e.Reason
}

// Unwrap returns the underlying cause, if any.
func (e *PolicyError) Unwrap() error { return e.Err }

// fieldErr returns a *PolicyError for field.
func fieldErr(field, reason string) *PolicyError {
	return &PolicyError{Field: field, Reason: reason}
}
