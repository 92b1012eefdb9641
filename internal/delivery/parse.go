package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCount is where parsed integers saturate: far beyond every limit, so a
// huge number fails the same range check a merely large one does, and
// sums of a few counts cannot overflow an int64.
const maxCount = math.MaxInt32

// member is one key of a JSON object with its raw value.
type member struct {
	key string
	val json.RawMessage
}

// parseDocument checks that s is a JSON object and returns its members in
// document order.
func parseDocument(s string) ([]member, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &PolicyError{Reason: "the policy is empty; it must be a JSON object"}
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, &PolicyError{Reason: "the policy is not valid JSON: " + err.Error(), Err: err}
	}
	if first(raw) != '{' {
		return nil, &PolicyError{Reason: "the policy must be a JSON object"}
	}
	return objectMembers(raw, "")
}

// first returns the first non-blank byte of raw (0 when there is none).
func first(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// isNull reports whether raw is the JSON literal null.
func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// objectMembers returns the members of the JSON object raw (which must be
// valid JSON) in document order. It fails when raw is not an object or
// repeats a key; field names raw's path in errors.
func objectMembers(raw json.RawMessage, field string) ([]member, error) {
	if first(raw) != '{' {
		return nil, fieldErr(field, "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, readErr(field, err)
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, readErr(field, err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, readErr(field, fmt.Errorf("object key is a %T", tok))
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, readErr(join(field, key), err)
		}
		if seen[key] {
			return nil, fieldErr(join(field, key), "appears more than once")
		}
		seen[key] = true
		out = append(out, member{key: key, val: val})
	}
	return out, nil
}

// readErr reports JSON that passed validation but could not be decoded.
func readErr(field string, err error) error {
	if field == "" {
		return &PolicyError{Reason: "the policy could not be read: " + err.Error(), Err: err}
	}
	return &PolicyError{Field: field, Reason: "could not be read: " + err.Error(), Err: err}
}

// join extends a JSON path with a key.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func unknownKey(field string) error {
	return fieldErr(field, "is not a recognized key")
}

// parseCount parses a non-negative integer written without fraction or
// exponent. Values beyond maxCount saturate at maxCount.
func parseCount(raw json.RawMessage, field string) (int, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] < '0' || s[0] > '9' || strings.ContainsAny(s, ".eE") {
		return 0, fieldErr(field, "must be a non-negative integer")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return maxCount, nil
		}
		return 0, &PolicyError{Field: field, Reason: "must be a non-negative integer", Err: err}
	}
	return int(min(n, maxCount)), nil
}

