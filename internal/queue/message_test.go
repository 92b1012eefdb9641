package queue

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// mtReferenceMD5 is an independent, deliberately plain rendering of the
// algorithm SQS documents for MD5OfMessageAttributes: for each attribute in
// name order, 4-byte big-endian length + name, length + data type, one
// transport byte (1 for String/Number, 2 for Binary), length + value.
func mtReferenceMD5(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	var names []string
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	lenPrefixed := func(b []byte) {
		n := len(b)
		buf.WriteByte(byte(n >> 24))
		buf.WriteByte(byte(n >> 16))
		buf.WriteByte(byte(n >> 8))
		buf.WriteByte(byte(n))
		buf.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		lenPrefixed([]byte(n))
		lenPrefixed([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			buf.WriteByte(2)
			lenPrefixed(a.BinaryValue)
		} else {
			buf.WriteByte(1)
			lenPrefixed([]byte(a.StringValue))
		}
	}
	sum := md5.Sum(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func TestMD5OfBody(t *testing.T) {
	for body, want := range map[string]string{
		"hello": "5d41402abc4b2a76b9719d911017c592",
		"":      "d41d8cd98f00b204e9800998ecf8427e",
		"The quick brown fox jumps over the lazy dog": "9e107d9d372bb6826bd81d3542a419d6",
	} {
		if got := MD5OfBody(body); got != want {
			t.Errorf("MD5OfBody(%q) = %s, want %s", body, got, want)
		}
	}
}

func TestMD5OfAttributesKnownValue(t *testing.T) {
	attrs := map[string]MessageAttribute{
		"a": {DataType: "String", StringValue: "x"},
		"b": {DataType: "Binary", BinaryValue: []byte{1, 2, 3}},
	}
	const want = "aff7372f244d3ebae020d15edb230ef6"
	if got := MD5OfAttributes(attrs); got != want {
		t.Errorf("MD5OfAttributes = %s, want %s", got, want)
	}
	if got := mtReferenceMD5(attrs); got != want {
		t.Fatalf("reference implementation disagrees with the known value: %s", got)
	}
	if got := MD5OfAttributes(nil); got != "" {
		t.Errorf("MD5OfAttributes(nil) = %q, want empty", got)
	}
	if got := MD5OfAttributes(map[string]MessageAttribute{}); got != "" {
		t.Errorf("MD5OfAttributes({}) = %q, want empty", got)
	}
}

func TestMD5OfAttributesMatchesReference(t *testing.T) {
	cases := []map[string]MessageAttribute{
		{"only": {DataType: "String", StringValue: "v"}},
		{"n": {DataType: "Number", StringValue: "1.50"}},
		{"n": {DataType: "Number.float", StringValue: "-3e10"}},
		{"img": {DataType: "Binary.gif", BinaryValue: []byte("GIF89a")}},
		{"emoji": {DataType: "String.utf8", StringValue: "héllo 💡\t\n"}},
		{
			// Sorting is by name, byte-wise: upper case before lower case.
			"b": {DataType: "String", StringValue: "2"},
			"B": {DataType: "String", StringValue: "1"},
			"a": {DataType: "Number", StringValue: "3"},
			"_": {DataType: "Binary", BinaryValue: []byte{0}},
		},
		// A binary attribute's stray StringValue does not count, nor a
		// string attribute's stray BinaryValue.
		{"x": {DataType: "Binary", BinaryValue: []byte{9}, StringValue: "ignored"}},
		{"x": {DataType: "String", StringValue: "s", BinaryValue: []byte("ignored")}},
		{"long": {DataType: "String", StringValue: strings.Repeat("z", 70000)}},
	}
	for i, attrs := range cases {
		if got, want := MD5OfAttributes(attrs), mtReferenceMD5(attrs); got != want {
			t.Errorf("case %d: MD5OfAttributes = %s, reference %s", i, got, want)
		}
	}
	// A stray value of the other kind must not change the digest.
	if MD5OfAttributes(cases[6]) != MD5OfAttributes(map[string]MessageAttribute{"x": {DataType: "Binary", BinaryValue: []byte{9}}}) {
		t.Error("StringValue of a Binary attribute changed the digest")
	}

	// Random attribute sets, for good measure.
	r := rand.New(rand.NewPCG(1, 2))
	types := []string{"String", "Number", "Binary", "String.x", "Binary.y", "Number.int"}
	for i := 0; i < 200; i++ {
		attrs := map[string]MessageAttribute{}
		for j := 0; j < r.IntN(10)+1; j++ {
			name := fmt.Sprintf("attr%d", r.IntN(1000))
			dt := types[r.IntN(len(types))]
			val := make([]byte, r.IntN(40))
			for k := range val {
				val[k] = byte(r.IntN(256))
			}
			if strings.HasPrefix(dt, "Binary") {
				attrs[name] = MessageAttribute{DataType: dt, BinaryValue: val}
			} else {
				attrs[name] = MessageAttribute{DataType: dt, StringValue: string(val)}
			}
		}
		if got, want := MD5OfAttributes(attrs), mtReferenceMD5(attrs); got != want {
			t.Fatalf("random set %d: MD5OfAttributes = %s, reference %s (%v)", i, got, want, attrs)
		}
	}
}

func mtStr(v string) MessageAttribute { return MessageAttribute{DataType: "String", StringValue: v} }

func TestValidateMessageAttributes(t *testing.T) {
	many := func(n int) map[string]MessageAttribute {
		m := map[string]MessageAttribute{}
		for i := 0; i < n; i++ {
			m[fmt.Sprintf("a%d", i)] = mtStr("v")
		}
		return m
	}
	ok := []struct {
		name  string
		attrs map[string]MessageAttribute
	}{
		{"nil", nil},
		{"empty", map[string]MessageAttribute{}},
		{"string", map[string]MessageAttribute{"a": mtStr("x")}},
		{"ten attributes", many(10)},
		{"name charset", map[string]MessageAttribute{"Aa0-_.z": mtStr("x")}},
		{"256-char name", map[string]MessageAttribute{strings.Repeat("n", 256): mtStr("x")}},
		{"AWS without dot", map[string]MessageAttribute{"AWSome": mtStr("x")}},
		{"amazonian", map[string]MessageAttribute{"Amazonian.name": mtStr("x")}},
		{"contains AWS.", map[string]MessageAttribute{"my.AWS.thing": mtStr("x")}},
		{"single dot inside", map[string]MessageAttribute{"a.b": mtStr("x")}},
		{"number", map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "42"}}},
		{"number negative float", map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "-1.5e-3"}}},
		{"number with spaces", map[string]MessageAttribute{"n": {DataType: "Number", StringValue: " 7 "}}},
		{"Number.float", map[string]MessageAttribute{"n": {DataType: "Number.float", StringValue: "3.14"}}},
		{"Binary", map[string]MessageAttribute{"b": {DataType: "Binary", BinaryValue: []byte{0}}}},
		{"Binary.gif", map[string]MessageAttribute{"b": {DataType: "Binary.gif", BinaryValue: []byte("GIF89a")}}},
		{"String.custom", map[string]MessageAttribute{"s": {DataType: "String.json", StringValue: "{}"}}},
		{"string tab/LF/CR/emoji", map[string]MessageAttribute{"s": mtStr("a\tb\nc\rd 💡 \uFFFD")}},
		{"type 256 chars", map[string]MessageAttribute{"s": {DataType: "String." + strings.Repeat("t", 249), StringValue: "x"}}},
	}
	for _, tt := range ok {
		if err := ValidateMessageAttributes(tt.attrs); err != nil {
			t.Errorf("%s: unexpected error %v", tt.name, err)
		}
	}

	bad := []struct {
		name  string
		attrs map[string]MessageAttribute
		msg   string // substring of the error message
	}{
		{"eleven attributes", many(11), "exceeds the allowed maximum [10]"},
		{"empty name", map[string]MessageAttribute{"": mtStr("x")}, "name '' is invalid"},
		{"leading dot", map[string]MessageAttribute{".a": mtStr("x")}, "is invalid"},
		{"trailing dot", map[string]MessageAttribute{"a.": mtStr("x")}, "is invalid"},
		{"consecutive dots", map[string]MessageAttribute{"a..b": mtStr("x")}, "is invalid"},
		{"AWS. prefix", map[string]MessageAttribute{"AWS.x": mtStr("x")}, "is invalid"},
		{"aws. prefix lower", map[string]MessageAttribute{"aws.x": mtStr("x")}, "is invalid"},
		{"Aws. prefix mixed", map[string]MessageAttribute{"Aws.x": mtStr("x")}, "is invalid"},
		{"amazon. prefix", map[string]MessageAttribute{"amazon.y": mtStr("x")}, "is invalid"},
		{"Amazon. prefix", map[string]MessageAttribute{"Amazon.y": mtStr("x")}, "is invalid"},
		{"AMAZON. prefix", map[string]MessageAttribute{"AMAZON.Y": mtStr("x")}, "is invalid"},
		{"257-char name", map[string]MessageAttribute{strings.Repeat("n", 257): mtStr("x")}, "is invalid"},
		{"space in name", map[string]MessageAttribute{"a b": mtStr("x")}, "is invalid"},
		{"slash in name", map[string]MessageAttribute{"a/b": mtStr("x")}, "is invalid"},
		{"non-ASCII name", map[string]MessageAttribute{"café": mtStr("x")}, "is invalid"},
		{"NUL in name", map[string]MessageAttribute{"a\x00": mtStr("x")}, "is invalid"},
		{"missing type", map[string]MessageAttribute{"a": {StringValue: "x"}}, "non-empty message attribute type"},
		{"type Str", map[string]MessageAttribute{"a": {DataType: "Str", StringValue: "x"}}, "invalid message attribute type"},
		{"type string lower", map[string]MessageAttribute{"a": {DataType: "string", StringValue: "x"}}, "invalid message attribute type"},
		{"type Number.", map[string]MessageAttribute{"a": {DataType: "Number.", StringValue: "1"}}, "invalid message attribute type"},
		{"type Binary.", map[string]MessageAttribute{"a": {DataType: "Binary.", BinaryValue: []byte{1}}}, "invalid message attribute type"},
		{"type Foo", map[string]MessageAttribute{"a": {DataType: "Foo", StringValue: "x"}}, "invalid message attribute type"},
		{"type .String", map[string]MessageAttribute{"a": {DataType: ".String", StringValue: "x"}}, "invalid message attribute type"},
		{"type with space", map[string]MessageAttribute{"a": {DataType: "String ", StringValue: "x"}}, "invalid message attribute type"},
		{"type 257 chars", map[string]MessageAttribute{"a": {DataType: "String." + strings.Repeat("t", 250), StringValue: "x"}}, "invalid message attribute type"},
		{"empty string value", map[string]MessageAttribute{"a": mtStr("")}, "non-empty message attribute value"},
		{"empty number value", map[string]MessageAttribute{"a": {DataType: "Number"}}, "non-empty message attribute value"},
		{"nil binary value", map[string]MessageAttribute{"a": {DataType: "Binary"}}, "non-empty message attribute value"},
		{"empty binary value", map[string]MessageAttribute{"a": {DataType: "Binary.gif", BinaryValue: []byte{}}}, "non-empty message attribute value"},
		{"binary given as string", map[string]MessageAttribute{"a": {DataType: "Binary", StringValue: "AQID"}}, "non-empty message attribute value"},
		{"non-numeric number", map[string]MessageAttribute{"a": {DataType: "Number", StringValue: "abc"}}, "to a number"},
		{"number with comma", map[string]MessageAttribute{"a": {DataType: "Number.int", StringValue: "1,000"}}, "to a number"},
		{"number out of float range", map[string]MessageAttribute{"a": {DataType: "Number", StringValue: "1e400"}}, "to a number"},
		{"NUL in string value", map[string]MessageAttribute{"a": mtStr("x\x00")}, "invalid characters"},
		{"invalid UTF-8 value", map[string]MessageAttribute{"a": mtStr("\xff")}, "invalid characters"},
		{"U+FFFE in value", map[string]MessageAttribute{"a": mtStr("\uFFFE")}, "invalid characters"},
	}
	for _, tt := range bad {
		err := ValidateMessageAttributes(tt.attrs)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != CodeInvalidParameterValue {
			t.Errorf("%s: error %T %v, want *Error %s", tt.name, err, err, CodeInvalidParameterValue)
			continue
		}
		if !strings.Contains(qe.Message, tt.msg) {
			t.Errorf("%s: message %q lacks %q", tt.name, qe.Message, tt.msg)
		}
	}
}

