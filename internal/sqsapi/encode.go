package sqsapi

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

// field is one member of an output structure. xml is the member's element
// name when it differs from the JSON name (flattened lists and maps).
type field struct {
	json, xml string
	val       any
}

// obj is a structure; nil-valued and empty members are omitted.
type obj []field

// list is a flattened list of values.
type list []any

// strMap is a map of strings, flattened in XML as <entry><key/><value/></entry>.
type strMap struct {
	key, value string
	m          map[string]string
}

// attrMap is a map of message attribute values.
type attrMap map[string]attrValue

type attrValue struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

func f(name string, v any) field               { return field{json: name, xml: name, val: v} }
func fx(jsonName, xmlName string, v any) field { return field{json: jsonName, xml: xmlName, val: v} }

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case list:
		return len(x) == 0
	case obj:
		return false
	case strMap:
		return len(x.m) == 0
	case attrMap:
		return len(x) == 0
	case *int64:
		return x == nil
	case *string:
		return x == nil
	case emptyList:
		return true
	}
	return false
}

// encodeJSON writes v as a JSON object, members in order, without
// reflection (this is on every request's path).
func encodeJSON(v obj) []byte {
	b := make([]byte, 0, 256)
	return appendJSON(b, v)
}

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case obj:
		b = append(b, '{')
		first := true
		for _, fl := range x {
			if _, ok := fl.val.(emptyList); !ok && empty(fl.val) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, fl.json)
			b = append(b, ':')
			b = appendJSON(b, fl.val)
		}
		return append(b, '}')
	case list:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case emptyList:
		return append(b, '[', ']')
	case strMap:
		b = append(b, '{')
		for i, k := range sortedKeys(x.m) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, x.m[k])
		}
		return append(b, '}')
	case attrMap:
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
			b = appendJSONString(b, k)
			b = append(b, `:{`...)
			if a.BinaryValue != nil {
				b = append(b, `"BinaryValue":"`...)
				b = base64.StdEncoding.AppendEncode(b, a.BinaryValue)
				b = append(b, '"')
			} else {
				b = append(b, `"StringValue":`...)
				b = appendJSONString(b, a.StringValue)
			}
			b = append(b, `,"DataType":`...)
			b = appendJSONString(b, a.DataType)
			b = append(b, '}')
		}
		return append(b, '}')
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case *int64:
		return strconv.AppendInt(b, *x, 10)
	case *string:
		return appendJSONString(b, *x)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
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

type xmlBuf struct{ bytes.Buffer }

func (b *xmlBuf) text(s string) { _ = xml.EscapeText(b, []byte(s)) }

func (b *xmlBuf) elem(name, value string) {
	b.WriteString("<" + name + ">")
	b.text(value)
	b.WriteString("</" + name + ">")
}

func (b *xmlBuf) value(name string, v any) {
	if empty(v) {
		return
	}
	switch x := v.(type) {
	case obj:
		b.WriteString("<" + name + ">")
		b.fields(x)
		b.WriteString("</" + name + ">")
	case list:
		for _, e := range x {
			b.value(name, e)
		}
	case strMap:
		keys := sortedKeys(x.m)
		for _, k := range keys {
			b.WriteString("<" + name + ">")
			b.elem(x.key, k)
			b.elem(x.value, x.m[k])
			b.WriteString("</" + name + ">")
		}
	case attrMap:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a := x[k]
			b.WriteString("<" + name + ">")
			b.elem("Name", k)
			b.WriteString("<Value>")
			if a.BinaryValue != nil {
				b.elem("BinaryValue", base64.StdEncoding.EncodeToString(a.BinaryValue))
			} else {
				b.elem("StringValue", a.StringValue)
			}
			b.elem("DataType", a.DataType)
			b.WriteString("</Value>")
			b.WriteString("</" + name + ">")
		}
	case string:
		b.elem(name, x)
	case bool:
		b.elem(name, strconv.FormatBool(x))
	case int:
		b.elem(name, strconv.Itoa(x))
	case int64:
		b.elem(name, strconv.FormatInt(x, 10))
	case *int64:
		b.elem(name, strconv.FormatInt(*x, 10))
	case *string:
		b.elem(name, *x)
	}
}

func (b *xmlBuf) fields(o obj) {
	for _, fl := range o {
		b.value(fl.xml, fl.val)
	}
}

const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/"

func encodeXML(action string, result obj, requestID string) []byte {
	var b xmlBuf
	b.WriteString(`<?xml version="1.0"?>`)
	b.WriteString("<" + action + `Response xmlns="` + xmlns + `">`)
	if result != nil {
		b.WriteString("<" + action + "Result>")
		b.fields(result)
		b.WriteString("</" + action + "Result>")
	}
	b.WriteString("<ResponseMetadata>")
	b.elem("RequestId", requestID)
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
