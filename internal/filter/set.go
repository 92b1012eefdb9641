package filter

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Entry is one member of a Set: a subscription's id and its filter policy.
// A nil Policy matches every message.
type Entry struct {
	ID     int
	Policy *Policy
}

// Set is an immutable index over many policies (one per subscription) that
// returns, for a message, the ids of the policies that match: exactly the
// same answer as calling Policy.Match on each, but without evaluating every
// policy. It is safe for concurrent use by multiple goroutines.
//
// Each policy is indexed under an anchor: a set of index entries of which
// any matching message must hit at least one. The anchor is taken from one
// key of the policy's top-level AND (exact strings, numbers and literals are
// hashed; prefixes and suffixes are hashed by length; equals-ignore-case is
// hashed by case-folded value; numeric ranges go into an interval index;
// anything-but, exists:true, cidr and the like only require the key to be
// present) or from a top-level $or whose every branch is anchorable. The
// most selective candidate anchor is chosen. Policies with no anchorable
// key (only exists:false keys, or an $or with an unanchorable branch) are
// evaluated for every message. A message's attributes (every element of an
// array attribute) and, for body-scope policies, its body flattened once
// per message, are looked up in the index; each candidate is then confirmed
// by evaluating its whole policy, so the index only ever narrows the work.
type Set struct {
	// ids and pols are the entries, stably sorted by ID; internal entry
	// numbers (int32) index them, so ascending numbers mean ascending ids.
	ids  []int
	pols []*Policy
	// always lists the entries that match every message.
	always []int32
	attr   scopeIndex
	body   scopeIndex
}

// scopeIndex indexes the policies of one scope.
type scopeIndex struct {
	used     bool                  // some policy of this scope has conditions
	keys     map[string]struct{}   // paths the policies look at (with prefixes, for the body)
	paths    map[string]*pathIndex // anchors by path
	fallback []int32               // unanchorable entries, ascending
}

// pathIndex holds the anchors on one attribute name or body path.
type pathIndex struct {
	exact      map[valKey][]int32 // exact strings, numbers and literals
	fold       map[string][]int32 // equals-ignore-case, by foldKey
	prefix     map[string][]int32
	prefixLens []int // distinct prefix lengths, ascending
	suffix     map[string][]int32
	suffixLens []int
	ranges     *rangeIndex
	present    []int32 // the key only has to hold a value

	ivals []ival // ranges while building
}

type valKey struct {
	kind valueKind
	num  int64
	str  string
}

type anchorKind uint8

const (
	anchorExact anchorKind = iota
	anchorFold
	anchorPrefix
	anchorSuffix
	anchorRange
	anchorPresent
)

// anchor is one index entry a policy is filed under.
type anchor struct {
	kind   anchorKind
	path   string
	val    valKey // exact; str also for fold, prefix and suffix
	lo, hi int64  // range, inclusive
}

// Anchor costs estimate how many messages hit an entry; the cheapest anchor
// of a policy is used.
const (
	costExact    = 1
	costLiteral  = 2
	costAffix    = 2 // prefix or suffix of at least 3 bytes
	costShort    = 4 // shorter prefix or suffix
	costRange    = 3
	costHalfOpen = 6
	costPresent  = 10
)

// NewSet indexes entries. Entries are matched independently; ids should be
// unique (an id given twice is reported once per matching entry).
func NewSet(entries []Entry) *Set {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	s := &Set{ids: make([]int, len(sorted)), pols: make([]*Policy, len(sorted))}
	for i, e := range sorted {
		s.ids[i], s.pols[i] = e.ID, e.Policy
		n := int32(i)
		p := e.Policy
		if p == nil || p.root == nil {
			s.always = append(s.always, n)
			continue
		}
		si := &s.attr
		if p.scope == ScopeMessageBody {
			si = &s.body
			si.addKeys(p.paths)
		} else {
			si.addKeys(nil)
			p.root.walk(func(l *leaf) { si.keys[l.path] = struct{}{} })
		}
		si.used = true
		anchors, _, ok := nodeAnchors(p.root)
		if !ok {
			si.fallback = append(si.fallback, n)
			continue
		}
		for _, a := range anchors {
			si.add(a, n)
		}
	}
	s.attr.finish()
	s.body.finish()
	return s
}

