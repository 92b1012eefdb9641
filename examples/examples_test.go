package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

// sinkAddr is where the examples' topologies send webhooks.
const sinkAddr = "127.0.0.1:9000"

// expectation is what one example's demo must show.
type expectation struct {
	// output lines (substrings) the demo must print, with {run} for the
	// run's tag.
	output []string
	// sink maps a path to how many notifications of the run the sink must
	// have printed for it, answered 200.
	sink map[string]int
	// fnLogs maps a function to lines its log must hold.
	fnLogs map[string][]string
}

var examples = map[string]expectation{
	"order-processing": {
		output: []string{
			"-> 4 message(s) of this run in billing\n",
			"-> 3 line(s) of this run\n",
			"-> 3 notification(s) of this run delivered on /orders\n",
			"-> 0 message(s) of this run in billing-dlq\n",
		},
		sink: map[string]int{"/orders": 3},
		fnLogs: map[string][]string{"inventory": {
			"inventory[madrid-1]: reserved 2 x KB-01 for order A-{run}-1\n",
			"inventory[madrid-1]: reserved 1 x MS-07 for order A-{run}-2\n",
			"inventory[madrid-1]: released 2 x KB-01 of cancelled order A-{run}-1\n",
		}},
	},
	"notifications": {
		output: []string{
			"-> 3 notification(s) of this run delivered on /email\n",
			"-> 2 notification(s) of this run delivered on /sms\n",
			"-> 2 notification(s) of this run delivered on /push\n",
		},
		sink: map[string]int{"/email": 3, "/sms": 2, "/push": 2},
	},
	"analytics-logging": {
		output: []string{
			"-> 2 message(s) of this run in metrics\n",
			"-> 2 message(s) of this run in logs\n",
			"-> 6 message(s) of this run in datalake\n",
			"-> 2 message(s) of this run in slow-requests\n",
		},
	},
	"external-sync": {
		output: []string{
			"-> 3 notification(s) of this run delivered on /crm, 6 answered 503\n",
			"-> 0 notification(s) of this run delivered on /erp, 3 answered 503\n",
			"-> 1 message(s) of this run in erp-dlq\n",
			"-> 0 message(s) of this run in crm-dlq\n",
			"dead-lettered 1",
		},
		sink: map[string]int{"/crm?fail=2": 3, "/erp?status=503": 0},
	},
	"audit-trail": {
		output: []string{
			"-> 1 message(s) of this run in fulfillment\n",
			"-> 2 message(s) of this run in ledger\n",
			"-> 1 notification(s) of this run delivered on /users\n",
			"-> 6 message(s) of this run in audit\n",
		},
		sink: map[string]int{"/users": 1},
	},
}

// TestExamples applies every example's topology to a fresh server (twice,
// then as a dry run: both must change nothing), runs its demo and checks
// where the copies arrived.
func TestExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the examples need %s on PATH: %v", tool, err)
		}
	}
	// Every folder with a topology is an example with expectations.
	dirs, err := filepath.Glob("*/topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Dir(d))
	}
	sort.Strings(names)
	if len(names) != len(examples) {
		t.Fatalf("example folders %v, expectations for %d", names, len(examples))
	}

	bin := abanicotest.BuildBinary(t, "")
	_, endpoint := abanicotest.Serve(t, bin)
	sinkLog := startSink(t, bin)
	client := abanico.NewClient(endpoint)

	for i, name := range names {
		want, ok := examples[name]
		if !ok {
			t.Fatalf("no expectations for example %s", name)
		}
		t.Run(name, func(t *testing.T) {
			dir, err := filepath.Abs(name)
			if err != nil {
				t.Fatal(err)
			}
			run := fmt.Sprintf("t%d%d", time.Now().Unix()%100000, i)
			env := append(os.Environ(), "ABANICO="+bin, "ABANICO_ENDPOINT="+endpoint, "SINK_LOG="+sinkLog, "DEMO_RUN="+run)
			abanicoCmd := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(bin, args...)
				cmd.Dir, cmd.Env = dir, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("abanico %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}

			first := abanicoCmd("apply", "-f", "topology.yaml")
			if !regexp.MustCompile(`(?m)^Plan: \d+ to create, \d+ to update, \d+ unchanged, 0 to delete$`).MatchString(first) {
				t.Fatalf("first apply:\n%s", first)
			}
			for _, args := range [][]string{{"apply", "-f", "topology.yaml"}, {"apply", "-f", "topology.yaml", "--dry-run"}} {
				out := abanicoCmd(args...)
				if !regexp.MustCompile(`(?m)^Plan: 0 to create, 0 to update, [1-9]\d* unchanged, 0 to delete$`).MatchString(out) {
					t.Fatalf("abanico %s after the first apply:\n%s", strings.Join(args, " "), out)
				}
			}
			var plan struct {
				Plan []struct{ Action, Kind, Name string }
			}
			out := abanicoCmd("apply", "-f", "topology.yaml", "--dry-run", "--json")
			if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan.Plan) == 0 {
				t.Fatalf("apply --json: %v\n%s", err, out)
			}
			for _, a := range plan.Plan {
				if a.Action != "unchanged" {
					t.Fatalf("apply --json after apply: %+v", a)
				}
			}

			demo := exec.Command("bash", "demo.sh")
			demo.Dir, demo.Env = dir, env
			outb, err := demo.CombinedOutput()
			out = string(outb)
			t.Logf("demo.sh:\n%s", out)
			if err != nil {
				t.Fatalf("demo.sh: %v", err)
			}
			if !strings.Contains(out, "demo OK: every copy arrived where expected (run "+run+")") {
				t.Fatalf("demo.sh did not end OK")
			}
			for _, line := range want.output {
				if !strings.Contains(out, line) {
					t.Errorf("demo output lacks %q", line)
				}
			}

			// What the sink printed, read here rather than trusted to the demo.
			log, err := os.ReadFile(sinkLog)
			if err != nil {
				t.Fatal(err)
			}
			for path, n := range want.sink {
				re := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} ` + regexp.QuoteMeta(path) + ` Notification [^\[].*` + run + `.*$`)
				if got := len(re.FindAllString(string(log), -1)); got != n {
					t.Errorf("sink printed %d notifications of run %s on %s, want %d", got, run, path, n)
				}
			}
			for fn, lines := range want.fnLogs {
				logs, err := client.FunctionLogs(context.Background(), fn, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range lines {
					if l = strings.ReplaceAll(l, "{run}", run); !strings.Contains(string(logs), l) {
						t.Errorf("function %s logs lack %q:\n%s", fn, l, logs)
					}
				}
			}
		})
	}
}

// startSink runs `abanico sink` on 127.0.0.1:9000 until the test ends and
// returns the file it prints to. The topologies name that address, so it
// must be free.
func startSink(t *testing.T, bin string) string {
	t.Helper()
	l, err := net.Listen("tcp", sinkAddr)
	if err != nil {
		t.Fatalf("%s is taken (%v): the examples' topologies send webhooks to the abanico sink there; stop what listens on it", sinkAddr, err)
	}
	l.Close()
	p := abanicotest.StartProcess(t, bin, "sink", "--listen", sinkAddr)
	p.WaitHTTP("http://"+sinkAddr+"/", http.StatusMethodNotAllowed)
	return p.LogPath
}
