package topology

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics and that it either returns a
// file or Errors that each carry a message.
func FuzzParse(f *testing.F) {
	f.Add(validFile)
	f.Add("queues:\n  - name: a\n    deadLetterQueue: {name: b}\n")
	f.Add("topics:\n  - name: t\n    subscriptions:\n      - http: http://h/x\n        deliveryPolicy: {healthyRetryPolicy: {numRetries: 1}}\n")
	f.Add("a: &x [*x]\n")
	f.Add("topics: [{name: t, subscriptions: [{queue: q, filter: '{\"a\":[1]}'}]}]")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse("f.yaml", []byte(in), ParseOptions{BaseDir: dir})
		if err == nil {
			if file == nil {
				t.Fatal("nil file without an error")
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error is not Errors: %v", err)
		}
		for _, e := range es {
			if e.Message == "" {
				t.Fatalf("problem without a message: %+v", e)
			}
		}
	})
}
