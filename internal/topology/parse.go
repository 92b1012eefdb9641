package topology

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	abanico "github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/delivery"
	"github.com/abanico/abanico/internal/filter"
)

// MaxFileSize bounds a topology file (and each code file it names).
const MaxFileSize = 50 << 20

// Error is a problem with a topology file, at a position and field path
// such as "topics[0].subscriptions[1].filter".
type Error struct {
	File    string
	Pos     Pos
	Field   string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Pos.Line, e.Pos.Column)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors is every problem found in a file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// ParseOptions tune [Parse].
type ParseOptions struct {
	// BaseDir is where relative code paths ("zip", "bootstrap") are read
	// from; "" is the current directory.
	BaseDir string
	// Ignore reports top-level keys that belong to something else sharing
	// the file (the server's settings, for `serve --config`); other
	// unknown keys are errors.
	Ignore func(key string) bool
	// FilterLimits are the limits filter policies are checked against;
	// the zero value means the server's defaults.
	FilterLimits filter.Limits
}

// Parse reads a topology file. It checks the file's shape, names,
// references between its resources, filter policies and delivery
// policies, and reads function code; it returns every problem as
// [Errors], each with its line and field. It never contacts a server.
// Resources a subscription or dead-letter setting refers to may be left
// out of the file if they exist on the server; [NewPlan] checks those.
func Parse(name string, data []byte, opts ParseOptions) (*File, error) {
	p := &parser{file: &File{Name: name, pos: map[string]Pos{}}, opts: opts}
	if opts.FilterLimits == (filter.Limits{}) {
		p.opts.FilterLimits = filter.DefaultLimits()
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Message: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{{File: name, Pos: yamlErrorPos(err), Message: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if len(doc.Content) > 0 {
		p.root(doc.Content[0])
	}
	p.check()
	if n := len(p.errs); n > maxProblems {
		p.errs = append(p.errs[:maxProblems], &Error{File: name, Message: fmt.Sprintf("and %d more problems", n-maxProblems)})
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.file, nil
}

// maxProblems is how many problems Parse reports at most.
const maxProblems = 50

// yamlErrorPos extracts "line N" from a YAML syntax error.
func yamlErrorPos(err error) Pos {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if j < 0 {
			j = len(rest)
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil {
			return Pos{Line: n, Column: 1}
		}
	}
	return Pos{}
}

type parser struct {
	file *File
	opts ParseOptions
	errs Errors
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: p.file.Name, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Pos = Pos{n.Line, n.Column}
	} else {
		e.Pos = p.file.Position(field)
	}
	p.errs = append(p.errs, e)
}

func (p *parser) mark(n *yaml.Node, path string) {
	p.file.pos[path] = Pos{n.Line, n.Column}
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields walks a mapping, calling handle for every known key and reporting
// unknown and repeated keys. It reports whether n was a mapping.
func (p *parser) fields(n *yaml.Node, path string, handle map[string]func(v *yaml.Node, path string)) bool {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping")
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		fp := k.Value
		if path != "" {
			fp = path + "." + k.Value
		}
		if seen[k.Value] {
			p.errorf(k, fp, "repeated key")
			continue
		}
		seen[k.Value] = true
		h, ok := handle[k.Value]
		if !ok {
			if path == "" && p.opts.Ignore != nil && p.opts.Ignore(k.Value) {
				continue
			}
			p.errorf(k, fp, "unknown field (expected one of %s)", strings.Join(keys(handle), ", "))
			continue
		}
		p.mark(k, fp)
		h(v, fp)
	}
	return true
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// list walks a sequence; null is an empty list.
func (p *parser) list(n *yaml.Node, path string, each func(v *yaml.Node, path string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "must be a list")
		return
	}
	for i, v := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.mark(v, ip)
		each(deref(v), ip)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (p *parser) str(n *yaml.Node, path string, dst *string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, path, "must be a string")
		return
	}
	*dst = n.Value
}

func (p *parser) integer(n *yaml.Node, path string, dst *int) {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		p.errorf(n, path, "must be an integer")
		return
	}
	*dst = v
}

func (p *parser) boolean(n *yaml.Node, path string, dst *bool) {
	v, err := strconv.ParseBool(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		p.errorf(n, path, "must be true or false")
		return
	}
	*dst = v
}

// stringMap reads a mapping of scalars (numbers and booleans as written)
// or, for JSON-valued attributes, nested mappings and lists, which become
// compact JSON.
func (p *parser) stringMap(n *yaml.Node, path string, dst *map[string]string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping")
		return
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		fp := path + "." + k.Value
		p.mark(k, fp)
		if _, dup := m[k.Value]; dup {
			p.errorf(k, fp, "repeated key")
			continue
		}
		switch v.Kind {
		case yaml.ScalarNode:
			if isNull(v) {
				p.errorf(v, fp, "must have a value")
				continue
			}
			m[k.Value] = v.Value
		default:
			b, ok := p.toJSON(v, fp)
			if !ok {
				continue
			}
			m[k.Value] = string(b)
		}
	}
	*dst = m
}

