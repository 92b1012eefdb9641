package filter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// linearMatch is the reference answer: Policy.Match on every entry.
func linearMatch(entries []Entry, body string, a map[string]Attribute) []int {
	var ids []int
	for _, e := range entries {
		if e.Policy == nil || e.Policy.Match(body, a) {
			ids = append(ids, e.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func checkSet(t testing.TB, s *Set, entries []Entry, body string, a map[string]Attribute, what string) {
	t.Helper()
	want := linearMatch(entries, body, a)
	got := s.Match(nil, body, a)
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\nSet.Match = %v\nlinear    = %v\nbody %q\nattrs %v", what, got, want, body, a)
	}
}

// randGen generates random policies and messages over small domains, so
// that conditions hit and miss often.
type randGen struct{ r *rand.Rand }

var (
	genStrings = []string{"", "x", "xy", "xyz", "Xy", "XY", "ab", "aXb", "a*b", "ba", "K", "k", "\u212a", "s", "S", "\u017f",
		"straße", "STRASSE", "10.0.0.1", "10.1.2.3", "192.168.1.1", "2001:db8::1", "region-1-east", "region-12-", "\xff"}
	genNumbers   = []string{"-1", "0", "0.5", "1", "1.000001", "2", "3", "3.00001", "5", "10", "1e2", "301.5", "1e9", "-1e9"}
	genMsgNums   = append(slices.Clone(genNumbers), "2e9", "-3e9", "1e400", "0x10", "abc", " 3 ", "", "+2", "1.", ".5")
	genAttrKeys  = []string{"a", "b", "c", "d"}
	genBodyKeys  = []string{"a", "b", "n"}
	genAttrTypes = []string{"String", "String", "Number", "Number", "String.Array", "String.Array", "Binary", "Number.float",
		"String.label", "Number.Array", "Other"}
)

func (g randGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g randGen) quote(s string) string   { return strconv.Quote(s) }

// jsonString quotes s as JSON (strconv.Quote escapes are valid JSON except
// for \x, which genStrings only produce for the invalid byte; Parse rejects
// policies that are not UTF-8 anyway).
func (g randGen) jsonString(s string) string {
	if !strings.Contains(s, "\xff") {
		return g.quote(s)
	}
	return g.quote("x")
}

func (g randGen) cond() string {
	s := func() string { return g.jsonString(g.pick(genStrings)) }
	n := func() string { return g.pick(genNumbers) }
	switch g.r.IntN(22) {
	case 0, 1, 2:
		return s()
	case 3, 4:
		return n()
	case 5:
		return g.pick([]string{"true", "false", "null"})
	case 6:
		return `{"prefix": ` + g.jsonString(g.pick([]string{"", "x", "xy", "a", "10.", "region-1", "K", "s"})) + `}`
	case 7:
		return `{"suffix": ` + g.jsonString(g.pick([]string{"", "y", "b", "east", "xyz", "1"})) + `}`
	case 8:
		return `{"equals-ignore-case": ` + s() + `}`
	case 9:
		return `{"anything-but": ` + s() + `}`
	case 10:
		return `{"anything-but": [` + s() + `, ` + s() + `]}`
	case 11:
		return `{"anything-but": [` + n() + `, ` + n() + `]}`
	case 12:
		return `{"anything-but": {"prefix": ` + g.jsonString(g.pick([]string{"x", "a", "10."})) + `}}`
	case 13, 14, 15:
		ops := []string{"=", "<", "<=", ">", ">="}
		op := ops[g.r.IntN(len(ops))]
		if op[0] == '>' && g.r.IntN(2) == 0 {
			lo := g.r.IntN(6) - 1
			hi := lo + 1 + g.r.IntN(5)
			hiOp := g.pick([]string{"<", "<="})
			loText := strconv.Itoa(lo)
			if g.r.IntN(4) == 0 {
				loText = strconv.Itoa(lo) + ".99999"
				hi = lo + 1
			}
			return fmt.Sprintf(`{"numeric": [%q, %s, %q, %d]}`, op, loText, hiOp, hi)
		}
		return fmt.Sprintf(`{"numeric": [%q, %s]}`, op, n())
	case 16:
		return `{"exists": true}`
	case 17:
		return `{"exists": false}`
	case 18:
		return `{"cidr": ` + g.quote(g.pick([]string{"10.0.0.0/8", "10.0.0.0/24", "2001:db8::/32", "0.0.0.0/0"})) + `}`
	case 19, 20:
		return `{"wildcard": ` + g.quote(g.pick([]string{"x*", "*y", "x*y", "*", "a*b", `a\\*b`, "*e*", "xy", "region-*-east", "K*"})) + `}`
	default:
		return `{"numeric": ["=", ` + n() + `]}`
	}
}

func (g randGen) leaf() string {
	conds := make([]string, 1+g.r.IntN(3))
	for i := range conds {
		conds[i] = g.cond()
	}
	return "[" + strings.Join(conds, ", ") + "]"
}

// object generates a policy object; nested objects only in the body scope.
func (g randGen) object(scope Scope, depth int) string {
	keys := genAttrKeys
	if scope == ScopeMessageBody {
		keys = genBodyKeys
	}
	var fields []string
	used := map[string]bool{}
	for range 1 + g.r.IntN(2) {
		k := g.pick(keys)
		if used[k] {
			continue
		}
		used[k] = true
		if scope == ScopeMessageBody && k == "n" {
			if g.r.IntN(2) == 0 {
				fields = append(fields, `"n": {"x": `+g.leaf()+`}`)
			} else {
				fields = append(fields, `"n.x": `+g.leaf())
			}
			continue
		}
		fields = append(fields, g.quote(k)+": "+g.leaf())
	}
	if depth < 2 && g.r.IntN(4) == 0 {
		branches := make([]string, 2+g.r.IntN(2))
		for i := range branches {
			branches[i] = g.object(scope, depth+1)
		}
		fields = append(fields, `"$or": [`+strings.Join(branches, ", ")+`]`)
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

func (g randGen) policy() *Policy {
	for {
		scope := ScopeMessageAttributes
		if g.r.IntN(3) == 0 {
			scope = ScopeMessageBody
		}
		text := g.object(scope, 0)
		if g.r.IntN(20) == 0 {
			text = "{}"
		}
		if p, err := Parse(text, scope, DefaultLimits()); err == nil {
			return p
		}
	}
}

func (g randGen) scalar() string {
	switch g.r.IntN(6) {
	case 0, 1, 2:
		return g.quote(g.pick(genStrings))
	case 3, 4:
		return g.pick(genNumbers)
	}
	return g.pick([]string{"true", "false", "null", "2e9", "[]", "{}", `{"x": "x"}`})
}

func (g randGen) array() string {
	elems := make([]string, g.r.IntN(4))
	for i := range elems {
		if g.r.IntN(6) == 0 {
			elems[i] = "[" + g.scalar() + "]"
		} else {
			elems[i] = g.scalar()
		}
	}
	return "[" + strings.Join(elems, ", ") + "]"
}

func (g randGen) attrs() map[string]Attribute {
	if g.r.IntN(12) == 0 {
		return nil
	}
	a := map[string]Attribute{}
	for range g.r.IntN(5) {
		typ := g.pick(genAttrTypes)
		var v string
		switch {
		case strings.HasSuffix(typ, "Array"):
			v = g.array()
			if g.r.IntN(10) == 0 {
				v = v[:len(v)-1]
			}
		case strings.HasPrefix(typ, "Number"):
			v = g.pick(genMsgNums)
		default:
			v = g.pick(genStrings)
		}
		k := g.pick(slices.Concat(genAttrKeys, []string{"other"}))
		a[k] = Attribute{Type: typ, Value: v}
	}
	return a
}

func (g randGen) bodyValue(depth int) string {
	switch g.r.IntN(5) {
	case 0:
		return g.array()
	case 1:
		if depth < 2 {
			return `{"x": ` + g.bodyValue(depth+1) + `}`
		}
	case 2:
		if depth < 2 {
			return `[{"x": ` + g.bodyValue(depth+1) + `}, {"y": 1}, ` + g.scalar() + `]`
		}
	}
	return g.scalar()
}

func (g randGen) body() string {
	switch g.r.IntN(15) {
	case 0:
		return ""
	case 1:
		return `[{"a": "x"}]`
	case 2:
		return `{"a": "x"`
	case 3:
		return `"x"`
	}
	var fields []string
	for _, k := range slices.Concat(genBodyKeys, []string{"n.x", "other"}) {
		if g.r.IntN(2) == 0 {
			fields = append(fields, g.quote(k)+": "+g.bodyValue(0))
		}
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// TestSetMatchesLinearScan is the property test: for random sets of random
// policies and random messages, Set.Match equals the linear scan.
func TestSetMatchesLinearScan(t *testing.T) {
	g := randGen{rand.New(rand.NewPCG(1, 2))}
	sets, msgs := 400, 40
	if testing.Short() {
		sets = 100
	}
	cases, evals, hits := 0, 0, 0
	for i := range sets {
		n := 1 + g.r.IntN(60)
		entries := make([]Entry, n)
		for j := range entries {
			entries[j].ID = g.r.IntN(4*n) - n // possibly negative, possibly repeated
			if g.r.IntN(15) != 0 {
				entries[j].Policy = g.policy()
			}
		}
		s := NewSet(entries)
		for k := range msgs {
			body, a := g.body(), g.attrs()
			checkSet(t, s, entries, body, a, fmt.Sprintf("set %d message %d", i, k))
			cases++
			evals += len(entries)
			hits += len(linearMatch(entries, body, a))
		}
	}
	// Matches must be neither rare nor the rule, or the test proves little.
	if hits < evals/20 || hits > evals/2 {
		t.Errorf("%d of %d policy evaluations matched: generator is off balance", hits, evals)
	}
	t.Logf("%d messages, %d of %d policy evaluations matched", cases, hits, evals)
}

// TestSetSinglePolicies checks every random policy alone too, so a wrong
// anchor cannot hide behind another policy of the set matching.
func TestSetSinglePolicies(t *testing.T) {
	g := randGen{rand.New(rand.NewPCG(3, 4))}
	for i := range 3000 {
		entries := []Entry{{ID: 7, Policy: g.policy()}}
		s := NewSet(entries)
		for k := range 8 {
			checkSet(t, s, entries, g.body(), g.attrs(), fmt.Sprintf("policy %d message %d", i, k))
		}
	}
}

func TestSetEdgeCases(t *testing.T) {
	A, B := ScopeMessageAttributes, ScopeMessageBody
	tests := []struct {
		name   string
		policy string
		scope  Scope
		body   string
		attrs  attrs
		want   bool
	}{
		{"exact", `{"k": ["v"]}`, A, ``, attrs{"k": str("v")}, true},
		{"exact miss", `{"k": ["v"]}`, A, ``, attrs{"k": str("w")}, false},
		{"exact custom label", `{"k": ["v"]}`, A, ``, attrs{"k": typed("String.id", "v")}, true},
		{"exact on String.Array element", `{"k": ["v"]}`, A, ``, attrs{"k": arr(`["u", "v"]`)}, true},
		{"exact on nested String.Array element", `{"k": ["v"]}`, A, ``, attrs{"k": arr(`[["v"]]`)}, true},
		{"exact never on Binary", `{"k": ["v"]}`, A, ``, attrs{"k": bin("v")}, false},
		{"invalid String.Array", `{"k": ["v"]}`, A, ``, attrs{"k": arr(`["v"`)}, false},
		{"string never equals Number", `{"k": ["5"]}`, A, ``, attrs{"k": num("5")}, false},
		{"number never equals String", `{"k": [5]}`, A, ``, attrs{"k": str("5")}, false},
		{"number exponent form", `{"k": [301.5]}`, A, ``, attrs{"k": num("3.015e2")}, true},
		{"number rounding", `{"k": [1]}`, A, ``, attrs{"k": num("1.000001")}, true},
		{"number in array", `{"k": [5]}`, A, ``, attrs{"k": arr(`["x", 5]`)}, true},
		{"Number.Array", `{"k": [{"numeric": [">", 4]}]}`, A, ``, attrs{"k": typed("Number.Array", `[1, 5]`)}, true},
		{"numeric = as exact", `{"k": [{"numeric": ["=", 2]}]}`, A, ``, attrs{"k": num("2.000001")}, true},
		{"range", `{"k": [{"numeric": [">=", 1, "<", 5]}]}`, A, ``, attrs{"k": num("4.99999")}, true},
		{"range upper excluded", `{"k": [{"numeric": [">=", 1, "<", 5]}]}`, A, ``, attrs{"k": num("5")}, false},
		{"range lower excluded", `{"k": [{"numeric": [">", 1, "<", 5]}]}`, A, ``, attrs{"k": num("1")}, false},
		{"empty range", `{"k": [{"numeric": [">", 1, "<", 1.00001]}]}`, A, ``, attrs{"k": num("1.000005")}, false},
		{"half-open range", `{"k": [{"numeric": ["<", 0]}]}`, A, ``, attrs{"k": num("-1e9")}, true},
		{"out-of-range number", `{"k": [{"numeric": [">", 0]}]}`, A, ``, attrs{"k": num("2e9")}, false},
		{"out-of-range number anything-but", `{"k": [{"anything-but": [1]}]}`, A, ``, attrs{"k": num("2e9")}, true},
		{"malformed Number", `{"k": [{"exists": true}]}`, A, ``, attrs{"k": num("0x10")}, false},
		{"literal in array", `{"k": [true]}`, A, ``, attrs{"k": arr(`[false, true]`)}, true},
		{"null literal", `{"k": [null]}`, A, ``, attrs{"k": arr(`[null]`)}, true},
		{"prefix", `{"k": [{"prefix": "ab"}]}`, A, ``, attrs{"k": str("abc")}, true},
		{"prefix equal length", `{"k": [{"prefix": "ab"}]}`, A, ``, attrs{"k": str("ab")}, true},
		{"prefix too short", `{"k": [{"prefix": "ab"}]}`, A, ``, attrs{"k": str("a")}, false},
		{"empty prefix", `{"k": [{"prefix": ""}]}`, A, ``, attrs{"k": str("")}, true},
		{"suffix", `{"k": [{"suffix": "yz"}]}`, A, ``, attrs{"k": arr(`["a", "xyz"]`)}, true},
		{"ignore case", `{"k": [{"equals-ignore-case": "KELVIN"}]}`, A, ``, attrs{"k": str("\u212aelvin")}, true},
		{"ignore case long s", `{"k": [{"equals-ignore-case": "s"}]}`, A, ``, attrs{"k": str("\u017f")}, true},
		{"ignore case miss", `{"k": [{"equals-ignore-case": "ab"}]}`, A, ``, attrs{"k": str("abc")}, false},
		{"wildcard exact", `{"k": [{"wildcard": "a\\*"}]}`, A, ``, attrs{"k": str("a*")}, true},
		{"wildcard suffix", `{"k": [{"wildcard": "*east"}]}`, A, ``, attrs{"k": str("north-east")}, true},
		{"wildcard middle", `{"k": [{"wildcard": "*-1-*"}]}`, A, ``, attrs{"k": str("region-1-east")}, true},
		{"anything-but", `{"k": [{"anything-but": "x"}]}`, A, ``, attrs{"k": str("y")}, true},
		{"anything-but array element", `{"k": [{"anything-but": "x"}]}`, A, ``, attrs{"k": arr(`["x", "y"]`)}, true},
		{"cidr", `{"k": [{"cidr": "10.0.0.0/8"}]}`, A, ``, attrs{"k": str("10.9.9.9")}, true},
		{"exists false absent", `{"k": [{"exists": false}]}`, A, ``, attrs{"o": str("v")}, true},
		{"exists false no attributes", `{"k": [{"exists": false}]}`, A, ``, nil, false},
		{"exists false only Binary", `{"k": [{"exists": false}]}`, A, ``, attrs{"o": bin("v")}, false},
		{"exists false other key anchors", `{"k": [{"exists": false}], "j": ["v"]}`, A, ``, attrs{"j": str("v")}, true},
		{"exists true empty string", `{"k": [{"exists": true}]}`, A, ``, attrs{"k": str("")}, false},
		{"or anchored per branch", `{"$or": [{"a": ["1"]}, {"b": [{"prefix": "x"}]}]}`, A, ``, attrs{"b": str("xy")}, true},
		{"or with exists false branch", `{"$or": [{"a": ["1"]}, {"b": [{"exists": false}]}]}`, A, ``, attrs{"c": str("x")}, true},
		{"or miss", `{"$or": [{"a": ["1"]}, {"b": ["2"]}]}`, A, ``, attrs{"a": str("2")}, false},
		{"and with or", `{"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"]}]}`, A, ``, attrs{"a": str("1"), "c": str("3")}, true},
		{"attribute policy ignores body", `{"k": ["v"]}`, A, `{"k": "v"}`, nil, false},
		{"body exact", `{"k": ["v"]}`, B, `{"k": "v"}`, nil, true},
		{"body policy ignores attributes", `{"k": ["v"]}`, B, `{}`, attrs{"k": str("v")}, false},
		{"body nested", `{"a": {"b": [5]}}`, B, `{"a": {"b": 5}}`, nil, true},
		{"body dotted key", `{"a": {"b": ["x"]}}`, B, `{"a.b": "x"}`, nil, true},
		{"body array of objects", `{"a": {"b": [{"numeric": [">", 3]}]}}`, B, `{"a": [{"b": 1}, {"b": [4]}]}`, nil, true},
		{"body not an object", `{"k": [{"exists": false}]}`, B, `[1]`, nil, false},
		{"body invalid", `{"k": ["v"]}`, B, `{"k": "v"`, nil, false},
		{"body exists false", `{"k": [{"exists": false}]}`, B, `{}`, nil, true},
		{"body null", `{"k": [null]}`, B, `{"k": null}`, nil, true},
		{"empty body policy", `{}`, B, `not json`, nil, true},
		{"empty attribute policy", ``, A, ``, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy, tt.scope)
			if got := p.Match(tt.body, tt.attrs); got != tt.want {
				t.Fatalf("Policy.Match = %v, want %v (bad test case)", got, tt.want)
			}
			entries := []Entry{{ID: 1, Policy: p}}
			var want []int
			if tt.want {
				want = []int{1}
			}
			if got := NewSet(entries).Match(nil, tt.body, tt.attrs); !slices.Equal(got, want) {
				t.Fatalf("Set.Match = %v, want %v", got, want)
			}
		})
	}
}

func TestSetOrderAndDst(t *testing.T) {
	p := mustParse(t, `{"k": ["v"]}`, ScopeMessageAttributes)
	q := mustParse(t, `{"k": ["w"]}`, ScopeMessageAttributes)
	entries := []Entry{{ID: 9, Policy: p}, {ID: -3}, {ID: 4, Policy: q}, {ID: 2, Policy: p}, {ID: 100, Policy: mustParse(t, `{}`, ScopeMessageBody)}}
	s := NewSet(entries)
	got := s.Match([]int{42}, "", attrs{"k": str("v")})
	if want := []int{42, -3, 2, 9, 100}; !slices.Equal(got, want) {
		t.Fatalf("Match = %v, want %v", got, want)
	}
	if got := NewSet(nil).Match(nil, "", attrs{"k": str("v")}); len(got) != 0 {
		t.Fatalf("empty set matched %v", got)
	}
	var nilSet *Set
	if got := nilSet.Match([]int{1}, "", nil); !slices.Equal(got, []int{1}) {
		t.Fatalf("nil set: %v", got)
	}
	only := NewSet([]Entry{{ID: 5}, {ID: 1}})
	if got := only.Match(nil, "", nil); !slices.Equal(got, []int{1, 5}) {
		t.Fatalf("nil policies: %v", got)
	}
	// The caller's slice is not retained.
	entries[0].ID = 1000
	if got := s.Match(nil, "", attrs{"k": str("v")}); !slices.Equal(got, []int{-3, 2, 9, 100}) {
		t.Fatalf("after mutating entries: %v", got)
	}
}

// TestSetAnchors checks that the index actually narrows the work: the
// benchmark's policies are all anchored by value, and a message hits only a
// few candidates.
func TestSetAnchors(t *testing.T) {
	entries := benchEntries(t, 10000)
	s := NewSet(entries)
	if n := len(s.attr.fallback) + len(s.body.fallback); n != 0 {
		t.Errorf("%d policies fall back to a linear scan", n)
	}
	for k, pi := range s.attr.paths {
		if len(pi.present) != 0 {
			t.Errorf("key %q has %d presence anchors", k, len(pi.present))
		}
	}
	var cands []int32
	for k, a := range benchMessage {
		if pi := s.attr.paths[k]; pi != nil {
			f := attributeField(a)
			cands = pi.collectField(&f, cands)
		}
	}
	if len(cands) > 10 {
		t.Errorf("%d candidates for the benchmark message", len(cands))
	}
	checkSet(t, s, entries, "", benchMessage, "benchmark message")

	for _, tt := range []struct {
		policy string
		kind   anchorKind
		ok     bool
	}{
		{`{"a": [{"anything-but": "x"}], "b": ["y"]}`, anchorExact, true},
		{`{"a": [{"anything-but": "x"}], "b": [{"prefix": "y"}]}`, anchorPrefix, true},
		{`{"a": [{"anything-but": "x"}], "b": [{"exists": false}]}`, anchorPresent, true},
		{`{"a": [{"numeric": [">", 0, "<", 9]}], "b": [{"prefix": "yy-"}]}`, anchorPrefix, true},
		{`{"a": [{"numeric": [">", 0, "<", 9]}], "b": [{"prefix": "y"}]}`, anchorRange, true},
		{`{"a": [{"numeric": [">", 0]}], "b": [{"cidr": "10.0.0.0/8"}]}`, anchorRange, true},
		{`{"a": [{"exists": false}]}`, 0, false},
		{`{"$or": [{"a": ["x"]}, {"b": [{"exists": false}]}]}`, 0, false},
		{`{"$or": [{"a": ["x"]}, {"b": [{"suffix": "y"}]}]}`, anchorExact, true},
	} {
		p := mustParse(t, tt.policy, ScopeMessageAttributes)
		as, _, ok := nodeAnchors(p.root)
		if ok != tt.ok || ok && as[0].kind != tt.kind {
			t.Errorf("%s: anchors %+v ok %v, want kind %v ok %v", tt.policy, as, ok, tt.kind, tt.ok)
		}
	}
}

func TestFoldKey(t *testing.T) {
	words := []string{"", "a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "Σ", "σ", "ς", "\xff", "\xfe", "\ufffd",
		"İ", "i", "I", "ı", "ǅ", "ǆ", "Ǆ", "straße", "STRAẞE", "Ab1", "aB1"}
	for _, a := range words {
		for _, b := range words {
			if (foldKey(a) == foldKey(b)) != strings.EqualFold(a, b) {
				t.Errorf("foldKey(%q)=%q foldKey(%q)=%q but EqualFold=%v", a, foldKey(a), b, foldKey(b), strings.EqualFold(a, b))
			}
		}
	}
}

func TestRangeIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		n := r.IntN(50)
		iv := make([]ival, n)
		for i := range iv {
			lo := int64(r.IntN(40) - 20)
			iv[i] = ival{lo: lo, hi: lo + int64(r.IntN(15)), n: int32(i)}
		}
		ri := newRangeIndex(slices.Clone(iv))
		for x := int64(-25); x <= 40; x++ {
			var want []int32
			for _, v := range iv {
				if v.lo <= x && x <= v.hi {
					want = append(want, v.n)
				}
			}
			got := ri.collect(x, nil)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("stab %d: got %v want %v", x, got, want)
			}
		}
	}
}

func TestSetConcurrent(t *testing.T) {
	g := randGen{rand.New(rand.NewPCG(7, 8))}
	entries := make([]Entry, 200)
	for i := range entries {
		entries[i] = Entry{ID: i, Policy: g.policy()}
	}
	s := NewSet(entries)
	type msg struct {
		body  string
		attrs map[string]Attribute
		want  []int
	}
	msgs := make([]msg, 50)
	for i := range msgs {
		b, a := g.body(), g.attrs()
		msgs[i] = msg{b, a, linearMatch(entries, b, a)}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			var dst []int
			for i := range 200 {
				m := msgs[(i+w)%len(msgs)]
				dst = s.Match(dst[:0], m.body, m.attrs)
				if !slices.Equal(dst, m.want) {
					t.Errorf("goroutine %d: got %v want %v", w, dst, m.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// fuzzSetPolicies are matched by FuzzSetMatch in both scopes, next to the
// policies the fuzzer supplies.
var fuzzSetPolicies = append(slices.Clone(fuzzBodyPolicies),
	`{"k": [{"numeric": [">=", 0, "<", 5]}], "j": [{"anything-but": "x"}]}`,
	`{"k": [{"wildcard": "*z"}, {"suffix": "q"}], "$or": [{"j": [1]}, {"j": [{"prefix": "a"}]}]}`,
	`{"k": [{"exists": false}], "j": [{"exists": true}]}`,
	`{"k": [{"equals-ignore-case": "straSSe"}]}`,
	``,
)

// FuzzSetMatch builds a Set from a fixed corpus plus the fuzzed policies
// (one per line, each in both scopes) and checks Set.Match against the
// linear scan for the fuzzed body and attributes.
func FuzzSetMatch(f *testing.F) {
	f.Add(`{"k": ["a"]}`+"\n"+`{"j": [{"prefix": "b"}]}`, `{"k": "a", "j": ["bc"]}`, "k", "a", uint8(0))
	f.Add(`{"k": [{"numeric": [">", 1, "<=", 3]}]}`, `{"k": [[2]]}`, "k", "2.5", uint8(1))
	f.Add(`{"$or": [{"k": [1]}, {"j": [{"exists": false}]}]}`, `{"j": null}`, "j", `[1, "x"]`, uint8(2))
	f.Add(`{"k": [{"equals-ignore-case": "K"}]}`, `{"k": "\u212a"}`, "k", "\u212a", uint8(0))
	f.Fuzz(func(t *testing.T, policies, body, key, val string, typ uint8) {
		var entries []Entry
		add := func(text string) {
			for _, scope := range []Scope{ScopeMessageAttributes, ScopeMessageBody} {
				if p, err := Parse(text, scope, DefaultLimits()); err == nil {
					entries = append(entries, Entry{ID: len(entries), Policy: p})
				}
			}
		}
		for _, text := range fuzzSetPolicies {
			add(text)
		}
		for text := range strings.SplitSeq(policies, "\n") {
			add(text)
		}
		entries = append(entries, Entry{ID: -1})
		s := NewSet(entries)
		a := attrs{key: {Type: fuzzTypes[int(typ)%len(fuzzTypes)], Value: val}}
		checkSet(t, s, entries, body, a, "fuzzed attribute")
		checkSet(t, s, entries, body, attrs{"k": str(val), "j": num(val)}, "k string, j number")
		checkSet(t, s, entries, val, nil, "value as body")
	})
}

// benchMessage matches a handful of the benchmark policies at every size:
// customer c3 (with status), region-5-, and the ranges starting at 2 and 6.
var benchMessage = map[string]Attribute{
	"customer": str("c3"),
	"region":   str("region-5-east"),
	"amount":   num("6"),
	"status":   str("shipped"),
	"source":   str("web"),
}

// benchEntries builds n subscriptions whose policies are all distinct: a
// mixture of exact, prefix, numeric range and exact plus anything-but.
func benchEntries(tb testing.TB, n int) []Entry {
	entries := make([]Entry, n)
	for i := range entries {
		var text string
		switch i % 4 {
		case 0:
			text = fmt.Sprintf(`{"customer": ["c%d"]}`, i)
		case 1:
			text = fmt.Sprintf(`{"region": [{"prefix": "region-%d-"}]}`, i)
		case 2:
			text = fmt.Sprintf(`{"amount": [{"numeric": [">=", %d, "<", %d]}]}`, i, i+5)
		case 3:
			text = fmt.Sprintf(`{"customer": ["c%d"], "status": [{"anything-but": ["cancelled"]}]}`, i)
		}
		entries[i] = Entry{ID: i, Policy: mustParse(tb, text, ScopeMessageAttributes)}
	}
	return entries
}

var benchSizes = []int{10, 1000, 10000, 100000}

func BenchmarkSetMatch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			entries := benchEntries(b, n)
			s := NewSet(entries)
			want := linearMatch(entries, "", benchMessage)
			if got := s.Match(nil, "", benchMessage); !slices.Equal(got, want) || len(want) < 3 {
				b.Fatalf("Set.Match = %v, linear = %v", got, want)
			}
			var dst []int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				dst = s.Match(dst[:0], "", benchMessage)
			}
		})
	}
}

func BenchmarkLinearMatch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			entries := benchEntries(b, n)
			var dst []int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				dst = dst[:0]
				for _, e := range entries {
					if e.Policy == nil || e.Policy.Match("", benchMessage) {
						dst = append(dst, e.ID)
					}
				}
			}
		})
	}
}

func BenchmarkNewSet(b *testing.B) {
	entries := benchEntries(b, 100000)
	b.ReportAllocs()
	for b.Loop() {
		NewSet(entries)
	}
}