func (si *scopeIndex) addKeys(paths map[string]struct{}) {
	if si.keys == nil {
		si.keys = make(map[string]struct{})
		si.paths = make(map[string]*pathIndex)
	}
	for k := range paths {
		si.keys[k] = struct{}{}
	}
}

func (si *scopeIndex) add(a anchor, n int32) {
	pi := si.paths[a.path]
	if pi == nil {
		pi = &pathIndex{}
		si.paths[a.path] = pi
	}
	switch a.kind {
	case anchorExact:
		if pi.exact == nil {
			pi.exact = make(map[valKey][]int32)
		}
		pi.exact[a.val] = append(pi.exact[a.val], n)
	case anchorFold:
		if pi.fold == nil {
			pi.fold = make(map[string][]int32)
		}
		pi.fold[a.val.str] = append(pi.fold[a.val.str], n)
	case anchorPrefix:
		if pi.prefix == nil {
			pi.prefix = make(map[string][]int32)
		}
		pi.prefix[a.val.str] = append(pi.prefix[a.val.str], n)
	case anchorSuffix:
		if pi.suffix == nil {
			pi.suffix = make(map[string][]int32)
		}
		pi.suffix[a.val.str] = append(pi.suffix[a.val.str], n)
	case anchorRange:
		pi.ivals = append(pi.ivals, ival{lo: a.lo, hi: a.hi, n: n})
	case anchorPresent:
		pi.present = append(pi.present, n)
	}
}

func (si *scopeIndex) finish() {
	for _, pi := range si.paths {
		pi.prefixLens = keyLens(pi.prefix)
		pi.suffixLens = keyLens(pi.suffix)
		if len(pi.ivals) > 0 {
			pi.ranges = newRangeIndex(pi.ivals)
			pi.ivals = nil
		}
	}
}

func keyLens(m map[string][]int32) []int {
	var lens []int
	for k := range m {
		lens = append(lens, len(k))
	}
	slices.Sort(lens)
	return slices.Compact(lens)
}

// nodeAnchors chooses the cheapest anchor of a conjunction: the anchor of
// one of its keys, or the union of the anchors of the branches of one of its
// $or groups. ok is false when there is none. An empty anchor with ok means
// the node can never match.
func nodeAnchors(n *node) (anchors []anchor, cost int, ok bool) {
	cost = math.MaxInt
	for i := range n.leaves {
		if a, c, lok := leafAnchors(&n.leaves[i]); lok && c < cost {
			anchors, cost, ok = a, c, true
		}
	}
	for _, group := range n.ors {
		var ga []anchor
		gc, gok := 0, true
		for _, b := range group {
			a, c, bok := nodeAnchors(b)
			if !bok {
				gok = false
				break
			}
			ga = append(ga, a...)
			gc += c
		}
		if gok && gc < cost {
			anchors, cost, ok = ga, gc, true
		}
	}
	return anchors, cost, ok
}

// leafAnchors returns the anchors of one key: an entry per condition, or a
// single presence entry when some condition cannot be indexed by value. A
// key with {"exists": false} has no anchor (it holds for absent keys).
func leafAnchors(l *leaf) (anchors []anchor, cost int, ok bool) {
	present := false
	for i := range l.conds {
		c := &l.conds[i]
		a := anchor{path: l.path}
		k := 0
		switch c.op {
		case opExactString:
			a.val, k = valKey{kind: kindString, str: c.str}, costExact
		case opExactNumber:
			a.val, k = valKey{kind: kindNumber, num: c.num}, costExact
		case opLiteral:
			a.val, k = valKey{kind: c.lit}, costLiteral
		case opEqualsIgnoreCase:
			a.kind, a.val.str, k = anchorFold, foldKey(c.str), costExact
		case opPrefix:
			a.kind, a.val.str, k = anchorPrefix, c.str, affixCost(c.str)
		case opSuffix:
			a.kind, a.val.str, k = anchorSuffix, c.str, affixCost(c.str)
		case opWildcard:
			segs := c.wild.segs
			switch first, last := segs[0], segs[len(segs)-1]; {
			case len(segs) == 1:
				a.val, k = valKey{kind: kindString, str: first}, costExact
			case len(first) >= len(last):
				a.kind, a.val.str, k = anchorPrefix, first, affixCost(first)
			default:
				a.kind, a.val.str, k = anchorSuffix, last, affixCost(last)
			}
		case opNumeric:
			lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
			if c.rng.hasLo {
				lo = c.rng.lo
				if !c.rng.loIncl {
					lo++
				}
			}
			if c.rng.hasHi {
				hi = c.rng.hi
				if !c.rng.hiIncl {
					hi--
				}
			}
			switch {
			case lo > hi:
				continue // no number satisfies it
			case lo == hi:
				a.val, k = valKey{kind: kindNumber, num: lo}, costExact
			case c.rng.hasLo && c.rng.hasHi:
				a.kind, a.lo, a.hi, k = anchorRange, lo, hi, costRange
			default:
				a.kind, a.lo, a.hi, k = anchorRange, lo, hi, costHalfOpen
			}
		case opExists:
			if !c.exists {
				return nil, 0, false
			}
			present = true
			continue
		default: // anything-but, cidr: any value may match
			present = true
			continue
		}
		if k >= costPresent {
			present = true
			continue
		}
		anchors = append(anchors, a)
		cost += k
	}
	if present || cost >= costPresent {
		return []anchor{{kind: anchorPresent, path: l.path}}, costPresent, true
	}
	return anchors, cost, true
}