// SQS documents Number values as decimal integers or floating-point numbers
// (up to 38 digits, 10^-128 to 10^+126). ValidateMessageAttributes uses
// strconv.ParseFloat, which also accepts these non-decimal spellings. This
// test lists them and skips: a discrepancy with SQS, not a crash.
func TestValidateMessageAttributesNumberSpellings(t *testing.T) {
	var accepted []string
	for _, v := range []string{"NaN", "nan", "Inf", "-Infinity", "0x1p-2", "0x_1p0", "1e200"} {
		if ValidateMessageAttributes(map[string]MessageAttribute{"n": {DataType: "Number", StringValue: v}}) == nil {
			accepted = append(accepted, v)
		}
	}
	if len(accepted) > 0 {
		t.Fatalf("Number values %q accepted; SQS rejects non-decimal numbers and magnitudes above 10^126", accepted)
	}
}

func TestValidChars(t *testing.T) {
	for _, s := range []string{
		"", "plain", "tab\there", "lf\nhere", "cr\rhere", " ",
		"emoji 💡🎉", "日本語", "\u00a0", "\uD7FF", "\uE000", "\uFFFD", "\U00010000", "\U0010FFFF",
	} {
		if !validChars(s) {
			t.Errorf("validChars(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"\x00", "a\x00b", "\x08", "\x01", "\x0b", "\x0c", "\x1f", "\uFFFE", "\uFFFF",
		"\xff", "abc\xc3", "\xed\xa0\x80", // invalid UTF-8, including an encoded surrogate
		"\xc0\x80", // overlong NUL
	} {
		if validChars(s) {
			t.Errorf("validChars(%q) = true, want false", s)
		}
	}
	// Exhaustive over the BMP and edges of the supplementary planes, against
	// the documented ranges.
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r > 0x10100 && r < 0x10FF00 {
			r = 0x10FF00
		}
		if !utf8.ValidRune(r) {
			continue // surrogates cannot be encoded in a valid string
		}
		if got := validChars(string(r)); got != mtAllowedRune(r) {
			t.Fatalf("validChars(%U) = %v, want %v", r, got, mtAllowedRune(r))
		}
	}
}

// mtNameRE is the documented attribute-name alphabet and length.
var mtNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// mtNameOK applies SQS's documented message attribute name rules.
func mtNameOK(name string) bool {
	lower := strings.ToLower(name)
	return mtNameRE.MatchString(name) &&
		!strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".") &&
		!strings.Contains(name, "..") &&
		!strings.HasPrefix(lower, "aws.") && !strings.HasPrefix(lower, "amazon.")
}