// toJSON converts a YAML value to compact JSON.
func (p *parser) toJSON(n *yaml.Node, path string) ([]byte, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		p.errorf(n, path, "%v", err)
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		p.errorf(n, path, "cannot be expressed as JSON: %v", err)
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// jsonObject reads a JSON object given as a YAML mapping or as a string
// holding JSON, and returns it compact.
func (p *parser) jsonObject(n *yaml.Node, path string) json.RawMessage {
	var raw []byte
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.MappingNode:
		b, ok := p.toJSON(n, path)
		if !ok {
			return nil
		}
		raw = b
	case n.Kind == yaml.ScalarNode:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(n.Value), &obj); err != nil || obj == nil {
			p.errorf(n, path, "must be a mapping or a string holding a JSON object")
			return nil
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(n.Value)); err != nil {
			p.errorf(n, path, "invalid JSON: %v", err)
			return nil
		}
		raw = buf.Bytes()
	default:
		p.errorf(n, path, "must be a mapping or a string holding a JSON object")
		return nil
	}
	return raw
}

func (p *parser) root(n *yaml.Node) {
	if isNull(deref(n)) {
		return
	}
	sections := map[string]func(*yaml.Node, string){
		"topics":    func(v *yaml.Node, path string) { p.list(v, path, p.topic) },
		"queues":    func(v *yaml.Node, path string) { p.list(v, path, p.queue) },
		"functions": func(v *yaml.Node, path string) { p.list(v, path, p.function) },
	}
	p.fields(n, "", sections)
}

func (p *parser) topic(n *yaml.Node, path string) {
	t := &Topic{Path: path}
	ok := p.fields(n, path, map[string]func(*yaml.Node, string){
		"name":       func(v *yaml.Node, fp string) { p.str(v, fp, &t.Name) },
		"attributes": func(v *yaml.Node, fp string) { p.stringMap(v, fp, &t.Attributes) },
		"tags":       func(v *yaml.Node, fp string) { p.stringMap(v, fp, &t.Tags) },
		"subscriptions": func(v *yaml.Node, fp string) {
			p.list(v, fp, func(sn *yaml.Node, sp string) {
				if s := p.subscription(sn, sp); s != nil {
					t.Subscriptions = append(t.Subscriptions, s)
				}
			})
		},
	})
	if !ok {
		return
	}
	p.required(n, path, "name", t.Name)
	for _, s := range t.Subscriptions {
		s.Topic = t.Name
	}
	p.file.Topics = append(p.file.Topics, t)
}

func (p *parser) required(n *yaml.Node, path, field, value string) {
	if value == "" {
		p.errorf(n, path+"."+field, "is required")
	}
}