func affixCost(s string) int {
	switch {
	case s == "":
		return costPresent
	case len(s) < 3:
		return costShort
	}
	return costAffix
}

// foldKey maps s to a form in which two strings are equal exactly when
// strings.EqualFold holds for them: every rune (U+FFFD for each invalid
// byte, as EqualFold decodes) becomes the smallest rune of its simple case
// folding orbit.
func foldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'a' <= c && c <= 'z' {
			ascii = false
			break
		}
	}
	if ascii {
		return s // already canonical: 'A' < 'a'
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// collect appends the entries anchored on this path that value v hits.
func (pi *pathIndex) collect(v value, out []int32) []int32 {
	switch v.kind {
	case kindString:
		if pi.exact != nil {
			out = append(out, pi.exact[valKey{kind: kindString, str: v.str}]...)
		}
		if pi.fold != nil {
			out = append(out, pi.fold[foldKey(v.str)]...)
		}
		for _, n := range pi.prefixLens {
			if n > len(v.str) {
				break
			}
			out = append(out, pi.prefix[v.str[:n]]...)
		}
		for _, n := range pi.suffixLens {
			if n > len(v.str) {
				break
			}
			out = append(out, pi.suffix[v.str[len(v.str)-n:]]...)
		}
	case kindNumber:
		if !v.numOK {
			break
		}
		if pi.exact != nil {
			out = append(out, pi.exact[valKey{kind: kindNumber, num: v.num}]...)
		}
		if pi.ranges != nil {
			out = pi.ranges.collect(v.num, out)
		}
	default:
		if pi.exact != nil {
			out = append(out, pi.exact[valKey{kind: v.kind}]...)
		}
	}
	return out
}

// collectField appends the entries anchored on this path that f hits.
func (pi *pathIndex) collectField(f *field, out []int32) []int32 {
	if !f.hasOne && len(f.many) == 0 {
		return out
	}
	out = append(out, pi.present...)
	if f.hasOne {
		out = pi.collect(f.one, out)
	}
	for _, v := range f.many {
		out = pi.collect(v, out)
	}
	return out
}

// ival is an inclusive numeric range anchoring entry n.
type ival struct {
	lo, hi int64
	n      int32
}

// rangeIndex answers stabbing queries: the ranges are sorted by lower
// bound, and a max segment tree over their upper bounds finds, within the
// prefix whose lower bounds are <= x, those whose upper bound is >= x in
// O((k+1) log n) for k results.
type rangeIndex struct {
	lo   []int64
	ns   []int32
	mx   []int64 // segment tree of upper bounds; leaves at size+i
	size int
}

func newRangeIndex(iv []ival) *rangeIndex {
	slices.SortFunc(iv, func(a, b ival) int { return cmp.Compare(a.lo, b.lo) })
	size := 1
	for size < len(iv) {
		size <<= 1
	}
	r := &rangeIndex{lo: make([]int64, len(iv)), ns: make([]int32, len(iv)), mx: make([]int64, 2*size), size: size}
	for i := range r.mx {
		r.mx[i] = math.MinInt64
	}
	for i, v := range iv {
		r.lo[i], r.ns[i], r.mx[size+i] = v.lo, v.n, v.hi
	}
	for i := size - 1; i > 0; i-- {
		r.mx[i] = max(r.mx[2*i], r.mx[2*i+1])
	}
	return r
}

func (r *rangeIndex) collect(x int64, out []int32) []int32 {
	k := sort.Search(len(r.lo), func(i int) bool { return r.lo[i] > x })
	return r.visit(1, 0, r.size, k, x, out)
}

func (r *rangeIndex) visit(node, l, h, k int, x int64, out []int32) []int32 {
	if l >= k || r.mx[node] < x {
		return out
	}
	if h-l == 1 {
		return append(out, r.ns[l])
	}
	m := (l + h) / 2
	out = r.visit(2*node, l, m, k, x, out)
	return r.visit(2*node+1, m, h, k, x, out)
}

// setScratch is the per-call working memory of Match.
type setScratch struct {
	cands      []int32
	matched    []int32
	attrFields map[string]field
	bodyFields map[string]*field
}

var setScratchPool = sync.Pool{New: func() any {
	return &setScratch{attrFields: make(map[string]field), bodyFields: make(map[string]*field)}
}}

// Match appends to dst the ids of the entries whose policy matches the
// message (as Policy.Match would decide), in ascending id order, and returns
// the extended slice. The body is decoded at most once, and each attribute
// parsed at most once, whatever the number of policies.
func (s *Set) Match(dst []int, body string, attrs map[string]Attribute) []int {
	if s == nil {
		return dst
	}
	if !s.attr.used && !s.body.used {
		for _, n := range s.always {
			dst = append(dst, s.ids[n])
		}
		return dst
	}
	sc := setScratchPool.Get().(*setScratch)
	cands, matched := sc.cands[:0], sc.matched[:0]

	attrFields := sc.attrFields
	nonEmpty := false
	if s.attr.used {
		for k, a := range attrs {
			if attrKindOf(a.Type) == attrIgnored {
				continue
			}
			nonEmpty = true
			if _, want := s.attr.keys[k]; !want {
				continue
			}
			f := attributeField(a)
			attrFields[k] = f
			if pi := s.attr.paths[k]; pi != nil {
				cands = pi.collectField(&f, cands)
			}
		}
	}
	attrLookup := func(path string) field { return attrFields[path] }

	bodyFields := sc.bodyFields
	bodyOK := false
	if s.body.used {
		var obj map[string]any
		if obj, bodyOK = decodeBodyObject(body); bodyOK {
			flattenPaths(obj, "", s.body.keys, bodyFields)
			for path, f := range bodyFields {
				if pi := s.body.paths[path]; pi != nil {
					cands = pi.collectField(f, cands)
				}
			}
		}
	}
	bodyLookup := func(path string) field {
		if f := bodyFields[path]; f != nil {
			return *f
		}
		return field{}
	}

	slices.Sort(cands)
	cands = slices.Compact(cands)
	confirm := func(n int32) {
		p := s.pols[n]
		var ok bool
		if p.scope == ScopeMessageBody {
			ok = bodyOK && p.root.match(bodyLookup, true)
		} else {
			ok = p.root.match(attrLookup, nonEmpty)
		}
		if ok {
			matched = append(matched, n)
		}
	}
	for _, n := range cands {
		confirm(n)
	}
	for _, n := range s.attr.fallback {
		confirm(n)
	}
	if bodyOK {
		for _, n := range s.body.fallback {
			confirm(n)
		}
	}
	slices.Sort(matched)

	// Merge the matches with the entries that match everything.
	i, j := 0, 0
	for i < len(matched) || j < len(s.always) {
		if j == len(s.always) || i < len(matched) && matched[i] < s.always[j] {
			dst = append(dst, s.ids[matched[i]])
			i++
		} else {
			dst = append(dst, s.ids[s.always[j]])
			j++
		}
	}

	small := len(attrFields) <= 256 && len(bodyFields) <= 256
	clear(attrFields)
	clear(bodyFields)
	if small && cap(cands) <= 1<<16 && cap(matched) <= 1<<16 {
		sc.cands, sc.matched = cands[:0], matched[:0]
		setScratchPool.Put(sc)
	}
	return dst
}