// parseString parses a JSON string.
func parseString(raw json.RawMessage, field string) (string, error) {
	if first(raw) != '"' {
		return "", fieldErr(field, "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &PolicyError{Field: field, Reason: "must be a string", Err: err}
	}
	return s, nil
}

// parseBool parses a JSON boolean; null counts as false.
func parseBool(raw json.RawMessage, field string) (bool, error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, fieldErr(field, "must be true or false")
}

// checkIgnoredObject accepts null or any object for a deprecated key whose
// content is ignored.
func checkIgnoredObject(raw json.RawMessage, field string) error {
	if isNull(raw) || first(raw) == '{' {
		return nil
	}
	return fieldErr(field, "must be null or a JSON object")
}

// parseRetry parses and validates a retry policy object found at field (nil
// for null). Omitted fields take DefaultHTTP's values, the delay targets
// adapting to each other when only one is given.
func parseRetry(raw json.RawMessage, field string) (*RetryPolicy, error) {
	if isNull(raw) {
		return nil, nil
	}
	ms, err := objectMembers(raw, field)
	if err != nil {
		return nil, err
	}
	p := DefaultHTTP()
	var minSet, maxSet bool
	for _, m := range ms {
		f := join(field, m.key)
		switch m.key {
		case "minDelayTarget":
			p.MinDelayTarget, err = parseCount(m.val, f)
			minSet = true
		case "maxDelayTarget":
			p.MaxDelayTarget, err = parseCount(m.val, f)
			maxSet = true
		case "numRetries":
			p.NumRetries, err = parseCount(m.val, f)
		case "numNoDelayRetries":
			p.NumNoDelayRetries, err = parseCount(m.val, f)
		case "numMinDelayRetries":
			p.NumMinDelayRetries, err = parseCount(m.val, f)
		case "numMaxDelayRetries":
			p.NumMaxDelayRetries, err = parseCount(m.val, f)
		case "backoffFunction":
			var name string
			if name, err = parseString(m.val, f); err == nil {
				if _, ok := parseBackoff(name); !ok {
					err = fieldErr(f, "must be one of linear, arithmetic, geometric or exponential")
				}
				p.BackoffFunction = strings.ToLower(name)
			}
		default:
			err = unknownKey(f)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case minSet && !maxSet:
		p.MaxDelayTarget = max(p.MaxDelayTarget, p.MinDelayTarget)
	case maxSet && !minSet:
		p.MinDelayTarget = min(p.MinDelayTarget, p.MaxDelayTarget)
	}
	if err := validateRetry(p, field, minSet, maxSet); err != nil {
		return nil, err
	}
	return &p, nil
}

// validateRetry checks a resolved retry policy against SNS's limits.
// minSet and maxSet tell which delay targets the document gave, so that
// the error names the one the user can fix.
func validateRetry(p RetryPolicy, field string, minSet, maxSet bool) error {
	if p.NumRetries < 0 || p.NumRetries > MaxNumRetries {
		return fieldErr(join(field, "numRetries"), fmt.Sprintf("must be between 0 and %d", MaxNumRetries))
	}
	if maxSet && (p.MaxDelayTarget < 1 || p.MaxDelayTarget > MaxDelaySeconds) {
		return fieldErr(join(field, "maxDelayTarget"), fmt.Sprintf("must be between 1 and %d", MaxDelaySeconds))
	}
	if minSet {
		if maxSet && (p.MinDelayTarget < 1 || p.MinDelayTarget > p.MaxDelayTarget) {
			return fieldErr(join(field, "minDelayTarget"), fmt.Sprintf("must be between 1 and maxDelayTarget (%d)", p.MaxDelayTarget))
		}
		if !maxSet && (p.MinDelayTarget < 1 || p.MinDelayTarget > MaxDelaySeconds) {
			return fieldErr(join(field, "minDelayTarget"), fmt.Sprintf("must be between 1 and %d", MaxDelaySeconds))
		}
	}
	if p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0 {
		return fieldErr(field, "retry counts must not be negative")
	}
	sum := int64(p.NumNoDelayRetries) + int64(p.NumMinDelayRetries) + int64(p.NumMaxDelayRetries)
	if sum > int64(p.NumRetries) {
		return fieldErr(join(field, "numRetries"), fmt.Sprintf(
			"must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries (%d)", sum))
	}
	if _, ok := parseBackoff(p.BackoffFunction); !ok {
		return fieldErr(join(field, "backoffFunction"), "must be one of linear, arithmetic, geometric or exponential")
	}
	if t := p.Total(); t > MaxTotalRetryTime {
		return fieldErr(field, fmt.Sprintf(
			"must not retry for longer than %d seconds in total (this one retries for %s seconds)",
			int(MaxTotalRetryTime.Seconds()), strconv.FormatFloat(t.Seconds(), 'f', -1, 64)))
	}
	return nil
}

// parseThrottle parses a throttle policy object found at field (nil for
// null).
func parseThrottle(raw json.RawMessage, field string) (*ThrottlePolicy, error) {
	n, ok, err := parseOneMember(raw, field, "maxReceivesPerSecond", func(v json.RawMessage, f string) (int, error) {
		n, err := parseCount(v, f)
		if err == nil && n < 1 {
			err = fieldErr(f, "must be at least 1")
		}
		return n, err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &ThrottlePolicy{MaxReceivesPerSecond: n}, nil
}

// parseRequest parses a request policy object found at field (nil for
// null).
func parseRequest(raw json.RawMessage, field string) (*RequestPolicy, error) {
	ct, ok, err := parseOneMember(raw, field, "headerContentType", func(v json.RawMessage, f string) (string, error) {
		s, err := parseString(v, f)
		if err == nil {
			err = checkContentType(s, f)
		}
		return s, err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &RequestPolicy{HeaderContentType: ct}, nil
}

// parseOneMember parses an object found at field whose only (and
// required) member is key; ok is false for null.
func parseOneMember[T any](raw json.RawMessage, field, key string, parse func(json.RawMessage, string) (T, error)) (v T, ok bool, err error) {
	if isNull(raw) {
		return v, false, nil
	}
	ms, err := objectMembers(raw, field)
	if err != nil {
		return v, false, err
	}
	for _, m := range ms {
		f := join(field, m.key)
		if m.key != key {
			return v, false, unknownKey(f)
		}
		if v, err = parse(m.val, f); err != nil {
			return v, false, err
		}
		ok = true
	}
	if !ok {
		return v, false, fieldErr(join(field, key), "is required")
	}
	return v, true, nil
}

// checkContentType accepts a media type (type/subtype with optional
// parameters) of at most MaxContentTypeLength characters.
func checkContentType(s, field string) error {
	if strings.TrimSpace(s) == "" {
		return fieldErr(field, "must not be empty")
	}
	if utf8.RuneCountInString(s) > MaxContentTypeLength {
		return fieldErr(field, fmt.Sprintf("must be at most %d characters", MaxContentTypeLength))
	}
	mt, _, err := mime.ParseMediaType(s)
	if err == nil && !strings.Contains(mt, "/") {
		err = errors.New("no subtype")
	}
	if err != nil {
		return &PolicyError{Field: field, Reason: "must be a media type such as text/plain; charset=UTF-8", Err: err}
	}
	return nil
}
