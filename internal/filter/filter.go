// Package filter implements the Amazon SNS subscription filter policy
// language: parsing, validation against AWS's limits (with AWS-style
// InvalidParameter error messages) and matching of published messages, for
// both filter policy scopes.
//
// # Scopes
//
// With ScopeMessageAttributes (the default) a policy is a flat JSON object
// whose keys name message attributes. With ScopeMessageBody the message body
// must be a JSON object; policy objects may nest to mirror the body, and
// arrays anywhere in the body are matched element by element (any element
// may satisfy a condition).
//
// # Semantics
//
// Every key of a policy must be satisfied (AND); within a key's array any one
// condition suffices (OR). A "$or" key whose value is an array of at least two
// objects, none of which uses an operator name as a field name, is an explicit
// OR of sub-policies; anywhere else "$or" is an ordinary key name. Message
// attributes and body properties the policy does not mention are ignored.
//
// Conditions: exact strings (case-sensitive), exact numbers (compared
// numerically with five decimal places, so 3.015e2 equals 301.5), the
// literals true, false and null, anything-but (a value, a list of strings or
// of numbers, or {"prefix": ...}), prefix, suffix, equals-ignore-case,
// numeric (=, <, <=, >, >= and two-sided ranges), exists, cidr (IPv4 and
// IPv6) and, as an Abanico extension enabled by Limits.AllowWildcard,
// wildcard with EventBridge semantics.
//
// String conditions match only string values, numeric conditions only
// numbers: a Number attribute never equals the string "5" and a String
// attribute never satisfies a numeric range. Binary attributes (and
// attributes of an unknown data type) are ignored, as AWS does.
//
// In the body scope the body and the policy are both flattened to
// dot-separated paths before matching, as AWS does: the policy key
// "a.b" matches {"a": {"b": ...}} as well as {"a.b": ...}, and values found
// at one path in different array elements are pooled.
package filter

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Scope selects what a filter policy is matched against. The zero value is
// ScopeMessageAttributes, which is also AWS's default.
type Scope int

const (
	// ScopeMessageAttributes matches a flat policy against message attributes.
	ScopeMessageAttributes Scope = iota
	// ScopeMessageBody matches a possibly nested policy against a JSON body.
	ScopeMessageBody
)

// String returns the AWS name of the scope ("MessageAttributes" or
// "MessageBody"); it is the inverse of ParseScope.
func (s Scope) String() string {
	switch s {
	case ScopeMessageAttributes:
		return "MessageAttributes"
	case ScopeMessageBody:
		return "MessageBody"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// ParseScope parses a FilterPolicyScope attribute value. "" and
// "MessageAttributes" give ScopeMessageAttributes, "MessageBody" gives
// ScopeMessageBody (case-sensitive, as AWS is). Anything else returns an
// *Error carrying AWS's message for an invalid scope.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "", "MessageAttributes":
		return ScopeMessageAttributes, nil
	case "MessageBody":
		return ScopeMessageBody, nil
	}
	return 0, &Error{Message: errPrefix + "FilterPolicyScope: Invalid value [" + s +
		"]. Please use either MessageBody or MessageAttributes"}
}

// MaxPolicySize is the largest filter policy, in bytes, that Parse accepts
// (AWS's limit of 256 KB).
const MaxPolicySize = 256 * 1024

// maxDepth bounds the nesting of a policy document. It is not an AWS limit;
// it only keeps hostile input from exhausting the stack.
const maxDepth = 1000

// Limits are the validation limits Parse enforces.
type Limits struct {
	// MaxKeys is the largest number of keys a policy may have (AWS: 5).
	// Keys are counted as AWS documents it: only top-level keys, so a nested
	// body object counts once; a top-level "$or" contributes the key count
	// of its largest branch. Zero or less means the default.
	MaxKeys int
	// MaxCombinations is the largest allowed policy complexity (AWS: 150):
	// the product, over every value array, of its length times its nesting
	// depth, with the alternatives of an "$or" added up. Zero or less means
	// the default.
	MaxCombinations int
	// AllowWildcard enables the "wildcard" operator, an Abanico extension
	// that AWS SNS does not have. When false, "wildcard" is rejected as an
	// unrecognized match type, exactly as AWS rejects it.
	AllowWildcard bool
}

