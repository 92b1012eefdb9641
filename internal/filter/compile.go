package filter

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// node is a conjunction: every leaf must match and, for each $or group, at
// least one branch must match.
type node struct {
	leaves []leaf
	ors    [][]*node
}

// leaf is one policy key (a dot-joined path in the body scope) and its
// alternative conditions.
type leaf struct {
	path  string
	conds []cond
}

func (n *node) walk(fn func(*leaf)) {
	for i := range n.leaves {
		fn(&n.leaves[i])
	}
	for _, g := range n.ors {
		for _, b := range g {
			b.walk(fn)
		}
	}
}

// reserved are the operator names; an object using one as a field name
// keeps an enclosing "$or" from being read as the OR operator.
var reserved = map[string]bool{
	"anything-but": true, "cidr": true, "equals-ignore-case": true, "exists": true,
	"numeric": true, "prefix": true, "suffix": true, "wildcard": true,
}

// Complexity arithmetic saturates at math.MaxInt64. Every factor is at
// least 1, so saturation never lets a policy through a finite limit.
func mulCap(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func addCap(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

type compiler struct {
	scope Scope
	lim   Limits
}

// object compiles the fields of a policy object into n, prefixing paths with
// prefix. It returns the object's key count (top-level counting: a nested
// object is one key, an $or group counts its largest branch) and its
// complexity.
func (c *compiler) object(fields []jfield, prefix string, depth int, n *node) (keys int, combos int64, err *Error) {
	if len(fields) == 0 {
		return 0, 0, policyError("Empty objects are not allowed")
	}
	combos = 1
	for _, f := range fields {
		k, v := f.key, f.val
		if k == "$or" && isOrGroup(v) {
			group := make([]*node, 0, len(v.elems))
			most, sum := 0, int64(0)
			for _, e := range v.elems {
				b := &node{}
				bk, bc, err := c.object(e.fields, prefix, depth, b)
				if err != nil {
					return 0, 0, err
				}
				group = append(group, b)
				most = max(most, bk)
				sum = addCap(sum, bc)
			}
			n.ors = append(n.ors, group)
			keys += most
			combos = mulCap(combos, sum)
			continue
		}
		switch v.kind {
		case jObject:
			_, cc, err := c.object(v.fields, prefix+k+".", depth+1, n)
			if err != nil {
				return 0, 0, err
			}
			if c.scope == ScopeMessageAttributes {
				return 0, 0, &Error{Message: errPrefix +
					"Filter policy scope MessageAttributes does not support nested filter policy"}
			}
			keys++
			combos = mulCap(combos, cc)
		case jArray:
			conds, err := c.values(v.elems)
			if err != nil {
				return 0, 0, err
			}
			n.leaves = append(n.leaves, leaf{path: prefix + k, conds: conds})
			keys++
			combos = mulCap(combos, mulCap(int64(len(v.elems)), int64(depth)))
		default:
			return 0, 0, policyError(`"` + k + `" must be an object or an array`)
		}
	}
	return keys, combos, nil
}

// isOrGroup reports whether the value of a "$or" key makes it the OR
// operator: an array of at least two objects, none of which has an operator
// name as a field name.
func isOrGroup(v jvalue) bool {
	if v.kind != jArray || len(v.elems) < 2 {
		return false
	}
	for _, e := range v.elems {
		if e.kind != jObject {
			return false
		}
		for _, f := range e.fields {
			if reserved[f.key] {
				return false
			}
		}
	}
	return true
}

// values compiles the match values of one key.
func (c *compiler) values(elems []jvalue) ([]cond, *Error) {
	if len(elems) == 0 {
		return nil, policyError("Empty arrays are not allowed")
	}
	conds := make([]cond, 0, len(elems))
	for _, e := range elems {
		var cd cond
		switch e.kind {
		case jString:
			cd = cond{op: opExactString, str: e.text}
		case jNumber:
			n, err := policyNumber(e.text)
			if err != nil {
				return nil, err
			}
			cd = cond{op: opExactNumber, num: n}
		case jBool:
			cd = cond{op: opLiteral, lit: kindFalse}
			if e.b {
				cd.lit = kindTrue
			}
		case jNull:
			cd = cond{op: opLiteral, lit: kindNull}
		case jObject:
			var err *Error
			if cd, err = c.operator(e.fields); err != nil {
				return nil, err
			}
		default:
			return nil, policyError("Match value must be String, number, true, false, or null")
		}
		conds = append(conds, cd)
	}
	return conds, nil
}

// stringOps maps the plain string operators to their condition kinds.
var stringOps = map[string]opKind{"prefix": opPrefix, "suffix": opSuffix, "equals-ignore-case": opEqualsIgnoreCase}

const (
	errOneKey       = "Only one key allowed in match expression"
	errTooManyElems = "Too many elements in numeric expression"
)

// operator compiles a match object such as {"prefix": "a"}. As in AWS, the
// first operator's operand is checked before extra keys are reported.
func (c *compiler) operator(fields []jfield) (cond, *Error) {
	if len(fields) == 0 {
		return cond{}, policyError("Match expression name not found")
	}
	name, v := fields[0].key, fields[0].val
	extra := len(fields) > 1
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		if v.kind != jString {
			return cond{}, policyError(name + " match pattern must be a string")
		}
		if extra {
			return cond{}, policyError(errOneKey)
		}
		return cond{op: stringOps[name], str: v.text}, nil
	case "wildcard":
		if !c.lim.AllowWildcard {
			break
		}
		if v.kind != jString {
			return cond{}, policyError("wildcard match pattern must be a string")
		}
		w, err := parseWildcard(v.text)
		if err != nil {
			return cond{}, err
		}
		if extra {
			return cond{}, policyError(errOneKey)
		}
		return cond{op: opWildcard, wild: w}, nil
	case "anything-but":
		cd, err := anythingBut(v)
		if err != nil {
			return cond{}, err
		}
		if extra {
			if v.kind == jObject {
				return cond{}, policyError(errOneKey)
			}
			return cond{}, policyError(errTooManyElems)
		}
		return cd, nil
	case "numeric":
		if v.kind != jArray {
			return cond{}, policyError("Value of numeric must be an array.")
		}
		r, err := numericRange(v.elems)
		if err != nil {
			return cond{}, err
		}
		if extra {
			return cond{}, policyError(errTooManyElems)
		}
		return cond{op: opNumeric, rng: r}, nil
	case "exists":
		if v.kind != jBool {
			return cond{}, policyError("exists match pattern must be either true or false.")
		}
		if extra {
			return cond{}, policyError(errOneKey)
		}
		return cond{op: opExists, exists: v.b}, nil
	case "cidr":
		if v.kind != jString {
			// AWS reports the prefix operator's message here.
			return cond{}, policyError("prefix match pattern must be a string")
		}
		pfx, err := parseCIDR(v.text)
		if err != nil {
			return cond{}, err
		}
		if extra {
			return cond{}, policyError(errOneKey)
		}
		return cond{op: opCIDR, prefix: pfx}, nil
	}
	return cond{}, policyError("Unrecognized match type " + name)
}

func anythingBut(v jvalue) (cond, *Error) {
	switch v.kind {
	case jObject:
		if len(v.fields) == 0 {
			return cond{}, policyError("Anything-But expression name not found")
		}
		inner, iv := v.fields[0].key, v.fields[0].val
		if inner != "prefix" {
			return cond{}, policyError("Unsupported anything-but pattern: " + inner)
		}
		if iv.kind != jString {
			return cond{}, policyError("prefix match pattern must be a string")
		}
		if iv.text == "" {
			return cond{}, policyError("Null prefix/suffix not allowed")
		}
		if len(v.fields) > 1 {
			return cond{}, policyError(errOneKey)
		}
		return cond{op: opAnythingButPrefix, str: iv.text}, nil
	case jString:
		return cond{op: opAnythingBut, strs: []string{v.text}}, nil
	case jNumber:
		n, err := policyNumber(v.text)
		if err != nil {
			return cond{}, err
		}
		return cond{op: opAnythingBut, nums: []int64{n}}, nil
	case jArray:
		cd := cond{op: opAnythingBut}
		for _, e := range v.elems {
			switch e.kind {
			case jString:
				cd.strs = append(cd.strs, e.text)
			case jNumber:
				n, err := policyNumber(e.text)
				if err != nil {
					return cond{}, err
				}
				cd.nums = append(cd.nums, n)
			default:
				return cond{}, policyError("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if (len(cd.strs) > 0) == (len(cd.nums) > 0) {
			return cond{}, policyError("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return cd, nil
	}
	return cond{}, policyError("Value of anything-but must be an array or single string/number value.")
}

// numericRange compiles the operand array of "numeric", reporting errors with
// AWS's messages and in AWS's order.
func numericRange(el []jvalue) (numRange, *Error) {
	text := func(i int) string {
		if i >= len(el) {
			return "]"
		}
		return el[i].tokenText()
	}
	operand := func(i int, op string) (int64, *Error) {
		if i >= len(el) || el[i].kind != jNumber {
			if op == "=" {
				op = "equals"
			}
			return 0, policyError("Value of " + op + " must be numeric")
		}
		return policyNumber(el[i].text)
	}
	if len(el) == 0 || el[0].kind != jString {
		return numRange{}, policyError("Invalid member in numeric match: " + text(0))
	}
	op := el[0].text
	switch op {
	case "=", "<", "<=":
		x, err := operand(1, op)
		if err != nil {
			return numRange{}, err
		}
		if len(el) > 2 {
			return numRange{}, policyError(errTooManyElems)
		}
		if op == "=" {
			return numRange{lo: x, hi: x, hasLo: true, hasHi: true, loIncl: true, hiIncl: true}, nil
		}
		return numRange{hi: x, hasHi: true, hiIncl: op == "<="}, nil
	case ">", ">=":
		lo, err := operand(1, op)
		if err != nil {
			return numRange{}, err
		}
		r := numRange{lo: lo, hasLo: true, loIncl: op == ">="}
		if len(el) == 2 {
			return r, nil
		}
		if el[2].kind != jString {
			return numRange{}, policyError("Bad value in numeric range: " + text(2))
		}
		op2 := el[2].text
		if op2 != "<" && op2 != "<=" {
			return numRange{}, policyError("Bad numeric range operator: " + op2)
		}
		hi, err := operand(3, op2)
		if err != nil {
			return numRange{}, err
		}
		if len(el) > 4 {
			return numRange{}, policyError("Too many terms in numeric range expression")
		}
		if hi <= lo {
			return numRange{}, policyError("Bottom must be less than top")
		}
		r.hi, r.hasHi, r.hiIncl = hi, true, op2 == "<="
		return r, nil
	}
	return numRange{}, policyError("Unrecognized numeric range operator: " + op)
}

// Numbers are compared as integers scaled by 10^5: AWS documents five
// decimal places of accuracy over the range [-1e9, 1e9], which keeps every
// scaled value well inside float64's exact-integer range.
const (
	numberLimit = 1e9
	numberScale = 1e5
)

// scaleNumber converts f to the comparison form; ok is false outside AWS's
// range (such message values satisfy no numeric condition).
func scaleNumber(f float64) (n int64, ok bool) {
	if math.IsNaN(f) || f < -numberLimit || f > numberLimit {
		return 0, false
	}
	return int64(math.Round(f * numberScale)), true
}

func policyNumber(text string) (int64, *Error) {
	f, err := strconv.ParseFloat(text, 64)
	n, ok := scaleNumber(f)
	if err != nil || !ok {
		return 0, policyError("Number " + text + " is out of range: numbers must be between -1000000000 and 1000000000")
	}
	return n, nil
}

// parseCIDR validates a cidr operand with AWS's checks and messages. As in
// AWS, the mask must be shorter than the address (at most /31 or /127).
func parseCIDR(s string) (netip.Prefix, *Error) {
	addrText, maskText, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(maskText, "/") || maskText == "" {
		return netip.Prefix{}, policyError("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.Atoi(maskText)
	if err != nil {
		return netip.Prefix{}, policyError("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return netip.Prefix{}, policyError("Malformed CIDR, mask bits must not be negative")
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, policyError("Nonstandard IP address: " + addrText)
	}
	if addr.Is4() && bits > 31 {
		return netip.Prefix{}, policyError("IPv4 mask bits must be < 32")
	}
	if !addr.Is4() && bits > 127 {
		return netip.Prefix{}, policyError("IPv6 mask bits must be < 128")
	}
	return netip.PrefixFrom(addr, bits).Masked(), nil
}
