package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/abanicotest"
)

// TestServeConfigAppliesTopology starts the built binary with a config file
// that holds both server settings and a topology: the topology is there
// once the server is ready, a restart applies it again without changes,
// and an invalid topology stops the server from starting at all.
func TestServeConfigAppliesTopology(t *testing.T) {
	dir := t.TempDir()
	bin := abanicotest.BuildBinary(t, "")
	addr := abanicotest.FreeAddr(t)
	config := filepath.Join(dir, "abanico.yaml")
	settings := fmt.Sprintf("listen: %s\ndata-dir: %s\nlog-level: info\n", addr, filepath.Join(dir, "data"))
	topo := `
topics:
  - name: orders
    subscriptions:
      - queue: billing
queues:
  - name: billing
    deadLetterQueue: {name: billing-dlq}
  - name: billing-dlq
`
	if err := os.WriteFile(config, []byte(settings+topo), 0o644); err != nil {
		t.Fatal(err)
	}

	// serve starts the server, waits until it is ready, and returns a
	// function that stops it and returns its log.
	serve := func() func() string {
		t.Helper()
		p := abanicotest.StartProcess(t, bin, "serve", "--config", config)
		p.WaitHTTP("http://"+addr+"/ready", http.StatusOK)
		return func() string {
			if err := p.Stop(syscall.SIGTERM); err != nil {
				t.Errorf("server stopped with %v", err)
			}
			return p.Output()
		}
	}

	stop := serve()
	c := abanico.NewClient("http://" + addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := c.GetQueue(ctx, "billing")
	if err != nil || !strings.Contains(q.Attributes["RedrivePolicy"], "billing-dlq") {
		t.Fatalf("billing queue after start: %v %+v", err, q)
	}
	subs, err := c.ListSubscriptions(ctx, "orders")
	if err != nil || len(subs) != 1 || subs[0].Endpoint != "billing" {
		t.Fatalf("subscriptions after start: %v %+v", err, subs)
	}
	logs := stop()
	if !strings.Contains(logs, "4 to create") || !strings.Contains(logs, "Applied: 4 created") {
		t.Errorf("first start's log does not show the plan and its outcome:\n%s", logs)
	}

	stop = serve()
	if logs := stop(); !strings.Contains(logs, "0 to create, 0 to update, 4 unchanged") || !strings.Contains(logs, "Nothing to do.") {
		t.Errorf("restart's log:\n%s", logs)
	}

	// An invalid topology: the server does not start.
	if err := os.WriteFile(config, []byte(settings+topo+"    colour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "serve", "--config", config).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), config+":13:5: queues[1].colour: unknown field") {
		t.Fatalf("invalid topology: %v\n%s", err, out)
	}
	if resp, err := http.Get("http://" + addr + "/ready"); err == nil {
		resp.Body.Close()
		t.Fatal("a server answers after an invalid config")
	}
}
