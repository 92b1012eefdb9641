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
// arrays anywhere in the body are matched element by element.
//
// # Semantics
//
// Every key of a policy must be satisfied (AND); within a key's array any one
// condition suffices (OR). A key is satisfied when one of its conditions
// holds for one of the values found under it: a String or Number attribute
// has one value, a String.Array attribute one per element, and a body path
// one per scalar found there (through arrays at any depth). This holds for
// anything-but too: ["rugby", "baseball"] satisfies anything-but "rugby".
//
// A "$or" key whose value is an array of at least two objects, none of which
// uses an operator name as a field name, is an explicit OR of sub-policies
// (at the top level or nested); otherwise "$or" is an ordinary key name.
// Message attributes and body properties the policy does not mention are
// ignored.
//
// Conditions: exact strings (case-sensitive), exact numbers (bare or
// {"numeric": ["=", x]}), the literals true, false and null, anything-but (a
// value, a list of strings or of numbers, or {"prefix": ...}), prefix, suffix,
// equals-ignore-case, numeric (=, <, <=, >, >= and ranges that start with >
// or >= and end with < or <=), exists, and cidr (IPv4 and IPv6).
//
// Types are not converted: string conditions match only strings and numeric
// conditions only numbers, so a Number attribute never equals the string "5"
// and a String attribute never satisfies a numeric range. anything-but holds
// for any non-null value that is not excluded, including values of another
// type. Binary attributes, and attributes of unknown data types, are ignored
// as AWS ignores Binary ones: they neither match nor count as present.
//
// Numbers are compared with five decimal places, so 3.015e2 equals 301.5 and
// 1.000001 equals 1. Policy numbers must lie in AWS's range [-1e9, 1e9];
// message numbers outside it satisfy no numeric condition.
//
// {"exists": true} holds when the key has a non-null, non-empty value (an
// empty string, null, [] or a nested object do not count); {"exists": false}
// holds otherwise, except that in the attribute scope it never holds for a
// message without attributes, as AWS documents.
//
// In the body scope the body and the policy are both flattened to
// dot-separated paths before matching, as AWS does: the policy key "a.b"
// matches {"a": {"b": ...}} as well as {"a.b": ...}, and values found at one
// path in different elements of an array are pooled.
//
// # Wildcard extension
//
// When Limits.AllowWildcard is set, {"wildcard": "pattern"} matches strings
// with EventBridge semantics: '*' matches any run of characters (possibly
// none), \* is a literal star and \\ a literal backslash (written "\\*" and
// "\\\\" inside JSON); other escapes and "**" are
// rejected. AWS SNS has no such operator and rejects it as an unrecognized
// match type, which is what Parse does when AllowWildcard is false.
package filter

import (
	"fmt"
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
// An empty or all-whitespace policyJSON, and "{}", yield a policy without
// conditions that matches every message (AWS treats an empty FilterPolicy as
// no policy). Parse never panics, whatever its input.
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
