package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/abanicotest"
)

func TestApplyCommand(t *testing.T) {
	srv := abanicotest.Start(t, abanicotest.Embedded)
	dir := t.TempDir()
	file := filepath.Join(dir, "topology.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(want int, stdin string, args ...string) result {
		t.Helper()
		var in io.Reader
		if stdin != "" {
			in = strings.NewReader(stdin)
		}
		r := runCLI(t, in, append(args, "--endpoint", srv.URL())...)
		if r.code != want {
			t.Fatalf("abanico %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	topo := `# server settings may share the file
log-level: info
topics:
  - name: orders
    subscriptions:
      - queue: billing
        filter: {type: [order_placed]}
queues:
  - name: billing
    deadLetterQueue: {name: billing-dlq, maxReceiveCount: 4}
  - name: billing-dlq
`
	write(topo)

	r := run(0, "", "apply", "-f", file, "--dry-run")
	if !strings.Contains(r.stdout, "Plan: 4 to create, 0 to update, 0 unchanged, 0 to delete") ||
		!strings.Contains(r.stdout, "+ create queue billing-dlq") || !strings.Contains(r.stdout, "+ create subscription orders -> queue billing") ||
		!strings.Contains(r.stderr, "Dry run: nothing was changed.") {
		t.Fatalf("dry run:\n%s\n%s", r.stdout, r.stderr)
	}
	run(3, "", "queue", "get", "billing") // the dry run created nothing

	r = run(0, "", "apply", "-f", file)
	if !strings.Contains(r.stderr, "[1/4] create queue billing-dlq ... ok") || !strings.Contains(r.stderr, "[4/4] create subscription orders -> queue billing ... ok") ||
		!strings.Contains(r.stderr, "Applied: 4 created, 0 updated, 0 deleted.") {
		t.Fatalf("apply progress:\n%s", r.stderr)
	}
	r = run(0, "", "apply", "-f", file)
	if !strings.Contains(r.stdout, "Plan: 0 to create, 0 to update, 4 unchanged, 0 to delete") || !strings.Contains(r.stderr, "Nothing to do.") {
		t.Fatalf("second apply:\n%s\n%s", r.stdout, r.stderr)
	}

	// --json: the plan as data; the file may come from stdin.
	changed := strings.Replace(topo, "maxReceiveCount: 4", "maxReceiveCount: 6", 1)
	r = run(0, changed, "apply", "-f", "-", "--json")
	var out struct {
		Plan []struct {
			Action, Kind, Name string
			Fields             []string
			Line               int
		}
		Counts  map[string]int
		Applied bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output %q: %v", r.stdout, err)
	}
	if !out.Applied || out.Counts["update"] != 1 || out.Counts["unchanged"] != 3 || len(out.Plan) != 4 {
		t.Fatalf("--json plan: %+v", out)
	}
	if u := out.Plan[1]; u.Action != "update" || u.Kind != "queue" || u.Name != "billing" || u.Line != 9 || len(u.Fields) != 1 || u.Fields[0] != "deadLetterQueue" {
		t.Fatalf("update entry: %+v", u)
	}

	// An invalid file changes nothing and names every problem's line.
	write(topo + "  - name: extra\n    colour: blue\nfunctions:\n  - name: f\n")
	r = run(1, "", "apply", "-f", file)
	if !strings.Contains(r.stderr, file+":13:5: queues[2].colour: unknown field") || !strings.Contains(r.stderr, file+":15:5: functions[0]: needs its code") {
		t.Fatalf("invalid file:\n%s", r.stderr)
	}
	run(3, "", "queue", "get", "extra")
	r = run(2, "", "apply")
	if !strings.Contains(r.stderr, "-f FILE") {
		t.Fatalf("apply without a file: %s", r.stderr)
	}

	// --prune deletes what the file does not declare.
	run(0, "", "queue", "create", "stray")
	write(topo)
	r = run(0, "", "apply", "-f", file, "--prune")
	if !strings.Contains(r.stdout, "- delete queue stray") || !strings.Contains(r.stderr, "Applied: 0 created, 1 updated, 1 deleted.") {
		t.Fatalf("prune:\n%s\n%s", r.stdout, r.stderr)
	}
	run(3, "", "queue", "get", "stray")
}