func FuzzValidateMessageAttributes(f *testing.F) {
	for _, s := range [][3]string{
		{"a", "String", "x"},
		{"a.b-c_D9", "Number", "-1.5e3"},
		{"img", "Binary.gif", "GIF89a"},
		{"n", "Number.float", " 3 "},
		{".a", "String", "x"},
		{"a.", "String", "x"},
		{"a..b", "String", "x"},
		{"AWS.x", "String", "x"},
		{"amazon.y", "String", "x"},
		{"aWs.", "String", "x"},
		{"a b", "String", "x"},
		{strings.Repeat("n", 257), "String", "x"},
		{"a", "Str", "x"},
		{"a", "Number.", "1"},
		{"a", "Foo", "x"},
		{"a", "String", ""},
		{"a", "Number", "abc"},
		{"a", "String", "\x00"},
		{"a", "String", "\xff"},
		{"é", "String", "x"},
		{"a\u212a", "String", "x"}, // KELVIN SIGN lower-cases to ASCII 'k'
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, name, dataType, value string) {
		a := MessageAttribute{DataType: dataType}
		if strings.HasPrefix(dataType, "Binary") {
			a.BinaryValue = []byte(value)
		} else {
			a.StringValue = value
		}
		err := ValidateMessageAttributes(map[string]MessageAttribute{name: a})
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) || qe.Code != CodeInvalidParameterValue {
				t.Fatalf("error %T %v, want *Error %s", err, err, CodeInvalidParameterValue)
			}
			// The converse: a well-formed String attribute is accepted.
			if mtNameOK(name) && dataType == "String" && value != "" && mtValidChars(value) {
				t.Fatalf("rejected valid attribute %q String %q: %v", name, value, err)
			}
			return
		}
		if !mtNameOK(name) {
			t.Fatalf("accepted attribute with invalid name %q", name)
		}
		base, custom, dotted := strings.Cut(dataType, ".")
		if len(dataType) > 256 || (dotted && custom == "") {
			t.Fatalf("accepted invalid data type %q", dataType)
		}
		switch base {
		case "String":
			if value == "" || !mtValidChars(value) {
				t.Fatalf("accepted String value %q", value)
			}
		case "Number":
			if strings.TrimSpace(value) == "" {
				t.Fatalf("accepted empty Number value %q", value)
			}
		case "Binary":
			if len(value) == 0 {
				t.Fatal("accepted empty Binary value")
			}
		default:
			t.Fatalf("accepted data type %q", dataType)
		}
	})
}

// mtAllowedRune is the documented message character set.
func mtAllowedRune(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(0x20 <= r && r <= 0xD7FF) || (0xE000 <= r && r <= 0xFFFD) || (0x10000 <= r && r <= 0x10FFFF)
}

// mtValidChars restates the allowed-character rule independently of
// validChars.
func mtValidChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !mtAllowedRune(r) {
			return false
		}
	}
	return true
}
