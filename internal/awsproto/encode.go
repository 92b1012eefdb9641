// Package awsproto writes AWS protocol responses: a result is described
// once as a tree of Obj, List, StrMap and AttrMap values and encoded either
// as an AWS JSON object or as the query protocol's XML, where lists and
// maps are flattened into repeated elements.
package awsproto

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"sort"
	"strconv"
	"unicode/utf8"
)

// A response is described once as a tree of these values and written in
// either protocol: the AWS JSON 1.0 object, or the query protocol's XML
// (where lists and maps are flattened into repeated elements).

// Field is one member of an output structure. xml is the member's element
// name when it differs from the JSON name (flattened lists and maps).
type Field struct {
	json, xml string
	val       any
}

// Obj is a structure; nil-valued and empty members are omitted.
type Obj []Field

// List is a flattened List of values.
type List []any

// StrMap is a map of strings, flattened in XML as <entry><key/><value/></entry>.
//
// With Entry set, the XML is wrapped instead of flattened, as the SNS query
// protocol writes maps: <Name><Entry><Key/><Value/></Entry>...</Name>.
type StrMap struct {
	Key, Value string
	M          map[string]string
	Entry      string
}

// EmptyList is a list member that JSON keeps as [] (SDKs expect some
// members, like batch results, to be present) and XML omits.
type EmptyList struct{}

// Members is a list written in XML as <Name><Member>..</Member>...</Name>
// (the SNS query protocol's non-flattened lists); in JSON it is an array.
type Members struct {
	Member string
	Items  []any
}

// AttrMap is a map of message attribute values.
type AttrMap map[string]AttrValue

type AttrValue struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

func F(name string, v any) Field               { return Field{json: name, xml: name, val: v} }
func FX(jsonName, xmlName string, v any) Field { return Field{json: jsonName, xml: xmlName, val: v} }

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case List:
		return len(x) == 0
	case Obj:
		return false
	case StrMap:
		return len(x.M) == 0 && x.Entry == ""
	case Members:
		return false
	case AttrMap:
		return len(x) == 0
	case *int64:
		return x == nil
	case *string:
		return x == nil
	case EmptyList:
		return true
	}
	return false
}

// EncodeJSON writes v as a JSON object, members in order, without
// reflection (this is on every request's path).
func EncodeJSON(v Obj) []byte {
	b := make([]byte, 0, 256)
	return appendJSON(b, v)
}

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case Obj:
		b = append(b, '{')
		first := true
		for _, fl := range x {
			if _, ok := fl.val.(EmptyList); !ok && empty(fl.val) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendJSONString(b, fl.json)
			b = append(b, ':')
			b = appendJSON(b, fl.val)
		}
		return append(b, '}')
	case List:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case EmptyList:
		return append(b, '[', ']')
	case Members:
		return appendJSON(b, List(x.Items))
	case StrMap:
		b = append(b, '{')
		for i, k := range sortedKeys(x.M) {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, k)
			b = append(b, ':')
			b = AppendJSONString(b, x.M[k])
		}
		return append(b, '}')
	case AttrMap:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			a := x[k]
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, k)
			b = append(b, `:{`...)
			if a.BinaryValue != nil {
				b = append(b, `"BinaryValue":"`...)
				b = base64.StdEncoding.AppendEncode(b, a.BinaryValue)
				b = append(b, '"')
			} else {
				b = append(b, `"StringValue":`...)
				b = AppendJSONString(b, a.StringValue)
			}
			b = append(b, `,"DataType":`...)
			b = AppendJSONString(b, a.DataType)
			b = append(b, '}')
		}
		return append(b, '}')
	case string:
		return AppendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case *int64:
		return strconv.AppendInt(b, *x, 10)
	case *string:
		return AppendJSONString(b, *x)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

type XMLBuf struct{ bytes.Buffer }

// Text writes escaped character data.
func (b *XMLBuf) Text(s string) { _ = xml.EscapeText(b, []byte(s)) }

// Elem writes <name>value</name>.
func (b *XMLBuf) Elem(name, value string) {
	b.WriteString("<" + name + ">")
	b.Text(value)
	b.WriteString("</" + name + ">")
}

// Value writes v as element(s) named name.
func (b *XMLBuf) Value(name string, v any) {
	if empty(v) {
		return
	}
	switch x := v.(type) {
	case Obj:
		b.WriteString("<" + name + ">")
		b.Fields(x)
		b.WriteString("</" + name + ">")
	case List:
		for _, e := range x {
			b.Value(name, e)
		}
	case StrMap:
		keys := sortedKeys(x.M)
		entry := name
		if x.Entry != "" {
			b.WriteString("<" + name + ">")
			entry = x.Entry
		}
		for _, k := range keys {
			b.WriteString("<" + entry + ">")
			b.Elem(x.Key, k)
			b.Elem(x.Value, x.M[k])
			b.WriteString("</" + entry + ">")
		}
		if x.Entry != "" {
			b.WriteString("</" + name + ">")
		}
	case Members:
		b.WriteString("<" + name + ">")
		for _, e := range x.Items {
			b.Value(x.Member, e)
		}
		b.WriteString("</" + name + ">")
	case AttrMap:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a := x[k]
			b.WriteString("<" + name + ">")
			b.Elem("Name", k)
			b.WriteString("<Value>")
			if a.BinaryValue != nil {
				b.Elem("BinaryValue", base64.StdEncoding.EncodeToString(a.BinaryValue))
			} else {
				b.Elem("StringValue", a.StringValue)
			}
			b.Elem("DataType", a.DataType)
			b.WriteString("</Value>")
			b.WriteString("</" + name + ">")
		}
	case string:
		b.Elem(name, x)
	case bool:
		b.Elem(name, strconv.FormatBool(x))
	case int:
		b.Elem(name, strconv.Itoa(x))
	case int64:
		b.Elem(name, strconv.FormatInt(x, 10))
	case *int64:
		b.Elem(name, strconv.FormatInt(*x, 10))
	case *string:
		b.Elem(name, *x)
	}
}

// Fields writes the members of o as elements.
func (b *XMLBuf) Fields(o Obj) {
	for _, fl := range o {
		b.Value(fl.xml, fl.val)
	}
}

// EncodeXML writes a query-protocol response: <ActionResponse
// xmlns=ns><ActionResult>result</ActionResult><ResponseMetadata>...
func EncodeXML(ns, action string, result Obj, requestID string) []byte {
	var b XMLBuf
	b.WriteString(`<?xml version="1.0"?>`)
	b.WriteString("<" + action + `Response xmlns="` + ns + `">`)
	if result != nil {
		b.WriteString("<" + action + "Result>")
		b.Fields(result)
		b.WriteString("</" + action + "Result>")
	}
	b.WriteString("<ResponseMetadata>")
	b.Elem("RequestId", requestID)
	b.WriteString("</ResponseMetadata>")
	b.WriteString("</" + action + "Response>")
	return b.Bytes()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
