// Package topology describes a whole fanout topology — topics with their
// subscriptions, queues with their dead-letter queues, and functions — as
// one declarative YAML file, and makes a server match it.
//
// [Parse] reads and checks a file without touching a server: every problem
// is reported with its line, column and field path, so an invalid file
// changes nothing. [NewPlan] compares the file with what the server holds
// and lists what to create, update, leave alone and (with pruning) delete.
// [Plan.Apply] carries the plan out in dependency order (dead-letter
// queues before the queues that use them, queues and functions before the
// subscriptions that deliver to them) and, if the server refuses a step,
// undoes the steps already taken, so a plan is applied whole or not at all.
// Applying the same file twice changes nothing the second time.
//
// The file speaks the native API's language: a subscription is
// "queue: NAME", "http: URL" or "function: NAME", filter policies and
// delivery policies are YAML mappings (or JSON strings), and attributes
// are the SNS and SQS attribute names. Attributes the file leaves out are
// left as the server has them; tags are set when a resource is created.
package topology

import "encoding/json"

// File is a parsed topology file.
type File struct {
	Topics    []*Topic
	Queues    []*Queue
	Functions []*Function

	// Name is the file's name, used in messages.
	Name string
	// pos maps field paths (as in [Error.Field]) to their position.
	pos map[string]Pos
}

// Pos is a position in the file, 1-based.
type Pos struct{ Line, Column int }

// Topic declares a topic and its subscriptions.
type Topic struct {
	Name          string
	Attributes    map[string]string
	Tags          map[string]string
	Subscriptions []*Subscription
	// Path is the topic's field path in the file, e.g. "topics[2]".
	Path string
}

// Subscription declares one subscription of a topic. Protocol is queue,
// http, https or function; Endpoint the queue or function name or URL.
// Filter and DeliveryPolicy are compact JSON objects or empty.
type Subscription struct {
	Topic           string
	Protocol        string
	Endpoint        string
	Filter          json.RawMessage
	FilterScope     string // "", "attributes" or "body"
	Raw             bool
	DeadLetterQueue string
	DeliveryPolicy  json.RawMessage
	WebhookSecret   string
	Path            string
}

// Queue declares a queue. DeadLetter, when set, names its dead-letter
// queue.
type Queue struct {
	Name       string
	Attributes map[string]string
	Tags       map[string]string
	DeadLetter *DeadLetter
	Path       string
}

// DeadLetter names a dead-letter queue and after how many receives a
// message moves there.
type DeadLetter struct {
	Name            string
	MaxReceiveCount int
}

// Function declares a function: its code (a zip, read from the file's
// "zip" path or built from its "bootstrap" script) and configuration.
// Zero Timeout and MemorySize, and empty Runtime and Handler, mean the
// server's defaults; a nil ReservedConcurrency leaves it as it is.
type Function struct {
	Name                string
	Runtime             string
	Handler             string
	Timeout             int
	MemorySize          int
	Environment         map[string]string
	ReservedConcurrency *int
	Zip                 []byte
	// CodeSha256 is the base64 SHA-256 of Zip, as the server reports it.
	CodeSha256 string
	Path       string
}

// Position returns where a field path (e.g. "queues[1].attributes") is in
// the file: the closest enclosing field that has a position, or the zero
// Pos.
func (f *File) Position(path string) Pos {
	for p := path; p != ""; p = parent(p) {
		if pos, ok := f.pos[p]; ok {
			return pos
		}
	}
	return Pos{}
}

// parent drops the last element of a field path.
func parent(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.':
			return path[:i]
		case '[':
			return path[:i]
		}
	}
	return ""
}

// IsSection reports whether key is a top-level section of a topology file.
func IsSection(key string) bool {
	return key == "topics" || key == "queues" || key == "functions"
}

// Empty reports whether the file declares nothing.
func (f *File) Empty() bool {
	return len(f.Topics) == 0 && len(f.Queues) == 0 && len(f.Functions) == 0
}
