package sqsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"sort"
	"strconv"
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

func toJSON(v any) any {
	switch x := v.(type) {
	case obj:
		m := make(map[string]any, len(x))
		for _, fl := range x {
			if _, ok := fl.val.(emptyList); ok {
				m[fl.json] = []any{}
			} else if !empty(fl.val) {
				m[fl.json] = toJSON(fl.val)
			}
		}
		return m
	case list:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJSON(e)
		}
		return out
	case strMap:
		return x.m
	case attrMap:
		m := make(map[string]any, len(x))
		for k, a := range x {
			e := map[string]any{"DataType": a.DataType}
			if a.BinaryValue != nil {
				e["BinaryValue"] = a.BinaryValue
			} else {
				e["StringValue"] = a.StringValue
			}
			m[k] = e
		}
		return m
	case *int64:
		return *x
	case *string:
		return *x
	}
	return v
}

func encodeJSON(v obj) []byte {
	b, err := json.Marshal(toJSON(v))
	if err != nil {
		return []byte("{}")
	}
	return b
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
