package filter

import (
	"encoding/json"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

type opKind uint8

const (
	opExactString opKind = iota
	opExactNumber
	opLiteral // true, false or null
	opAnythingBut
	opAnythingButPrefix
	opPrefix
	opSuffix
	opEqualsIgnoreCase
	opNumeric
	opExists
	opCIDR
	opWildcard
)

// cond is one compiled match condition.
type cond struct {
	op     opKind
	str    string    // exact, prefix, suffix, equals-ignore-case, anything-but prefix
	num    int64     // exact number (scaled)
	lit    valueKind // literal
	strs   []string  // anything-but strings
	nums   []int64   // anything-but numbers (scaled)
	rng    numRange
	exists bool
	prefix netip.Prefix
	wild   *wildcard
}

// numRange is a numeric interval over scaled numbers.
type numRange struct {
	lo, hi         int64
	hasLo, hasHi   bool
	loIncl, hiIncl bool
}

func (r numRange) contains(n int64) bool {
	if r.hasLo && (n < r.lo || n == r.lo && !r.loIncl) {
		return false
	}
	if r.hasHi && (n > r.hi || n == r.hi && !r.hiIncl) {
		return false
	}
	return true
}

type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindTrue
	kindFalse
	kindNull
)

// value is one scalar message value.
type value struct {
	kind  valueKind
	str   string // kindString
	num   int64  // kindNumber, scaled; meaningful only when numOK
	numOK bool   // the number lies in AWS's range
}

// nonEmpty reports whether v counts toward {"exists": true}: AWS requires a
// non-null, non-empty value.
func (v value) nonEmpty() bool {
	return v.kind != kindNull && (v.kind != kindString || v.str != "")
}

// match reports whether the (non-exists) condition holds for one value.
func (c *cond) match(v value) bool {
	switch c.op {
	case opExactString:
		return v.kind == kindString && v.str == c.str
	case opExactNumber:
		return v.kind == kindNumber && v.numOK && v.num == c.num
	case opLiteral:
		return v.kind == c.lit
	case opAnythingBut:
		switch v.kind {
		case kindNull:
			return false
		case kindString:
			for _, s := range c.strs {
				if s == v.str {
					return false
				}
			}
		case kindNumber:
			for _, n := range c.nums {
				if v.numOK && n == v.num {
					return false
				}
			}
		}
		return true
	case opAnythingButPrefix:
		if v.kind == kindString {
			return !strings.HasPrefix(v.str, c.str)
		}
		return v.kind != kindNull
	case opNumeric:
		return v.kind == kindNumber && v.numOK && c.rng.contains(v.num)
	}
	if v.kind != kindString {
		return false
	}
	switch c.op {
	case opPrefix:
		return strings.HasPrefix(v.str, c.str)
	case opSuffix:
		return strings.HasSuffix(v.str, c.str)
	case opEqualsIgnoreCase:
		return strings.EqualFold(v.str, c.str)
	case opWildcard:
		return c.wild.match(v.str)
	case opCIDR:
		a, err := netip.ParseAddr(v.str)
		return err == nil && a.Zone() == "" && c.prefix.Contains(a)
	}
	return false
}

// field is what a message holds under one policy key.
type field struct {
	exists bool    // at least one non-null, non-empty value
	one    value   // the single value of a String or Number attribute
	hasOne bool    //
	many   []value // array elements, or every value found at a body path
}

func (f *field) add(v value) {
	f.many = append(f.many, v)
	f.exists = f.exists || v.nonEmpty()
}

// match reports whether any of the leaf's conditions holds for the field.
// nonEmpty tells whether the message has any attribute at all, which
// {"exists": false} requires in the attribute scope.
func (l *leaf) match(f field, nonEmpty bool) bool {
	for i := range l.conds {
		c := &l.conds[i]
		if c.op == opExists {
			if c.exists == f.exists && (c.exists || nonEmpty) {
				return true
			}
			continue
		}
		if f.hasOne && c.match(f.one) {
			return true
		}
		for _, v := range f.many {
			if c.match(v) {
				return true
			}
		}
	}
	return false
}

