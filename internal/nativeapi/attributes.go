package nativeapi

import (
	"encoding/base64"
	"sort"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/queue"
	"github.com/abanico/abanico/internal/topic"
)

// attrValue is a decoded attribute: a string value, or bytes for a binary
// type.
type attrValue struct {
	dataType string
	str      string
	bin      []byte
}

// isBinary reports whether a data type carries bytes, by the queue
// service's rule (the same one used when encoding received attributes).
func isBinary(dataType string) bool {
	return queue.MessageAttribute{DataType: dataType}.Binary()
}

// decodeAttributes decodes native message attributes; field is the request
// field holding them, used to name the attribute at fault. It checks only
// the encoding (base64 of binary values); the services check names, types
// and values.
func decodeAttributes(field string, in map[string]abanico.MessageAttribute) (map[string]attrValue, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]attrValue, len(in))
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a := in[k]
		v := attrValue{dataType: a.Type}
		if isBinary(a.Type) {
			b, err := base64.StdEncoding.DecodeString(a.Value)
			if err != nil {
				return nil, badRequest(field+"."+k+".value", "the value of binary attribute %q must be base64: %v", k, err)
			}
			v.bin = b
		} else {
			v.str = a.Value
		}
		out[k] = v
	}
	return out, nil
}

func queueAttributes(in map[string]attrValue) map[string]queue.MessageAttribute {
	if in == nil {
		return nil
	}
	out := make(map[string]queue.MessageAttribute, len(in))
	for k, v := range in {
		out[k] = queue.MessageAttribute{DataType: v.dataType, StringValue: v.str, BinaryValue: v.bin}
	}
	return out
}

func topicAttributes(in map[string]attrValue) map[string]topic.MessageAttribute {
	if in == nil {
		return nil
	}
	out := make(map[string]topic.MessageAttribute, len(in))
	for k, v := range in {
		out[k] = topic.MessageAttribute{DataType: v.dataType, StringValue: v.str, BinaryValue: v.bin}
	}
	return out
}

// nativeAttributes encodes received queue message attributes.
func nativeAttributes(in map[string]queue.MessageAttribute) map[string]abanico.MessageAttribute {
	out := make(map[string]abanico.MessageAttribute, len(in))
	for k, a := range in {
		if a.Binary() {
			out[k] = abanico.MessageAttribute{Type: a.DataType, Value: base64.StdEncoding.EncodeToString(a.BinaryValue)}
		} else {
			out[k] = abanico.MessageAttribute{Type: a.DataType, Value: a.StringValue}
		}
	}
	return out
}
