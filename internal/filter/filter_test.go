package filter

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

type attrs = map[string]Attribute

func str(v string) Attribute      { return Attribute{Type: "String", Value: v} }
func num(v string) Attribute      { return Attribute{Type: "Number", Value: v} }
func arr(v string) Attribute      { return Attribute{Type: "String.Array", Value: v} }
func bin(v string) Attribute      { return Attribute{Type: "Binary", Value: v} }
func typed(t, v string) Attribute { return Attribute{Type: t, Value: v} }

func mustParse(t testing.TB, policy string, scope Scope) *Policy {
	t.Helper()
	p, err := Parse(policy, scope, DefaultLimits())
	if err != nil {
		t.Fatalf("Parse(%s): %v", policy, err)
	}
	return p
}

func TestMatchAttributes(t *testing.T) {
	const (
		interests   = `{"customer_interests": ["rugby", "tennis"]}`
		price       = `{"price_usd": [301.5]}`
		priceEq     = `{"price_usd": [{"numeric": ["=", 301.5]}]}`
		priceRange  = `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`
		notSports   = `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`
		notPrices   = `{"price": [{"anything-but": [100, 500]}]}`
		notOrder    = `{"event": [{"anything-but": {"prefix": "order-"}}]}`
		notXOrNone  = `{"k": [{"anything-but": ["x"]}, {"exists": false}]}`
		prefix      = `{"k": [{"prefix": "bas"}]}`
		suffix      = `{"k": [{"suffix": "ball"}]}`
		ignoreCase  = `{"k": [{"equals-ignore-case": "RuGbY"}]}`
		existsT     = `{"store": [{"exists": true}]}`
		existsF     = `{"store": [{"exists": false}]}`
		cidr4       = `{"source_ip": [{"cidr": "10.0.0.0/24"}]}`
		cidr6       = `{"source_ip": [{"cidr": "2001:db8::/32"}]}`
		wild        = `{"k": [{"wildcard": "a*b*"}]}`
		wildEscaped = `{"k": [{"wildcard": "a\\*"}]}`
		and         = `{"a": ["x"], "b": [{"numeric": [">", 1]}]}`
		or          = `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`
		orNested    = `{"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]}`
		orPlainKey  = `{"$or": ["a", "b"]}`
		orReserved  = `{"$or": [{"prefix": "ab"}, {"suffix": "yz"}]}`
		literals    = `{"k": [true, null]}`
		mixed       = `{"k": ["x", {"prefix": "y"}, 7]}`
	)
	tests := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		{"exact string", interests, attrs{"customer_interests": str("rugby")}, true},
		{"exact string second value", interests, attrs{"customer_interests": str("tennis")}, true},
		{"exact string mismatch", interests, attrs{"customer_interests": str("baseball")}, false},
		{"exact string is case-sensitive", interests, attrs{"customer_interests": str("Rugby")}, false},
		{"exact string custom type label", interests, attrs{"customer_interests": typed("String.sport", "rugby")}, true},
		{"exact string on String.Array", interests, attrs{"customer_interests": arr(`["baseball", "rugby"]`)}, true},
		{"exact string String.Array mismatch", interests, attrs{"customer_interests": arr(`["baseball"]`)}, false},
		{"exact string missing attribute", interests, attrs{"other": str("rugby")}, false},
		{"exact string never matches Number", `{"k": ["5"]}`, attrs{"k": num("5")}, false},
		{"exact string never matches Binary", interests, attrs{"customer_interests": bin("rugby")}, false},
		{"invalid String.Array matches nothing", interests, attrs{"customer_interests": arr(`["rugby"`)}, false},
		{"String.Array with trailing data", interests, attrs{"customer_interests": arr(`["rugby"] x`)}, false},

		{"bare number", price, attrs{"price_usd": num("301.5")}, true},
		{"bare number exponent form", price, attrs{"price_usd": num("3.015e2")}, true},
		{"bare number custom label", price, attrs{"price_usd": typed("Number.float", "301.50")}, true},
		{"bare number beyond 5 decimals rounds", price, attrs{"price_usd": num("301.500001")}, true},
		{"bare number fifth decimal differs", price, attrs{"price_usd": num("301.50001")}, false},
		{"bare number never matches String", price, attrs{"price_usd": str("301.5")}, false},
		{"bare number in String.Array", price, attrs{"price_usd": arr(`["x", 301.5]`)}, true},
		{"bare number vs quoted array element", price, attrs{"price_usd": arr(`["301.5"]`)}, false},
		{"numeric equals", priceEq, attrs{"price_usd": num("3.015e2")}, true},
		{"numeric equals mismatch", priceEq, attrs{"price_usd": num("301")}, false},
		{"invalid Number matches nothing", priceEq, attrs{"price_usd": num("abc")}, false},
		{"Number hex is not a number", `{"k": [16]}`, attrs{"k": num("0x10")}, false},

		{"range upper inclusive", priceRange, attrs{"price_usd": num("150")}, true},
		{"range lower exclusive", priceRange, attrs{"price_usd": num("0")}, false},
		{"range just above lower", priceRange, attrs{"price_usd": num("0.00001")}, true},
		{"range just above upper", priceRange, attrs{"price_usd": num("150.00001")}, false},
		{"range negative", priceRange, attrs{"price_usd": num("-1")}, false},
		{"range on String", priceRange, attrs{"price_usd": str("100")}, false},
		{"range any array element", priceRange, attrs{"price_usd": arr(`[200, 100]`)}, true},
		{"range out-of-range message number", `{"k": [{"numeric": [">", 0]}]}`, attrs{"k": num("2000000000")}, false},
		{"less than", `{"k": [{"numeric": ["<", 10]}]}`, attrs{"k": num("9.99999")}, true},
		{"less than boundary", `{"k": [{"numeric": ["<", 10]}]}`, attrs{"k": num("10")}, false},
		{"less or equal boundary", `{"k": [{"numeric": ["<=", 10]}]}`, attrs{"k": num("10")}, true},
		{"greater boundary", `{"k": [{"numeric": [">", 10]}]}`, attrs{"k": num("10")}, false},
		{"greater or equal boundary", `{"k": [{"numeric": [">=", 10]}]}`, attrs{"k": num("10")}, true},
		{"range with >= and <", `{"k": [{"numeric": [">=", -5, "<", 5]}]}`, attrs{"k": num("-5")}, true},
		{"range with >= and < top", `{"k": [{"numeric": [">=", -5, "<", 5]}]}`, attrs{"k": num("5")}, false},

		{"anything-but strings", notSports, attrs{"customer_interests": str("baseball")}, true},
		{"anything-but strings excluded", notSports, attrs{"customer_interests": str("rugby")}, false},
		{"anything-but array with other element", notSports, attrs{"customer_interests": arr(`["rugby", "baseball"]`)}, true},
		{"anything-but array all excluded", notSports, attrs{"customer_interests": arr(`["rugby", "tennis"]`)}, false},
		{"anything-but missing attribute", notSports, attrs{"other": str("x")}, false},
		{"anything-but string list vs Number", notSports, attrs{"customer_interests": num("5")}, true},
		{"anything-but numbers", notPrices, attrs{"price": num("101")}, true},
		{"anything-but numbers fraction", notPrices, attrs{"price": num("100.1")}, true},
		{"anything-but numbers excluded", notPrices, attrs{"price": num("100")}, false},
		{"anything-but numbers excluded exponent", notPrices, attrs{"price": num("1e2")}, false},
		{"anything-but numbers Number.Array", notPrices, attrs{"price": typed("Number.Array", "[100, 50]")}, true},
		{"anything-but numbers vs String", notPrices, attrs{"price": str("100")}, true},
		{"anything-but single string", `{"k": [{"anything-but": "whatever"}]}`, attrs{"k": str("x")}, true},
		{"anything-but single string excluded", `{"k": [{"anything-but": "whatever"}]}`, attrs{"k": str("whatever")}, false},
		{"anything-but single number", `{"k": [{"anything-but": 5}]}`, attrs{"k": num("5.0")}, false},
		{"anything-but prefix", notOrder, attrs{"event": str("data-entry")}, true},
		{"anything-but prefix underscore", notOrder, attrs{"event": str("order_number")}, true},
		{"anything-but prefix excluded", notOrder, attrs{"event": str("order-cancelled")}, false},
		{"anything-but prefix missing", notOrder, attrs{"other": str("x")}, false},
		{"anything-but or absent: absent", notXOrNone, attrs{"other": str("x")}, true},
		{"anything-but or absent: excluded", notXOrNone, attrs{"k": str("x")}, false},
		{"anything-but or absent: other", notXOrNone, attrs{"k": str("y")}, true},

		{"prefix", prefix, attrs{"k": str("baseball")}, true},
		{"prefix mismatch", prefix, attrs{"k": str("rugby")}, false},
		{"prefix on Number", `{"k": [{"prefix": "1"}]}`, attrs{"k": num("10")}, false},
		{"prefix in String.Array", prefix, attrs{"k": arr(`["rugby", "basketball"]`)}, true},
		{"suffix", suffix, attrs{"k": str("baseball")}, true},
		{"suffix mismatch", suffix, attrs{"k": str("rugby")}, false},
		{"equals-ignore-case", ignoreCase, attrs{"k": str("rugby")}, true},
		{"equals-ignore-case upper", ignoreCase, attrs{"k": str("RUGBY")}, true},
		{"equals-ignore-case mismatch", ignoreCase, attrs{"k": str("rugbyx")}, false},

		{"exists true", existsT, attrs{"store": str("fans")}, true},
		{"exists true Number", existsT, attrs{"store": num("99")}, true},
		{"exists true absent", existsT, attrs{"other": str("fans")}, false},
		{"exists true Binary ignored", existsT, attrs{"store": bin("AAAA")}, false},
		{"exists true empty value", existsT, attrs{"store": str("")}, false},
		{"exists true empty String.Array", existsT, attrs{"store": arr(`[]`)}, false},
		{"exists false absent", existsF, attrs{"other": str("x")}, true},
		{"exists false present", existsF, attrs{"store": str("fans")}, false},
		{"exists false no attributes", existsF, attrs{}, false},
		{"exists false nil attributes", existsF, nil, false},
		{"exists false only Binary attributes", existsF, attrs{"other": bin("AAAA")}, false},
		{"exists false Binary counts as absent", existsF, attrs{"store": bin("AAAA"), "x": str("y")}, true},

		{"cidr v4 low", cidr4, attrs{"source_ip": str("10.0.0.0")}, true},
		{"cidr v4 high", cidr4, attrs{"source_ip": str("10.0.0.255")}, true},
		{"cidr v4 outside", cidr4, attrs{"source_ip": str("10.1.1.0")}, false},
		{"cidr v4 not an ip", cidr4, attrs{"source_ip": str("banana")}, false},
		{"cidr v4 vs v6 value", cidr4, attrs{"source_ip": str("::1")}, false},
		{"cidr v6", cidr6, attrs{"source_ip": str("2001:db8::1")}, true},
		{"cidr v6 outside", cidr6, attrs{"source_ip": str("2001:db9::1")}, false},
		{"cidr v6 vs v4 value", cidr6, attrs{"source_ip": str("10.0.0.1")}, false},
		{"cidr unmasked network", `{"ip": [{"cidr": "10.0.0.77/24"}]}`, attrs{"ip": str("10.0.0.1")}, true},

		{"wildcard", wild, attrs{"k": str("axxbyy")}, true},
		{"wildcard empty runs", wild, attrs{"k": str("ab")}, true},
		{"wildcard order", wild, attrs{"k": str("ba")}, false},
		{"wildcard escaped star", wildEscaped, attrs{"k": str("a*")}, true},
		{"wildcard escaped star literal", wildEscaped, attrs{"k": str("ab")}, false},
		{"wildcard middle", `{"k": [{"wildcard": "*.png"}]}`, attrs{"k": str("dir/a.png")}, true},

		{"and both", and, attrs{"a": str("x"), "b": num("2")}, true},
		{"and one", and, attrs{"a": str("x"), "b": num("1")}, false},
		{"and extra attributes ignored", and, attrs{"a": str("x"), "b": num("2"), "c": str("z")}, true},
		{"or first branch", or, attrs{"source": str("aws.cloudwatch"), "metricName": str("CPUUtilization")}, true},
		{"or second branch", or, attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, true},
		{"or no branch", or, attrs{"source": str("aws.cloudwatch")}, false},
		{"or without shared key", or, attrs{"metricName": str("CPUUtilization")}, false},
		{"or nested inner", orNested, attrs{"c": str("3")}, true},
		{"or nested none", orNested, attrs{"d": str("4")}, false},
		{"$or as ordinary key", orPlainKey, attrs{"$or": str("a")}, true},
		{"$or as ordinary key mismatch", orPlainKey, attrs{"$or": str("c")}, false},
		{"$or with operator objects is a key", orReserved, attrs{"$or": str("abc")}, true},
		{"$or with operator objects suffix", orReserved, attrs{"$or": str("xyz")}, true},
		{"$or with operator objects mismatch", orReserved, attrs{"prefix": str("ab")}, false},

		{"literal true in String.Array", literals, attrs{"k": arr(`[true]`)}, true},
		{"literal null in String.Array", literals, attrs{"k": arr(`[null]`)}, true},
		{"literal true vs String", literals, attrs{"k": str("true")}, false},
		{"mixed conditions exact", mixed, attrs{"k": str("x")}, true},
		{"mixed conditions prefix", mixed, attrs{"k": str("yes")}, true},
		{"mixed conditions number", mixed, attrs{"k": num("7")}, true},
		{"mixed conditions none", mixed, attrs{"k": str("z")}, false},
		{"empty policy", ``, attrs{}, true},
		{"empty object policy", `{}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy, ScopeMessageAttributes)
			if got := p.MatchAttributes(tt.attrs); got != tt.want {
				t.Errorf("MatchAttributes(%v) with %s = %v, want %v", tt.attrs, tt.policy, got, tt.want)
			}
			if got := p.Match("not json", tt.attrs); got != tt.want {
				t.Errorf("Match dispatched wrongly: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	const (
		interests = `{"customer_interests": ["rugby", "tennis"]}`
		nested    = `{"store": {"city": ["seattle"]}}`
		s3        = `{"Records": {"s3": {"object": {"key": [{"prefix": "uploads/"}]}}}}`
		existsT   = `{"store": [{"exists": true}]}`
		existsF   = `{"store": [{"exists": false}]}`
		notPrices = `{"price": [{"anything-but": [100, 500]}]}`
		notX      = `{"k": [{"anything-but": ["x"]}]}`
		deep      = `{"a": {"b": {"c": {"d": ["v"]}}}}`
		orBody    = `{"kind": ["order"], "$or": [{"detail": {"total": [{"numeric": [">", 100]}]}}, {"vip": [true]}]}`
		orInside  = `{"a": {"$or": [{"b": ["1"]}, {"c": ["2"]}]}}`
		pooled    = `{"r": {"a": ["1"], "b": ["4"]}}`
	)
	tests := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"exact string", interests, `{"customer_interests": "rugby"}`, true},
		{"exact string mismatch", interests, `{"customer_interests": "baseball"}`, false},
		{"exact string in array", interests, `{"customer_interests": ["baseball", "tennis"]}`, true},
		{"exact string nested array", interests, `{"customer_interests": [["x", ["tennis"]]]}`, true},
		{"exact string vs number", `{"k": ["5"]}`, `{"k": 5}`, false},
		{"missing key", interests, `{"other": "rugby"}`, false},
		{"bare number", `{"p": [301.5]}`, `{"p": 3.015e2}`, true},
		{"bare number vs string", `{"p": [301.5]}`, `{"p": "301.5"}`, false},
		{"numeric range", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": 150}`, true},
		{"numeric range array", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": [-1, 151, 7]}`, true},
		{"numeric vs bool", `{"p": [{"numeric": [">", 0]}]}`, `{"p": true}`, false},
		{"numeric out of range value", `{"p": [{"numeric": [">", 0]}]}`, `{"p": 1e10}`, false},
		{"literal true", `{"k": [true]}`, `{"k": true}`, true},
		{"literal true vs string", `{"k": [true]}`, `{"k": "true"}`, false},
		{"literal false", `{"k": [false]}`, `{"k": false}`, true},
		{"literal false vs true", `{"k": [false]}`, `{"k": true}`, false},
		{"literal null", `{"k": [null]}`, `{"k": null}`, true},
		{"literal null vs absent", `{"k": [null]}`, `{"j": null}`, false},
		{"prefix", `{"k": [{"prefix": "ab"}]}`, `{"k": "abc"}`, true},
		{"prefix vs number", `{"k": [{"prefix": "1"}]}`, `{"k": 12}`, false},
		{"suffix", `{"k": [{"suffix": "bc"}]}`, `{"k": "abc"}`, true},
		{"equals-ignore-case", `{"k": [{"equals-ignore-case": "ABC"}]}`, `{"k": ["x", "aBc"]}`, true},
		{"cidr v6", `{"ip": [{"cidr": "2001:db8::/32"}]}`, `{"ip": "2001:db8:1::5"}`, true},
		{"cidr v4 miss", `{"ip": [{"cidr": "192.168.0.0/16"}]}`, `{"ip": "192.169.0.1"}`, false},
		{"wildcard", `{"k": [{"wildcard": "*-prod-*"}]}`, `{"k": "eu-prod-7"}`, true},

		{"anything-but numbers array", notPrices, `{"price": [100, 50]}`, true},
		{"anything-but numbers excluded", notPrices, `{"price": 100}`, false},
		{"anything-but null value", notX, `{"k": null}`, false},
		{"anything-but absent", notX, `{"j": "y"}`, false},
		{"anything-but bool", notX, `{"k": true}`, true},
		{"anything-but prefix vs number", `{"k": [{"anything-but": {"prefix": "a"}}]}`, `{"k": 5}`, true},

		{"nested", nested, `{"store": {"city": "seattle"}}`, true},
		{"nested mismatch", nested, `{"store": {"city": "boston"}}`, false},
		{"nested scalar parent", nested, `{"store": "seattle"}`, false},
		{"nested array of objects", nested, `{"store": [{"city": "x"}, {"city": "seattle"}]}`, true},
		{"nested deep", deep, `{"a": {"b": {"c": {"d": "v"}}}}`, true},
		{"nested deep arrays at every level", deep, `{"a": [[{"b": [{"c": [{"d": [["v"]]}]}]}]]}`, true},
		{"nested dotted key in body", deep, `{"a.b": {"c.d": "v"}}`, true},
		{"dotted key in policy", `{"a.b": ["v"]}`, `{"a": {"b": "v"}}`, true},
		{"dotted key literal", `{"a.b": ["v"]}`, `{"a.b": "v"}`, true},
		{"s3 records array", s3, `{"Records": [{"s3": {"object": {"key": "other/x"}}}, {"s3": {"object": {"key": "uploads/y"}}}]}`, true},
		{"s3 records miss", s3, `{"Records": [{"s3": {"object": {"key": "other/x"}}}]}`, false},
		{"values pooled across array elements", pooled, `{"r": [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]}`, true},

		{"exists true", existsT, `{"store": "fans"}`, true},
		{"exists true zero", existsT, `{"store": 0}`, true},
		{"exists true false", existsT, `{"store": false}`, true},
		{"exists true array", existsT, `{"store": [null, "x"]}`, true},
		{"exists true absent", existsT, `{"other": 1}`, false},
		{"exists true null", existsT, `{"store": null}`, false},
		{"exists true empty string", existsT, `{"store": ""}`, false},
		{"exists true empty array", existsT, `{"store": []}`, false},
		{"exists true intermediate node", existsT, `{"store": {"x": 1}}`, false},
		{"exists false absent", existsF, `{"other": 1}`, true},
		{"exists false empty body", existsF, `{}`, true},
		{"exists false present", existsF, `{"store": "fans"}`, false},
		{"exists false null", existsF, `{"store": null}`, true},
		{"exists nested leaf", `{"a": {"b": [{"exists": true}]}}`, `{"a": {"b": 1}}`, true},

		{"or first", orBody, `{"kind": "order", "detail": {"total": 101}}`, true},
		{"or second", orBody, `{"kind": "order", "vip": true}`, true},
		{"or neither", orBody, `{"kind": "order", "detail": {"total": 100}}`, false},
		{"or shared key fails", orBody, `{"kind": "refund", "vip": true}`, false},
		{"or inside nested", orInside, `{"a": {"c": "2"}}`, true},
		{"or inside nested miss", orInside, `{"a": {"b": "2"}}`, false},

		{"body array", interests, `["rugby"]`, false},
		{"body string", interests, `"rugby"`, false},
		{"body not json", interests, `rugby`, false},
		{"body empty", interests, ``, false},
		{"body trailing data", interests, `{"customer_interests": "rugby"} {}`, false},
		{"empty policy matches non-json", ``, `not json`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy, ScopeMessageBody)
			if got := p.MatchBody(tt.body); got != tt.want {
				t.Errorf("MatchBody(%s) with %s = %v, want %v", tt.body, tt.policy, got, tt.want)
			}
			if got := p.Match(tt.body, attrs{"customer_interests": str("rugby")}); got != tt.want {
				t.Errorf("Match dispatched wrongly: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	fp := func(reason string) string { return "Invalid parameter: FilterPolicy: " + reason }
	nestedErr := "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
	noWildcard := DefaultLimits()
	noWildcard.AllowWildcard = false
	values := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprintf(`"v%d"`, i)
		}
		return "[" + strings.Join(v, ",") + "]"
	}
	tests := []struct {
		name   string
		policy string
		scope  Scope
		lim    *Limits
		want   string
		prefix bool // want is only a prefix of the message
	}{
		{"invalid json", `{"a": [`, 0, nil, fp("Filter policy is not valid JSON"), true},
		{"trailing data", `{"a": ["x"]} x`, 0, nil, fp("Filter policy is not valid JSON"), true},
		{"invalid utf8", "{\"a\": [\"\xff\"]}", 0, nil, fp("Filter policy must be a valid UTF-8 string"), false},
		{"array policy", `["a"]`, 0, nil, fp("Filter policy must be a JSON object"), false},
		{"number policy", `123`, 0, nil, fp("Filter policy must be a JSON object"), false},
		{"null policy", `null`, 0, nil, fp("Filter policy must be a JSON object"), false},
		{"too large", `{"a": ["` + strings.Repeat("x", MaxPolicySize) + `"]}`, 0, nil, fp("Filter policy is too large"), true},
		{"too deep", strings.Repeat("[", 2000), 0, nil, fp("Filter policy is not valid JSON"), true},

		{"match value list", `{"key": [["value"]]}`, 0, nil, fp("Match value must be String, number, true, false, or null"), false},
		{"unknown operator", `{"key": [{"wrong-operator": true}]}`, 0, nil, fp("Unrecognized match type wrong-operator"), false},
		{"misspelt operator", `{"key": [{"prefi": "x"}]}`, 0, nil, fp("Unrecognized match type prefi"), false},
		{"empty match object", `{"key": [{}]}`, 0, nil, fp("Match expression name not found"), false},
		{"two operators", `{"key": [{"suffix": "value", "prefix": "value2"}]}`, 0, nil, fp("Only one key allowed in match expression"), false},
		{"two operators first invalid", `{"key": [{"suffix": 1, "prefix": "value2"}]}`, 0, nil, fp("suffix match pattern must be a string"), false},
		{"suffix number", `{"key": [{"suffix": 100}]}`, 0, nil, fp("suffix match pattern must be a string"), false},
		{"suffix null", `{"key": [{"suffix": null}]}`, 0, nil, fp("suffix match pattern must be a string"), false},
		{"suffix empty list", `{"key": [{"suffix": []}]}`, 0, nil, fp("suffix match pattern must be a string"), false},
		{"suffix list", `{"key": [{"suffix": ["test", "test2"]}]}`, 0, nil, fp("suffix match pattern must be a string"), false},
		{"prefix number", `{"key": [{"prefix": 1}]}`, 0, nil, fp("prefix match pattern must be a string"), false},
		{"equals-ignore-case number", `{"key": [{"equals-ignore-case": 1}]}`, 0, nil, fp("equals-ignore-case match pattern must be a string"), false},
		{"operator object as value", `{"key": {"suffix": "value"}}`, 0, nil, fp(`"suffix" must be an object or an array`), false},
		{"operator object two keys", `{"key": {"suffix": "value", "prefix": "value"}}`, 0, nil, fp(`"suffix" must be an object or an array`), false},
		{"non-operator object", `{"key": {"not-an-operator": "value"}}`, 0, nil, fp(`"not-an-operator" must be an object or an array`), false},
		{"scalar value", `{"key_a": "value_one"}`, 0, nil, fp(`"key_a" must be an object or an array`), false},
		{"scalar value body", `{"a": {"b": 5}}`, ScopeMessageBody, nil, fp(`"b" must be an object or an array`), false},
		{"empty array", `{"key": []}`, 0, nil, fp("Empty arrays are not allowed"), false},
		{"empty nested object", `{"a": {}}`, ScopeMessageBody, nil, fp("Empty objects are not allowed"), false},
		{"empty $or branch", `{"$or": [{}, {"a": ["x"]}]}`, 0, nil, fp("Empty objects are not allowed"), false},
		{"nested in attribute scope", `{"a": {"b": ["x"]}}`, ScopeMessageAttributes, nil, nestedErr, false},
		{"nested in attribute scope $or", `{"$or": [{"a": {"b": ["x"]}}, {"c": ["y"]}]}`, ScopeMessageAttributes, nil, nestedErr, false},
		{"single-branch $or is a key", `{"$or": [{"a": ["x"]}]}`, 0, nil, fp("Unrecognized match type a"), false},
		{"$or with reserved names is a key", `{"$or": [{"numeric": 123}, {"prefix": "abc"}]}`, 0, nil, fp("Value of numeric must be an array."), false},
		{"$or not an array", `{"$or": {"a": ["x"]}}`, 0, nil, nestedErr, false},

		{"numeric not array", `{"key": [{"numeric": 5}]}`, 0, nil, fp("Value of numeric must be an array."), false},
		{"numeric empty", `{"key": [{"numeric": []}]}`, 0, nil, fp("Invalid member in numeric match: ]"), false},
		{"numeric bad operator", `{"key": [{"numeric": ["operator"]}]}`, 0, nil, fp("Unrecognized numeric range operator: operator"), false},
		{"numeric operator order", `{"key": [{"numeric": [1, "<="]}]}`, 0, nil, fp("Invalid member in numeric match: 1"), false},
		{"numeric equals string", `{"key": [{"numeric": ["=", "000"]}]}`, 0, nil, fp("Value of equals must be numeric"), false},
		{"numeric missing value", `{"key": [{"numeric": [">="]}]}`, 0, nil, fp("Value of >= must be numeric"), false},
		{"numeric wrong range order", `{"key": [{"numeric": ["<", 100, ">", 10]}]}`, 0, nil, fp("Too many elements in numeric expression"), false},
		{"numeric equals too many", `{"key": [{"numeric": ["=", 1, "<", 2]}]}`, 0, nil, fp("Too many elements in numeric expression"), false},
		{"numeric wrong range operators", `{"key": [{"numeric": [">=", 1, ">", 2]}]}`, 0, nil, fp("Bad numeric range operator: >"), false},
		{"numeric bottom above top", `{"key": [{"numeric": [">", 3, "<", 1]}]}`, 0, nil, fp("Bottom must be less than top"), false},
		{"numeric bottom equals top", `{"key": [{"numeric": [">=", 3, "<=", 3]}]}`, 0, nil, fp("Bottom must be less than top"), false},
		{"numeric missing range value", `{"key": [{"numeric": [">", 20, "<="]}]}`, 0, nil, fp("Value of <= must be numeric"), false},
		{"numeric missing range operator", `{"key": [{"numeric": [">", 20, 30]}]}`, 0, nil, fp("Bad value in numeric range: 30"), false},
		{"numeric wrong second operator", `{"key": [{"numeric": [">", 20, "test"]}]}`, 0, nil, fp("Bad numeric range operator: test"), false},
		{"numeric first value type", `{"key": [{"numeric": [">", "20", "<", "30"]}]}`, 0, nil, fp("Value of > must be numeric"), false},
		{"numeric second value type", `{"key": [{"numeric": [">", 20, "<", "30"]}]}`, 0, nil, fp("Value of < must be numeric"), false},
		{"numeric too many terms", `{"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}`, 0, nil, fp("Too many terms in numeric range expression"), false},
		{"numeric extra key", `{"key": [{"numeric": [">", 1], "prefix": "a"}]}`, 0, nil, fp("Too many elements in numeric expression"), false},
		{"number out of range", `{"key": [1000000001]}`, 0, nil, fp("Number 1000000001 is out of range: numbers must be between -1000000000 and 1000000000"), false},
		{"numeric operand out of range", `{"key": [{"numeric": [">", -1e10]}]}`, 0, nil, fp("Number -1e10 is out of range: numbers must be between -1000000000 and 1000000000"), false},
		{"anything-but number out of range", `{"key": [{"anything-but": [2e9]}]}`, 0, nil, fp("Number 2e9 is out of range: numbers must be between -1000000000 and 1000000000"), false},
		{"number overflows float", `{"key": [1e400]}`, 0, nil, fp("Number 1e400 is out of range: numbers must be between -1000000000 and 1000000000"), false},

		{"exists null", `{"key": [{"exists": null}]}`, 0, nil, fp("exists match pattern must be either true or false."), false},
		{"exists string", `{"key": [{"exists": "no"}]}`, 0, nil, fp("exists match pattern must be either true or false."), false},
		{"exists extra key", `{"key": [{"exists": true, "prefix": "a"}]}`, 0, nil, fp("Only one key allowed in match expression"), false},
		{"exists on intermediate node", `{"key": {"exists": true}}`, ScopeMessageBody, nil, fp(`"exists" must be an object or an array`), false},

		{"anything-but unknown nested", `{"key": [{"anything-but": {"wrong-operator": null}}]}`, 0, nil, fp("Unsupported anything-but pattern: wrong-operator"), false},
		{"anything-but suffix", `{"key": [{"anything-but": {"suffix": "test"}}]}`, 0, nil, fp("Unsupported anything-but pattern: suffix"), false},
		{"anything-but equals-ignore-case", `{"key": [{"anything-but": {"equals-ignore-case": "test"}}]}`, 0, nil, fp("Unsupported anything-but pattern: equals-ignore-case"), false},
		{"anything-but exists", `{"key": [{"anything-but": {"exists": false}}]}`, 0, nil, fp("Unsupported anything-but pattern: exists"), false},
		{"anything-but prefix type", `{"key": [{"anything-but": {"prefix": false}}]}`, 0, nil, fp("prefix match pattern must be a string"), false},
		{"anything-but prefix empty", `{"key": [{"anything-but": {"prefix": ""}}]}`, 0, nil, fp("Null prefix/suffix not allowed"), false},
		{"anything-but empty object", `{"key": [{"anything-but": {}}]}`, 0, nil, fp("Anything-But expression name not found"), false},
		{"anything-but prefix two keys", `{"key": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, 0, nil, fp("Only one key allowed in match expression"), false},
		{"anything-but bool", `{"key": [{"anything-but": true}]}`, 0, nil, fp("Value of anything-but must be an array or single string/number value."), false},
		{"anything-but null", `{"key": [{"anything-but": null}]}`, 0, nil, fp("Value of anything-but must be an array or single string/number value."), false},
		{"anything-but list bool", `{"key": [{"anything-but": ["a", true]}]}`, 0, nil, fp("Inside anything but list, start|null|boolean is not supported."), false},
		{"anything-but list mixed", `{"key": [{"anything-but": ["a", 1]}]}`, 0, nil, fp("Inside anything but list, either all values are number or string, mixed type is not supported"), false},
		{"anything-but list empty", `{"key": [{"anything-but": []}]}`, 0, nil, fp("Inside anything but list, either all values are number or string, mixed type is not supported"), false},
		{"anything-but extra key", `{"key": [{"anything-but": "a", "prefix": "b"}]}`, 0, nil, fp("Too many elements in numeric expression"), false},

		{"cidr number", `{"ip": [{"cidr": 5}]}`, 0, nil, fp("prefix match pattern must be a string"), false},
		{"cidr no slash", `{"ip": [{"cidr": "10.0.0.0"}]}`, 0, nil, fp("Malformed CIDR, one '/' required"), false},
		{"cidr two slashes", `{"ip": [{"cidr": "10.0.0.0/8/8"}]}`, 0, nil, fp("Malformed CIDR, one '/' required"), false},
		{"cidr mask not integer", `{"ip": [{"cidr": "10.0.0.0/x"}]}`, 0, nil, fp("Malformed CIDR, mask bits must be an integer"), false},
		{"cidr negative mask", `{"ip": [{"cidr": "10.0.0.0/-1"}]}`, 0, nil, fp("Malformed CIDR, mask bits must not be negative"), false},
		{"cidr bad ip", `{"ip": [{"cidr": "300.0.0.0/8"}]}`, 0, nil, fp("Nonstandard IP address: 300.0.0.0"), false},
		{"cidr zone", `{"ip": [{"cidr": "fe80::1%eth0/64"}]}`, 0, nil, fp("Nonstandard IP address: fe80::1%eth0"), false},
		{"cidr v4 mask", `{"ip": [{"cidr": "10.0.0.0/32"}]}`, 0, nil, fp("IPv4 mask bits must be < 32"), false},
		{"cidr v6 mask", `{"ip": [{"cidr": "2001:db8::/128"}]}`, 0, nil, fp("IPv6 mask bits must be < 128"), false},

		{"wildcard consecutive", `{"k": [{"wildcard": "a**"}]}`, 0, nil, fp("Consecutive wildcard characters at pos 2"), false},
		{"wildcard bad escape", `{"k": [{"wildcard": "a\\b"}]}`, 0, nil, fp("Invalid escape character at pos 2"), false},
		{"wildcard trailing escape", `{"k": [{"wildcard": "a\\"}]}`, 0, nil, fp("Invalid escape character at pos 2"), false},
		{"wildcard not string", `{"k": [{"wildcard": 5}]}`, 0, nil, fp("wildcard match pattern must be a string"), false},
		{"wildcard disabled", `{"k": [{"wildcard": "a*"}]}`, 0, &noWildcard, fp("Unrecognized match type wildcard"), false},

		{"six keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}`, 0, nil, fp("Filter policy can not have more than 5 keys"), false},
		{"$or branch adds keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "$or": [{"e": ["1"], "f": ["1"]}, {"g": ["1"]}]}`, 0, nil, fp("Filter policy can not have more than 5 keys"), false},
		{"151 values", `{"a": ` + values(151) + `}`, 0, nil, fp("Filter policy is too complex"), false},
		{"13 x 12 values", `{"a": ` + values(13) + `, "b": ` + values(12) + `}`, 0, nil, fp("Filter policy is too complex"), false},
		{"$or branches summed", `{"$or": [{"a": ` + values(100) + `}, {"b": ` + values(51) + `}]}`, 0, nil, fp("Filter policy is too complex"), false},
		{"$or times outer key", `{"k": ["1", "2"], "$or": [{"a": ` + values(50) + `}, {"b": ` + values(26) + `}]}`, 0, nil, fp("Filter policy is too complex"), false},
		{"nesting multiplies", `{"a": {"b": ` + values(76) + `}}`, ScopeMessageBody, nil, fp("Filter policy is too complex"), false},

		{"bad scope", `{"a": ["x"]}`, Scope(7), nil, "Invalid parameter: FilterPolicyScope: Invalid value [Scope(7)]. Please use either MessageBody or MessageAttributes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := DefaultLimits()
			if tt.lim != nil {
				lim = *tt.lim
			}
			p, err := Parse(tt.policy, tt.scope, lim)
			if err == nil {
				t.Fatalf("Parse(%.200s) succeeded, want error %q", tt.policy, tt.want)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with an error")
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not *Error", err)
			}
			if tt.prefix && !strings.HasPrefix(fe.Message, tt.want) || !tt.prefix && fe.Message != tt.want {
				t.Errorf("Parse(%.200s) error\n got: %s\nwant: %s", tt.policy, fe.Message, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	values := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(i)
		}
		return "[" + strings.Join(v, ",") + "]"
	}
	tests := []struct {
		name   string
		policy string
		scope  Scope
	}{
		{"five keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]}`, 0},
		{"150 values", `{"a": ` + values(150) + `}`, 0},
		{"$or branches summed to 150", `{"$or": [{"a": ` + values(75) + `}, {"b": ` + values(75) + `}]}`, 0},
		{"$or branches with four outer keys", `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "$or": [{"e": ["1"]}, {"f": ["1"]}]}`, 0},
		{"nested counts parent keys only", `{"a": {"b": [1], "c": [1], "d": [1], "e": [1], "f": [1], "g": [1]}}`, ScopeMessageBody},
		{"nesting multiplies to 150", `{"a": {"b": ` + values(75) + `}}`, ScopeMessageBody},
		{"AWS nested example (72)", `{"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}}`, ScopeMessageBody},
		{"boundary numbers", `{"k": [1000000000, -1000000000, {"numeric": [">=", -1e9, "<=", 1e9]}]}`, 0},
		{"cidr /31 and /127", `{"k": [{"cidr": "10.0.0.0/31"}, {"cidr": "::/127"}, {"cidr": "0.0.0.0/0"}]}`, 0},
		{"duplicate key last wins", `{"k": [1], "k": ["x"]}`, 0},
		{"whitespace only", " \n\t", 0},
		{"anything-but single number", `{"k": [{"anything-but": 5}]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.policy, tt.scope, DefaultLimits()); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestComplexityMatchesAWSExample(t *testing.T) {
	// AWS's documented nested example: 3 x 4 x 2 x 3 = 72 combinations.
	policy := `{"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}}`
	for _, tc := range []struct {
		max int
		ok  bool
	}{{72, true}, {71, false}} {
		_, err := Parse(policy, ScopeMessageBody, Limits{MaxKeys: 5, MaxCombinations: tc.max})
		if (err == nil) != tc.ok {
			t.Errorf("MaxCombinations %d: err = %v, want ok=%v", tc.max, err, tc.ok)
		}
	}
}

func TestLimitsConfigurable(t *testing.T) {
	six := `{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}`
	if _, err := Parse(six, ScopeMessageAttributes, DefaultLimits()); err == nil {
		t.Fatal("six keys accepted with default limits")
	}
	p, err := Parse(six, ScopeMessageAttributes, Limits{MaxKeys: 10})
	if err != nil {
		t.Fatalf("MaxKeys 10 rejected six keys: %v", err)
	}
	a := attrs{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		a[k] = str("1")
	}
	if !p.MatchAttributes(a) {
		t.Error("six-key policy did not match")
	}
	_, err = Parse(`{"a":["1"],"b":["1"],"c":["1"]}`, ScopeMessageAttributes, Limits{MaxKeys: 2})
	if err == nil || err.Error() != "Invalid parameter: FilterPolicy: Filter policy can not have more than 2 keys" {
		t.Errorf("MaxKeys 2: err = %v", err)
	}
	big := `{"a": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20"], "b": ["1","2","3","4","5","6","7","8","9","10"]}`
	if _, err := Parse(big, ScopeMessageAttributes, DefaultLimits()); err == nil {
		t.Error("200 combinations accepted with default limits")
	}
	if _, err := Parse(big, ScopeMessageAttributes, Limits{MaxCombinations: 200}); err != nil {
		t.Errorf("MaxCombinations 200 rejected 200 combinations: %v", err)
	}
	// The zero Limits value means AWS's limits with the extension off.
	if _, err := Parse(`{"k": [{"wildcard": "a*"}]}`, ScopeMessageAttributes, Limits{}); err == nil {
		t.Error("wildcard accepted with AllowWildcard false")
	}
}

func TestComplexitySaturates(t *testing.T) {
	if got := mulCap(math.MaxInt64/2, 3); got != math.MaxInt64 {
		t.Errorf("mulCap overflow = %d", got)
	}
	if got := addCap(math.MaxInt64-1, 2); got != math.MaxInt64 {
		t.Errorf("addCap overflow = %d", got)
	}
	if got := mulCap(6, 7); got != 42 {
		t.Errorf("mulCap(6, 7) = %d", got)
	}
}

func TestParseScope(t *testing.T) {
	for in, want := range map[string]Scope{"": ScopeMessageAttributes, "MessageAttributes": ScopeMessageAttributes, "MessageBody": ScopeMessageBody} {
		got, err := ParseScope(in)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q) = %v, %v", in, got, err)
		}
		if in != "" && got.String() != in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	_, err := ParseScope("messagebody")
	want := "Invalid parameter: FilterPolicyScope: Invalid value [messagebody]. Please use either MessageBody or MessageAttributes"
	var fe *Error
	if !errors.As(err, &fe) || fe.Message != want {
		t.Errorf("ParseScope error = %v, want %q", err, want)
	}
}

func TestErrorSubscribeMessage(t *testing.T) {
	_, err := Parse(`{"k": []}`, ScopeMessageAttributes, DefaultLimits())
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	if got, want := fe.SubscribeMessage(), "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"; got != want {
		t.Errorf("SubscribeMessage() = %q, want %q", got, want)
	}
	if got := (&Error{Message: "other"}).SubscribeMessage(); got != "other" {
		t.Errorf("SubscribeMessage() of a foreign message = %q", got)
	}
}

func TestPolicyScopeAndCrossScopeMatching(t *testing.T) {
	p := mustParse(t, `{"k": ["v"]}`, ScopeMessageBody)
	if p.Scope() != ScopeMessageBody {
		t.Errorf("Scope() = %v", p.Scope())
	}
	if !p.MatchAttributes(attrs{"k": str("v")}) || !p.MatchBody(`{"k": "v"}`) {
		t.Error("explicit Match methods must work whatever the scope")
	}
	if p.Match(``, attrs{"k": str("v")}) {
		t.Error("Match on a body-scope policy looked at attributes")
	}
}

func TestConcurrentMatch(t *testing.T) {
	p := mustParse(t, `{"a": [{"prefix": "x"}], "$or": [{"b": [{"numeric": [">", 1]}]}, {"c": [{"exists": false}]}]}`, ScopeMessageAttributes)
	b := mustParse(t, `{"a": {"b": ["x"]}}`, ScopeMessageBody)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				want := j%2 == 0
				a := attrs{"a": str("xy"), "c": str("z")}
				if want {
					a["b"] = num(fmt.Sprint(j + 2))
				}
				if p.MatchAttributes(a) != want {
					t.Errorf("goroutine %d iteration %d: wrong attribute match", i, j)
					return
				}
				if !b.MatchBody(`{"a": [{"b": "x"}]}`) {
					t.Errorf("goroutine %d: body did not match", i)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestWildcardMatcher(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aba", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\*`, `a\zz`, true},
	}
	for _, tt := range tests {
		w, err := parseWildcard(tt.pattern)
		if err != nil {
			t.Fatalf("parseWildcard(%q): %v", tt.pattern, err)
		}
		if got := w.match(tt.s); got != tt.want {
			t.Errorf("wildcard %q on %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	p := mustParse(b, `{"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}], "price_usd": [{"numeric": [">=", 100, "<", 1000]}]}`,
		ScopeMessageAttributes)
	msg := attrs{
		"customer_interests": arr(`["soccer", "rugby", "hockey"]`),
		"store":              str("example_corp"),
		"event":              str("order_placed"),
		"price_usd":          num("210.75"),
		"encrypted":          bin("AAECAw=="),
	}
	if !p.MatchAttributes(msg) {
		b.Fatal("benchmark message does not match")
	}
	b.ReportAllocs()
	for b.Loop() {
		p.MatchAttributes(msg)
	}
}

func BenchmarkMatchBody(b *testing.B) {
	p := mustParse(b, `{"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}], "price_usd": [{"numeric": [">=", 100, "<", 1000]}]}`,
		ScopeMessageBody)
	body := `{"customer_interests": ["soccer", "rugby", "hockey"], "store": "example_corp", "event": "order_placed", "price_usd": 210.75, "note": {"text": "hello"}}`
	if !p.MatchBody(body) {
		b.Fatal("benchmark body does not match")
	}
	b.ReportAllocs()
	for b.Loop() {
		p.MatchBody(body)
	}
}