func (n *node) match(lookup func(path string) field, nonEmpty bool) bool {
	for i := range n.leaves {
		l := &n.leaves[i]
		if !l.match(lookup(l.path), nonEmpty) {
			return false
		}
	}
	for _, group := range n.ors {
		ok := false
		for _, b := range group {
			if b.match(lookup, nonEmpty) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

type attrKind uint8

const (
	attrIgnored attrKind = iota
	attrString
	attrNumber
	attrArray
)

// attrKindOf classifies an attribute DataType. "String.Array" (and the
// "Number.Array" that AWS's documentation uses in an example) hold JSON
// arrays; otherwise the part before the first '.' is the base type, the rest
// a custom label. Binary and unknown types are ignored.
func attrKindOf(t string) attrKind {
	base, label, _ := strings.Cut(t, ".")
	switch base {
	case "String", "Number":
		if label == "Array" {
			return attrArray
		}
		if base == "String" {
			return attrString
		}
		return attrNumber
	}
	return attrIgnored
}

func attributeField(a Attribute) field {
	switch attrKindOf(a.Type) {
	case attrString:
		v := value{kind: kindString, str: a.Value}
		return field{exists: v.nonEmpty(), one: v, hasOne: true}
	case attrNumber:
		if v, ok := numberValue(strings.TrimSpace(a.Value)); ok {
			return field{exists: true, one: v, hasOne: true}
		}
	case attrArray:
		var elems []any
		dec := json.NewDecoder(strings.NewReader(a.Value))
		dec.UseNumber()
		if dec.Decode(&elems) != nil {
			return field{}
		}
		if _, err := dec.Token(); err != io.EOF {
			return field{}
		}
		var f field
		for _, e := range elems {
			collectScalars(e, &f)
		}
		return f
	}
	return field{}
}

// collectScalars adds the scalar values in e, flattening nested arrays and
// skipping objects.
func collectScalars(e any, f *field) {
	switch t := e.(type) {
	case []any:
		for _, x := range t {
			collectScalars(x, f)
		}
	case map[string]any:
	default:
		if v, ok := jsonScalar(t); ok {
			f.add(v)
		}
	}
}

// jsonScalar converts a decoded JSON scalar (decoded with UseNumber).
func jsonScalar(x any) (value, bool) {
	switch t := x.(type) {
	case string:
		return value{kind: kindString, str: t}, true
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		n, ok := scaleNumber(f)
		return value{kind: kindNumber, num: n, numOK: ok && err == nil}, true
	case bool:
		if t {
			return value{kind: kindTrue}, true
		}
		return value{kind: kindFalse}, true
	case nil:
		return value{kind: kindNull}, true
	}
	return value{}, false
}

// numberValue parses a Number attribute: an optionally signed decimal number
// with an optional fraction and exponent (no hex, Inf or NaN).
func numberValue(s string) (value, bool) {
	if !isDecimal(s) {
		return value{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	n, ok := scaleNumber(f)
	return value{kind: kindNumber, num: n, numOK: ok && err == nil}, true
}

func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// bodyFields decodes a JSON object body and gathers, for every path the
// policy mentions, the scalar values found there. Object keys are joined
// with '.', and array elements at any depth all contribute to the same
// path. ok is false when the body is not a single JSON object.
func (p *Policy) bodyFields(body string) (fields map[string]*field, ok bool) {
	obj, ok := decodeBodyObject(body)
	if !ok {
		return nil, false
	}
	fields = make(map[string]*field)
	p.flatten(obj, "", fields)
	return fields, true
}

// decodeBodyObject decodes a body that must be a single JSON object.
func decodeBodyObject(body string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var root any
	if dec.Decode(&root) != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	obj, isObj := root.(map[string]any)
	return obj, isObj
}

func (p *Policy) flatten(x any, path string, out map[string]*field) {
	flattenPaths(x, path, p.paths, out)
}

// flattenPaths gathers into out the scalar values of x by dot-joined path,
// descending only into paths listed in paths. Every dot-separated prefix of
// a wanted path must be listed too (Parse guarantees it for a policy).
func flattenPaths(x any, path string, paths map[string]struct{}, out map[string]*field) {
	switch t := x.(type) {
	case map[string]any:
		for k, child := range t {
			cp := k
			if path != "" {
				cp = path + "." + k
			}
			if _, want := paths[cp]; want {
				flattenPaths(child, cp, paths, out)
			}
		}
	case []any:
		for _, e := range t {
			flattenPaths(e, path, paths, out)
		}
	default:
		v, _ := jsonScalar(t)
		f := out[path]
		if f == nil {
			f = &field{}
			out[path] = f
		}
		f.add(v)
	}
}

// wildcard is a compiled EventBridge-style wildcard pattern: the literal
// segments between unescaped '*' characters.
type wildcard struct {
	segs []string
}

// parseWildcard compiles a pattern in which '*' matches any run of
// characters (including none), "\*" is a literal star and "\\" a literal
// backslash. Like EventBridge it rejects other escapes and "**".
func parseWildcard(p string) (*wildcard, *Error) {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) || (p[i+1] != '*' && p[i+1] != '\\') {
				return nil, policyError("Invalid escape character at pos " + strconv.Itoa(i+1))
			}
			i++
			cur.WriteByte(p[i])
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				return nil, policyError("Consecutive wildcard characters at pos " + strconv.Itoa(i+1))
			}
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(p[i])
		}
	}
	return &wildcard{segs: append(segs, cur.String())}, nil
}

func (w *wildcard) match(s string) bool {
	segs := w.segs
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range segs[1 : len(segs)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