// DefaultLimits returns AWS's limits (5 keys, 150 combinations) with the
// wildcard extension enabled.
func DefaultLimits() Limits {
	return Limits{MaxKeys: 5, MaxCombinations: 150, AllowWildcard: true}
}

func (l Limits) normalized() Limits {
	d := DefaultLimits()
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	if l.MaxCombinations <= 0 {
		l.MaxCombinations = d.MaxCombinations
	}
	return l
}

// Error is a filter policy (or scope) validation error. Message is formatted
// like the Message of AWS's InvalidParameter error for SetSubscriptionAttributes,
// e.g. "Invalid parameter: FilterPolicy: Filter policy is too complex".
type Error struct {
	Message string
}

// Error returns e.Message.
func (e *Error) Error() string { return e.Message }

// SubscribeMessage returns the message in the form AWS uses when the policy
// arrived in Subscribe's Attributes parameter, where "Attributes Reason: " is
// inserted after "Invalid parameter: ".
func (e *Error) SubscribeMessage() string {
	if rest, ok := strings.CutPrefix(e.Message, errPrefix); ok {
		return errPrefix + "Attributes Reason: " + rest
	}
	return e.Message
}

const errPrefix = "Invalid parameter: "

func policyError(reason string) *Error {
	return &Error{Message: errPrefix + "FilterPolicy: " + reason}
}

// Attribute is an SNS message attribute as published.
type Attribute struct {
	// Type is the DataType: "String", "String.Array", "Number" or "Binary",
	// optionally followed by a custom label ("Number.float", "String.id").
	Type string
	// Value is the StringValue; for Binary attributes it is not matched.
	// A String.Array value is a JSON array whose string, number, boolean and
	// null elements are matched one by one.
	Value string
}

// Policy is a compiled filter policy. It is immutable and safe for
// concurrent use by multiple goroutines.
type Policy struct {
	scope Scope
	// root is nil for an empty policy, which matches every message.
	root *node
	// paths holds every leaf path and each of its dot-separated prefixes;
	// body flattening descends only into these.
	paths map[string]struct{}
	// existsFalse reports whether any condition is {"exists": false}.
	existsFalse bool
}

// Parse compiles a filter policy for the given scope, validating it as AWS
// does: the document must be a JSON object of at most MaxPolicySize bytes,
// every key maps to an array of match values (or, in the body scope, to a
// nested object), arrays are non-empty, each match object has exactly one
// known operator with a well-typed operand, numbers lie in [-1e9, 1e9], and
// the key count and complexity stay within lim. On failure it returns a nil
// Policy and an *Error with an AWS-style message.
//
// An empty or all-whitespace policyJSON, like "{}", yields a policy without
// conditions that matches every message (AWS treats an empty FilterPolicy as
// no policy).
func Parse(policyJSON string, scope Scope, lim Limits) (*Policy, error) {
	if scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		return nil, &Error{Message: errPrefix + "FilterPolicyScope: Invalid value [" +
			scope.String() + "]. Please use either MessageBody or MessageAttributes"}
	}
	if len(policyJSON) > MaxPolicySize {
		return nil, policyError(fmt.Sprintf("Filter policy is too large: %d bytes exceeds the maximum of %d bytes",
			len(policyJSON), MaxPolicySize))
	}
	p := &Policy{scope: scope}
	if strings.TrimSpace(policyJSON) == "" {
		return p, nil
	}
	if !utf8.ValidString(policyJSON) {
		return nil, policyError("Filter policy must be a valid UTF-8 string")
	}
	doc, err := parseJSON(policyJSON)
	if err != nil {
		return nil, policyError("Filter policy is not valid JSON: " + err.Error())
	}
	if doc.kind != jObject {
		return nil, policyError("Filter policy must be a JSON object")
	}
	if len(doc.fields) == 0 {
		return p, nil
	}
	c := compiler{scope: scope, lim: lim.normalized()}
	root := &node{}
	keys, combos, cerr := c.object(doc.fields, "", 1, root)
	if cerr != nil {
		return nil, cerr
	}
	if keys > c.lim.MaxKeys {
		return nil, policyError(fmt.Sprintf("Filter policy can not have more than %d keys", c.lim.MaxKeys))
	}
	if combos > int64(c.lim.MaxCombinations) {
		return nil, policyError("Filter policy is too complex")
	}
	p.root = root
	p.paths = make(map[string]struct{})
	root.walk(func(l *leaf) {
		for i := 0; i < len(l.path); i++ {
			if l.path[i] == '.' {
				p.paths[l.path[:i]] = struct{}{}
			}
		}
		p.paths[l.path] = struct{}{}
		for i := range l.conds {
			if l.conds[i].op == opExists && !l.conds[i].exists {
				p.existsFalse = true
			}
		}
	})
	return p, nil
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope { return p.scope }

