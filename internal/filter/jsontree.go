package filter

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// jkind is the type of a parsed policy JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is a policy JSON value that, unlike map[string]any, keeps the order
// of object keys (so the first error is reported in document order) and the
// literal text of numbers.
type jvalue struct {
	kind   jkind
	text   string // string contents or number literal
	b      bool
	elems  []jvalue
	fields []jfield
}

type jfield struct {
	key string
	val jvalue
}

// tokenText renders v the way AWS quotes a token in numeric-match errors.
func (v jvalue) tokenText() string {
	switch v.kind {
	case jNull:
		return "null"
	case jBool:
		if v.b {
			return "true"
		}
		return "false"
	case jArray:
		return "["
	case jObject:
		return "{"
	}
	return v.text
}

func parseJSON(s string) (jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return jvalue{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jvalue{}, fmt.Errorf("unexpected data after the top-level value")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxDepth {
		return jvalue{}, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return jvalue{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jvalue{kind: jNull}, nil
	case bool:
		return jvalue{kind: jBool, b: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, text: string(t)}, nil
	case string:
		return jvalue{kind: jString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := jvalue{kind: jArray}
			for dec.More() {
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.elems = append(v.elems, e)
			}
			_, err := dec.Token() // ']'
			return v, err
		case '{':
			v := jvalue{kind: jObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, err
				}
				key, _ := kt.(string)
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.fields = setField(v.fields, key, e)
			}
			_, err := dec.Token() // '}'
			return v, err
		}
	}
	return jvalue{}, fmt.Errorf("unexpected token %v", tok)
}

// setField adds key to fields; a repeated key replaces the earlier value in
// place (the last occurrence wins, as in most JSON readers).
func setField(fields []jfield, key string, v jvalue) []jfield {
	for i := range fields {
		if fields[i].key == key {
			fields[i].val = v
			return fields
		}
	}
	return append(fields, jfield{key: key, val: v})
}
