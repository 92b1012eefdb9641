package queue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/abanico/abanico/internal/uuid"
)

// MessageAttribute is a typed SQS message attribute. DataType is "String",
// "Number" or "Binary", optionally followed by ".custom".
type MessageAttribute struct {
	DataType    string `json:"t"`
	StringValue string `json:"s,omitempty"`
	BinaryValue []byte `json:"b,omitempty"`
}

// Binary reports whether the attribute carries a binary value.
func (a MessageAttribute) Binary() bool { return strings.HasPrefix(a.DataType, "Binary") }

// MaxMessageAttributes is SQS's per-message attribute limit.
const MaxMessageAttributes = 10

// ValidateMessageAttributes checks names, types and values as SQS does.
func ValidateMessageAttributes(attrs map[string]MessageAttribute) error {
	if len(attrs) > MaxMessageAttributes {
		return errorf(CodeInvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), MaxMessageAttributes)
	}
	for name, a := range attrs {
		if err := validateAttributeName(name); err != nil {
			return err
		}
		if a.DataType == "" {
			return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		base, custom, _ := strings.Cut(a.DataType, ".")
		if len(a.DataType) > 256 || (strings.Contains(a.DataType, ".") && custom == "") {
			return errorf(CodeInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		switch base {
		case "String":
			if a.StringValue == "" {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
			if !validChars(a.StringValue) {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' contains invalid characters.", name)
			}
		case "Number":
			if a.StringValue == "" {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
			if !validNumber(a.StringValue) {
				return errorf(CodeInvalidParameterValue, "Can't cast the value of message (user) attribute '%s' to a number.", name)
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return errorf(CodeInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
			}
		default:
			return errorf(CodeInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
	}
	return nil
}

// numberRE is SQS's Number syntax: a decimal integer or floating-point
// number, optionally with an exponent.
var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// validNumber accepts decimal numbers with at most 38 significant digits
// and a magnitude between 10^-128 and 10^126 (or zero), as SQS does.
func validNumber(s string) bool {
	s = strings.TrimSpace(s)
	if !numberRE.MatchString(s) {
		return false
	}
	mant := s
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		mant = mant[:i]
	}
	digits := strings.TrimLeft(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, mant), "0")
	if len(strings.TrimRight(digits, "0")) > 38 {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	f = math.Abs(f)
	return f == 0 || (f >= 1e-128 && f <= 1e126)
}

func validateAttributeName(name string) error {
	bad := func() error {
		return errorf(CodeInvalidParameterValue, "The message attribute name '%s' is invalid. Names can contain alphanumeric characters, hyphens (-), underscores (_), and periods (.); must be 1 to 256 characters; cannot start or end with a period, contain consecutive periods, or start with AWS. or Amazon.", name)
	}
	if name == "" || len(name) > 256 || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return bad()
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad()
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return bad()
		}
	}
	return nil
}

// validChars reports whether s uses only the characters SQS allows in a
// message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validChars(s string) bool {
	// Fast path: printable ASCII, tab, LF and CR are all allowed.
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x80 || (c < 0x20 && c != 0x9 && c != 0xA && c != 0xD) {
			break
		}
		i++
	}
	if i == len(s) {
		return true
	}
	s = s[i:]
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// attributesSize counts attribute names, types and values towards the
// message size limit, as SQS does.
func attributesSize(attrs map[string]MessageAttribute) int {
	n := 0
	for name, a := range attrs {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// MD5OfBody is the hex MD5 SQS returns for a body.
func MD5OfBody(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// MD5OfAttributes computes MD5OfMessageAttributes (and, for system
// attributes, MD5OfMessageSystemAttributes): attributes sorted by name, each
// encoded as length-prefixed name, length-prefixed type, a transport byte
// (1 string/number, 2 binary) and the length-prefixed value. Empty input
// gives "".
func MD5OfAttributes(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var lenBuf [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.DataType))
		if a.Binary() {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewMessageID returns a new message id (a random UUID, as SQS uses).
func NewMessageID() string { return uuid.New() }

func encodeAttrs(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	b, _ := json.Marshal(attrs)
	return string(b)
}

func decodeAttrs(s string) map[string]MessageAttribute {
	if s == "" {
		return nil
	}
	var m map[string]MessageAttribute
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil
	}
	return m
}