func (p *parser) subscription(n *yaml.Node, path string) *Subscription {
	s := &Subscription{Path: path}
	var endpoints []string
	endpoint := func(protocol string) func(*yaml.Node, string) {
		return func(v *yaml.Node, fp string) {
			endpoints = append(endpoints, protocol)
			s.Protocol = protocol
			p.str(v, fp, &s.Endpoint)
		}
	}
	var scopeNode, dpNode *yaml.Node
	ok := p.fields(n, path, map[string]func(*yaml.Node, string){
		"queue":           endpoint(abanico.ProtocolQueue),
		"http":            endpoint(abanico.ProtocolHTTP),
		"function":        endpoint(abanico.ProtocolFunction),
		"filter":          func(v *yaml.Node, fp string) { s.Filter = p.jsonObject(v, fp) },
		"filterScope":     func(v *yaml.Node, fp string) { scopeNode = v; p.str(v, fp, &s.FilterScope) },
		"raw":             func(v *yaml.Node, fp string) { p.boolean(v, fp, &s.Raw) },
		"deadLetterQueue": func(v *yaml.Node, fp string) { p.str(v, fp, &s.DeadLetterQueue) },
		"deliveryPolicy":  func(v *yaml.Node, fp string) { dpNode = v; s.DeliveryPolicy = p.jsonObject(v, fp) },
		"webhookSecret":   func(v *yaml.Node, fp string) { p.str(v, fp, &s.WebhookSecret) },
	})
	if !ok {
		return nil
	}
	switch len(endpoints) {
	case 0:
		p.errorf(n, path, "needs one of queue, http or function")
		return nil
	case 1:
	default:
		p.errorf(n, path, "has both %s and %s; a subscription has one endpoint", endpoints[0], endpoints[1])
		return nil
	}
	if s.Protocol == abanico.ProtocolHTTP {
		u, err := url.Parse(s.Endpoint)
		switch {
		case err != nil || u.Host == "":
			p.errorf(nil, path+".http", "must be an absolute http:// or https:// URL")
		case u.Scheme == "https":
			s.Protocol = abanico.ProtocolHTTPS
		case u.Scheme != "http":
			p.errorf(nil, path+".http", "must be an http:// or https:// URL")
		}
	}
	scope := filter.ScopeMessageAttributes
	switch s.FilterScope {
	case "", "attributes":
	case "body":
		scope = filter.ScopeMessageBody
	default:
		p.errorf(scopeNode, path+".filterScope", "must be attributes or body")
	}
	if len(s.Filter) > 0 {
		if _, err := filter.Parse(string(s.Filter), scope, p.opts.FilterLimits); err != nil {
			p.errorf(nil, path+".filter", "%v", err)
		}
	}
	if len(s.DeliveryPolicy) > 0 {
		if s.Protocol != abanico.ProtocolHTTP && s.Protocol != abanico.ProtocolHTTPS {
			p.errorf(dpNode, path+".deliveryPolicy", "applies to http and https subscriptions only")
		} else if _, err := delivery.ParseSubscriptionPolicy(string(s.DeliveryPolicy)); err != nil {
			p.errorf(dpNode, path+".deliveryPolicy", "%v", err)
		}
	}
	if s.WebhookSecret != "" && s.Protocol != abanico.ProtocolHTTP && s.Protocol != abanico.ProtocolHTTPS {
		p.errorf(nil, path+".webhookSecret", "applies to http and https subscriptions only")
	}
	return s
}

func (p *parser) queue(n *yaml.Node, path string) {
	q := &Queue{Path: path}
	ok := p.fields(n, path, map[string]func(*yaml.Node, string){
		"name":       func(v *yaml.Node, fp string) { p.str(v, fp, &q.Name) },
		"attributes": func(v *yaml.Node, fp string) { p.stringMap(v, fp, &q.Attributes) },
		"tags":       func(v *yaml.Node, fp string) { p.stringMap(v, fp, &q.Tags) },
		"deadLetterQueue": func(v *yaml.Node, fp string) {
			d := &DeadLetter{}
			if p.fields(v, fp, map[string]func(*yaml.Node, string){
				"name":            func(v *yaml.Node, fp string) { p.str(v, fp, &d.Name) },
				"maxReceiveCount": func(v *yaml.Node, fp string) { p.integer(v, fp, &d.MaxReceiveCount) },
			}) {
				p.required(v, fp, "name", d.Name)
				if d.MaxReceiveCount == 0 {
					d.MaxReceiveCount = 10
				}
				if d.MaxReceiveCount < 1 || d.MaxReceiveCount > 1000 {
					p.errorf(nil, fp+".maxReceiveCount", "must be from 1 to 1000")
				}
				q.DeadLetter = d
			}
		},
	})
	if !ok {
		return
	}
	p.required(n, path, "name", q.Name)
	if _, ok := q.Attributes["RedrivePolicy"]; ok && q.DeadLetter != nil {
		p.errorf(nil, path+".attributes.RedrivePolicy", "give either deadLetterQueue or a RedrivePolicy attribute, not both")
	}
	if strings.HasSuffix(q.Name, ".fifo") {
		if q.Attributes == nil {
			q.Attributes = map[string]string{}
		}
		if _, ok := q.Attributes["FifoQueue"]; !ok {
			q.Attributes["FifoQueue"] = "true"
		}
	}
	p.file.Queues = append(p.file.Queues, q)
}

