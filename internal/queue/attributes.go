package queue

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Settable queue attributes and their defaults, as SQS creates a standard
// queue.
var defaultAttributes = map[string]string{
	"DelaySeconds":                  "0",
	"MaximumMessageSize":            "1048576",
	"MessageRetentionPeriod":        "345600",
	"ReceiveMessageWaitTimeSeconds": "0",
	"VisibilityTimeout":             "30",
	"SqsManagedSseEnabled":          "true",
}

// settable lists every attribute a standard queue accepts on create and set.
var settable = map[string]bool{
	"DelaySeconds": true, "MaximumMessageSize": true, "MessageRetentionPeriod": true,
	"ReceiveMessageWaitTimeSeconds": true, "VisibilityTimeout": true, "Policy": true,
	"RedrivePolicy": true, "RedriveAllowPolicy": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true,
}

// fifoOnly attributes are refused on standard queues.
var fifoOnly = map[string]bool{
	"FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true,
	"FifoThroughputLimit": true,
}

// readOnly attributes can be read but never set.
var readOnly = map[string]bool{
	"ApproximateNumberOfMessages": true, "ApproximateNumberOfMessagesNotVisible": true,
	"ApproximateNumberOfMessagesDelayed": true, "CreatedTimestamp": true,
	"LastModifiedTimestamp": true, "QueueArn": true,
}

// AllAttributeNames are the names GetQueueAttributes accepts.
func isKnownAttribute(name string) bool {
	return settable[name] || readOnly[name] || fifoOnly[name] || name == "All"
}

// RedrivePolicy is a queue's dead-letter configuration.
type RedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// RedriveAllowPolicy says which queues may use a queue as their DLQ.
type RedriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

func intRange(name, v string, lo, hi int) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return "", errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
	}
	return strconv.Itoa(n), nil
}

// normalizeAttribute validates one attribute for a standard queue and
// returns the value as it is stored and returned.
func normalizeAttribute(name, value string) (string, error) {
	switch name {
	case "DelaySeconds":
		return intRange(name, value, 0, 900)
	case "MaximumMessageSize":
		return intRange(name, value, 1024, 1048576)
	case "MessageRetentionPeriod":
		return intRange(name, value, 60, 1209600)
	case "ReceiveMessageWaitTimeSeconds":
		return intRange(name, value, 0, 20)
	case "VisibilityTimeout":
		return intRange(name, value, 0, 43200)
	case "KmsDataKeyReusePeriodSeconds":
		return intRange(name, value, 60, 86400)
	case "SqsManagedSseEnabled":
		switch strings.ToLower(value) {
		case "true", "false":
			return strings.ToLower(value), nil
		}
		return "", errorf(CodeInvalidAttributeValue, "Invalid value for the parameter SqsManagedSseEnabled.")
	case "KmsMasterKeyId":
		return value, nil
	case "Policy":
		if value == "" {
			return "", nil
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			return "", errorf(CodeInvalidAttributeValue, "Invalid value for the parameter Policy.")
		}
		return value, nil
	case "RedrivePolicy":
		if value == "" {
			return "", nil
		}
		_, norm, err := parseRedrivePolicy(value)
		return norm, err
	case "RedriveAllowPolicy":
		if value == "" {
			return "", nil
		}
		_, norm, err := parseRedriveAllowPolicy(value)
		return norm, err
	}
	return "", errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
}

func parseRedrivePolicy(value string) (RedrivePolicy, string, error) {
	var raw map[string]json.RawMessage
	bad := func(reason string) error {
		return errorf(CodeInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", value, reason)
	}
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return RedrivePolicy{}, "", bad("Invalid JSON.")
	}
	var p RedrivePolicy
	for k, v := range raw {
		switch k {
		case "deadLetterTargetArn":
			if err := json.Unmarshal(v, &p.DeadLetterTargetArn); err != nil {
				return p, "", bad("deadLetterTargetArn must be a string.")
			}
		case "maxReceiveCount":
			var n json.Number
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				n = json.Number(s)
			} else if err := json.Unmarshal(v, &n); err != nil {
				return p, "", bad("Invalid value for maxReceiveCount.")
			}
			c, err := strconv.Atoi(string(n))
			if err != nil || c < 1 || c > 1000 {
				return p, "", bad("Invalid value for maxReceiveCount: " + string(n) + ", valid values are from 1 to 1000 both inclusive.")
			}
			p.MaxReceiveCount = c
		default:
			return p, "", bad("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
		}
	}
	if p.DeadLetterTargetArn == "" {
		return p, "", bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if p.MaxReceiveCount == 0 {
		return p, "", bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	if _, _, _, ok := ParseARN(p.DeadLetterTargetArn); !ok {
		return p, "", bad("Invalid deadLetterTargetArn.")
	}
	b, _ := json.Marshal(p)
	return p, string(b), nil
}

func parseRedriveAllowPolicy(value string) (RedriveAllowPolicy, string, error) {
	var p RedriveAllowPolicy
	bad := func(reason string) error {
		return errorf(CodeInvalidAttributeValue, "Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", value, reason)
	}
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, "", bad("Invalid JSON.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return p, "", bad("To specify sourceQueueArns, you must set redrivePermission to byQueue.")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return p, "", bad("You must specify between 1 and 10 sourceQueueArns when redrivePermission is byQueue.")
		}
	default:
		return p, "", bad("Invalid value for redrivePermission.")
	}
	b, _ := json.Marshal(p)
	return p, string(b), nil
}

// validateAttributes checks a CreateQueue/SetQueueAttributes attribute map
// and returns the normalized values. Nothing is stored on error.
func validateAttributes(attrs map[string]string, creating bool) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		value := attrs[name]
		if name == "FifoQueue" && creating {
			if strings.EqualFold(value, "true") {
				return nil, errorf(CodeInvalidAttributeValue, "FIFO queues are not supported yet.")
			}
			if !strings.EqualFold(value, "false") {
				return nil, errorf(CodeInvalidAttributeValue, "Invalid value for the parameter FifoQueue.")
			}
			continue
		}
		if fifoOnly[name] {
			return nil, errorf(CodeInvalidAttributeName, "You can specify the %s only when FifoQueue is set to true.", name)
		}
		if readOnly[name] {
			return nil, errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		if !settable[name] {
			return nil, errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		v, err := normalizeAttribute(name, value)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// ParseARN splits an SQS queue ARN.
func ParseARN(arn string) (region, account, name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", "", "", false
	}
	return parts[3], parts[4], parts[5], true
}

func attrInt(attrs map[string]string, name string) int {
	v, ok := attrs[name]
	if !ok {
		v = defaultAttributes[name]
	}
	n, _ := strconv.Atoi(v)
	return n
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

var _ = fmt.Sprintf
