package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var fuzzTypes = []string{"String", "Number", "String.Array", "Binary", "Number.float", "Number.Array", "Other"}

// FuzzParse feeds arbitrary policies to Parse in both scopes. Parse must not
// panic, must fail only with an *Error in AWS's format, and an accepted
// policy must match attribute maps (built from its own keys) and bodies
// without panicking and deterministically.
func FuzzParse(f *testing.F) {
	f.Add(`{"a": ["x", 1, {"prefix": "p"}]}`, `{"a": "x"}`, `x`, uint8(0))
	f.Add(`{"a": {"b": [{"numeric": [">", 0, "<=", 5]}]}}`, `{"a": [{"b": 3}]}`, `3`, uint8(1))
	f.Add(`{"$or": [{"a": [{"exists": false}]}, {"b": [{"cidr": "10.0.0.0/8"}]}]}`, `{"b": "10.1.2.3"}`, `10.1.2.3`, uint8(2))
	f.Fuzz(func(t *testing.T, policy, body, val string, typ uint8) {
		for _, scope := range []Scope{ScopeMessageAttributes, ScopeMessageBody} {
			p, err := Parse(policy, scope, DefaultLimits())
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) || !strings.HasPrefix(fe.Message, "Invalid parameter: ") {
					t.Fatalf("Parse error %T %q is not an AWS-style *Error", err, err)
				}
				if p != nil {
					t.Fatal("Parse returned both a policy and an error")
				}
				continue
			}
			if p.Scope() != scope {
				t.Fatalf("Scope() = %v, want %v", p.Scope(), scope)
			}
			a := map[string]Attribute{"other": {Type: "String", Value: val}}
			if p.root != nil {
				p.root.walk(func(l *leaf) {
					a[l.path] = Attribute{Type: fuzzTypes[int(typ)%len(fuzzTypes)], Value: val}
				})
			}
			r1 := p.MatchAttributes(a)
			if r2 := p.MatchAttributes(a); r1 != r2 {
				t.Fatal("MatchAttributes is not deterministic")
			}
			p.MatchAttributes(nil)
			b1 := p.MatchBody(body)
			if b2 := p.MatchBody(body); b1 != b2 {
				t.Fatal("MatchBody is not deterministic")
			}
			p.MatchBody(val)
			if got, want := p.Match(body, a), map[Scope]bool{ScopeMessageAttributes: r1, ScopeMessageBody: b1}[scope]; got != want {
				t.Fatalf("Match = %v, want %v", got, want)
			}
		}
	})
}

// fuzzBodyPolicies is a fixed set of body-scope policies covering every
// operator, nesting and $or.
var fuzzBodyPolicies = []string{
	`{"k": ["a", 1, true, false, null]}`,
	`{"k": [{"prefix": "a"}, {"suffix": "z"}, {"equals-ignore-case": "MiXeD"}]}`,
	`{"k": [{"anything-but": ["a", "b"]}], "n": [{"anything-but": [1, 2.5]}]}`,
	`{"k": [{"anything-but": {"prefix": "a"}}, {"exists": false}]}`,
	`{"n": [{"numeric": [">", -10, "<=", 10]}, {"numeric": ["=", 3.015e2]}, 42]}`,
	`{"ip": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}]}`,
	`{"k": [{"wildcard": "a*b\\*c*"}]}`,
	`{"a": {"b": {"c": ["x"]}, "d": [{"exists": true}]}}`,
	`{"a.b": ["x"], "$or": [{"k": ["a"]}, {"n": [{"numeric": ["<", 0]}]}]}`,
	`{"$or": [{"a": {"$or": [{"b": ["1"]}, {"c": [1]}]}}, {"k": [{"exists": true}]}]}`,
}

// FuzzMatchBody matches arbitrary bodies against a fixed set of policies.
// Beyond not panicking it checks invariants: Match dispatches to MatchBody,
// exists:true and exists:false are complements on JSON-object bodies (and
// both false otherwise), and an $or policy equals the OR of its branches.
func FuzzMatchBody(f *testing.F) {
	policies := make([]*Policy, len(fuzzBodyPolicies))
	for i, s := range fuzzBodyPolicies {
		policies[i] = mustParse(f, s, ScopeMessageBody)
	}
	existsT := mustParse(f, `{"k": [{"exists": true}]}`, ScopeMessageBody)
	existsF := mustParse(f, `{"k": [{"exists": false}]}`, ScopeMessageBody)
	orP := mustParse(f, `{"$or": [{"k": [{"prefix": "a"}]}, {"n": [{"numeric": [">", 0]}]}]}`, ScopeMessageBody)
	left := mustParse(f, `{"k": [{"prefix": "a"}]}`, ScopeMessageBody)
	right := mustParse(f, `{"n": [{"numeric": [">", 0]}]}`, ScopeMessageBody)

	f.Add(`{"k": "a", "n": 1}`)
	f.Add(`{"a": [{"b": {"c": "x"}}, {"d": 0}]}`)
	f.Add(`[1, 2]`)
	f.Fuzz(func(t *testing.T, body string) {
		for i, p := range policies {
			r := p.MatchBody(body)
			if p.Match(body, nil) != r {
				t.Fatalf("policy %d: Match disagrees with MatchBody", i)
			}
		}
		var obj map[string]any
		isObject := json.Unmarshal([]byte(body), &obj) == nil && obj != nil
		et, ef := existsT.MatchBody(body), existsF.MatchBody(body)
		if isObject && et == ef {
			t.Fatalf("exists true=%v and false=%v on object body %q", et, ef, body)
		}
		if !isObject && (et || ef) {
			t.Fatalf("exists matched non-object body %q", body)
		}
		if got, want := orP.MatchBody(body), left.MatchBody(body) || right.MatchBody(body); got != want {
			t.Fatalf("$or = %v, OR of branches = %v, body %q", got, want, body)
		}
	})
}
