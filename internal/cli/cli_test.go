package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestUsageExitCodes runs Execute, the binary's entry point, on command
// lines that are wrong before any server is involved: each exits with 2
// and says what is wrong.
func TestUsageExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"version", "extra"}, "takes 0 argument(s)"},
		{[]string{"serve", "extra"}, "takes 0 argument(s)"},
		{[]string{"serve", "--no-such-flag"}, "unknown flag"},
		{[]string{"bench", "sqs", "extra"}, "takes 0 argument(s)"},
		{[]string{"bench", "fanout", "--size", "3x"}, `invalid size "3x"`},
		{[]string{"queue", "frobnicate"}, `unknown command "frobnicate" for "abanico queue"`},
		{[]string{"apply"}, "-f FILE"},
		{[]string{"topic", "create"}, "takes 1 argument(s)"},
	} {
		var out, errb bytes.Buffer
		code := Execute(tc.args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("abanico %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, errb.String(), tc.msg)
		}
	}
	var out, errb bytes.Buffer
	if code := Execute([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "abanico ") {
		t.Errorf("version: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := Execute([]string{"version", "--json"}, &out, &errb); code != 0 || out.String() != "{\n  \"version\": \"dev\"\n}\n" {
		t.Errorf("version --json: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := Execute(nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "Available Commands") {
		t.Errorf("no arguments: exit %d, %q", code, out.String())
	}
}