func (p *parser) function(n *yaml.Node, path string) {
	f := &Function{Path: path}
	var zipPath, bootstrapPath string
	var zipNode, bootNode *yaml.Node
	ok := p.fields(n, path, map[string]func(*yaml.Node, string){
		"name":        func(v *yaml.Node, fp string) { p.str(v, fp, &f.Name) },
		"runtime":     func(v *yaml.Node, fp string) { p.str(v, fp, &f.Runtime) },
		"handler":     func(v *yaml.Node, fp string) { p.str(v, fp, &f.Handler) },
		"timeout":     func(v *yaml.Node, fp string) { p.integer(v, fp, &f.Timeout) },
		"memorySize":  func(v *yaml.Node, fp string) { p.integer(v, fp, &f.MemorySize) },
		"environment": func(v *yaml.Node, fp string) { p.stringMap(v, fp, &f.Environment) },
		"reservedConcurrency": func(v *yaml.Node, fp string) {
			var c int
			p.integer(v, fp, &c)
			f.ReservedConcurrency = &c
		},
		"zip":       func(v *yaml.Node, fp string) { zipNode = v; p.str(v, fp, &zipPath) },
		"bootstrap": func(v *yaml.Node, fp string) { bootNode = v; p.str(v, fp, &bootstrapPath) },
	})
	if !ok {
		return
	}
	p.required(n, path, "name", f.Name)
	switch {
	case zipPath != "" && bootstrapPath != "":
		p.errorf(n, path, "give either zip or bootstrap, not both")
	case zipPath != "":
		f.Zip = p.readCode(zipNode, path+".zip", zipPath)
	case bootstrapPath != "":
		script := p.readCode(bootNode, path+".bootstrap", bootstrapPath)
		if script != nil {
			z, err := abanico.BootstrapZip(script)
			if err != nil {
				p.errorf(bootNode, path+".bootstrap", "%v", err)
			}
			f.Zip = z
		}
	default:
		p.errorf(n, path, "needs its code: zip (a zip file) or bootstrap (a script)")
	}
	if f.Zip != nil {
		sum := sha256.Sum256(f.Zip)
		f.CodeSha256 = base64.StdEncoding.EncodeToString(sum[:])
	}
	p.file.Functions = append(p.file.Functions, f)
}

func (p *parser) readCode(n *yaml.Node, field, path string) []byte {
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.opts.BaseDir, path)
	}
	st, err := os.Stat(path)
	if err == nil && st.Size() > MaxFileSize {
		err = fmt.Errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	var b []byte
	if err == nil {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		p.errorf(n, field, "cannot read code: %v", err)
		return nil
	}
	return b
}

// check verifies what involves more than one resource: unique names and
// unique subscriptions, and that a queue is not its own dead-letter
// queue. References to resources left out of the file are checked
// against the server by NewPlan.
func (p *parser) check() {
	unique := func(kind, name, path string, seen map[string]string) {
		if name == "" {
			return
		}
		if first, dup := seen[name]; dup {
			p.errorf(nil, path+".name", "%s %q is declared twice (first at %s)", kind, name, first)
			return
		}
		seen[name] = path
	}
	topics, queues, functions := map[string]string{}, map[string]string{}, map[string]string{}
	for _, t := range p.file.Topics {
		unique("topic", t.Name, t.Path, topics)
		subs := map[string]string{}
		for _, s := range t.Subscriptions {
			key := s.Protocol + " " + s.Endpoint
			if first, dup := subs[key]; dup {
				p.errorf(nil, s.Path, "%s %s is subscribed twice to topic %q (first at %s)", s.Protocol, s.Endpoint, t.Name, first)
				continue
			}
			subs[key] = s.Path
		}
	}
	for _, q := range p.file.Queues {
		unique("queue", q.Name, q.Path, queues)
		if q.DeadLetter != nil && q.DeadLetter.Name == q.Name {
			p.errorf(nil, q.Path+".deadLetterQueue.name", "a queue cannot be its own dead-letter queue")
		}
	}
	for _, f := range p.file.Functions {
		unique("function", f.Name, f.Path, functions)
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i].Pos, p.errs[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
}