// Match reports whether a published message passes the policy, using the
// body for a ScopeMessageBody policy and the attributes otherwise.
func (p *Policy) Match(body string, attrs map[string]Attribute) bool {
	if p.scope == ScopeMessageBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

// MatchAttributes reports whether message attributes satisfy the policy
// (whatever the policy's scope; body-scope paths are taken as attribute
// names). A key matches when the attribute exists and one of its values
// (each element, for String.Array) satisfies one of the key's conditions, or
// when {"exists": false} is among the conditions, the attribute is absent and
// the message has at least one non-Binary attribute, as AWS documents.
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	if p.root == nil {
		return true
	}
	nonEmpty := false
	if p.existsFalse {
		for _, a := range attrs {
			if attrKindOf(a.Type) != attrIgnored {
				nonEmpty = true
				break
			}
		}
	}
	return p.root.match(func(path string) field {
		a, ok := attrs[path]
		if !ok {
			return field{}
		}
		return attributeField(a)
	}, nonEmpty)
}

// MatchBody reports whether a message body satisfies the policy (whatever
// the policy's scope). A body that is not a JSON object never matches,
// except that a policy without conditions matches every body.
func (p *Policy) MatchBody(body string) bool {
	if p.root == nil {
		return true
	}
	fields, ok := p.bodyFields(body)
	if !ok {
		return false
	}
	return p.root.match(func(path string) field {
		if f := fields[path]; f != nil {
			return *f
		}
		return field{}
	}, true)
}

// jkind is the type of a parsed policy JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is a policy JSON value that, unlike map[string]any, keeps the order
// of object keys (so the first error is reported in document order) and the
// literal text of numbers.
type jvalue struct {
	kind   jkind
	text   string // string contents or number literal
	b      bool
	elems  []jvalue
	fields []jfield
}

type jfield struct {
	key string
	val jvalue
}

// tokenText renders v the way AWS quotes a token in numeric-match errors.
func (v jvalue) tokenText() string {
	switch v.kind {
	case jNull:
		return "null"
	case jBool:
		if v.b {
			return "true"
		}
		return "false"
	case jArray:
		return "["
	case jObject:
		return "{"
	}
	return v.text
}

func parseJSON(s string) (jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return jvalue{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jvalue{}, fmt.Errorf("unexpected data after the top-level value")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxDepth {
		return jvalue{}, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return jvalue{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jvalue{kind: jNull}, nil
	case bool:
		return jvalue{kind: jBool, b: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, text: string(t)}, nil
	case string:
		return jvalue{kind: jString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := jvalue{kind: jArray}
			for dec.More() {
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.elems = append(v.elems, e)
			}
			_, err := dec.Token() // ']'
			return v, err
		case '{':
			v := jvalue{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, err
				}
				key, _ := kt.(string)
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.fields = setField(v.fields, key, e)
			}
			_, err := dec.Token() // '}'
			return v, err
		}
	}
	return jvalue{}, fmt.Errorf("unexpected token %v", tok)
}

// setField adds key to fields; a repeated key replaces the earlier value in
// place (the last occurrence wins, as in most JSON readers).
func setField(fields []jfield, key string, v jvalue) []jfield {
	for i := range fields {
		if fields[i].key == key {
			fields[i].val = v
			return fields
		}
	}
	return append(fields, jfield{key: key, val: v})
}
