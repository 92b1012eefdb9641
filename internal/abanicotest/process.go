package abanicotest

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BuildBinary builds the abanico command into a temporary folder of the
// test and returns its path; version, when not empty, is what "abanico
// version" prints.
func BuildBinary(t testing.TB, version string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("building the abanico binary needs the go tool on PATH: %v", err)
	}
	_, here, _, _ := runtime.Caller(0)
	pkg := filepath.Join(filepath.Dir(here), "..", "..", "cmd", "abanico")
	bin := filepath.Join(t.TempDir(), "abanico")
	args := []string{"build", "-o", bin}
	if version != "" {
		args = append(args, "-ldflags", "-X github.com/abanico/abanico/internal/cli.Version="+version)
	}
	if out, err := exec.Command("go", append(args, pkg)...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// FreeAddr returns a loopback address with a port nothing listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Process is a child process of a test, its output (stdout and stderr)
// going to a file.
type Process struct {
	t      testing.TB
	cmd    *exec.Cmd
	exited chan error
	// LogPath is the file the process writes to.
	LogPath string
	stopped bool
}

// StartProcess runs bin with args until Stop or the end of the test (when
// it is stopped with SIGTERM; its output is logged if the test failed).
func StartProcess(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "process-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &Process{t: t, cmd: cmd, exited: make(chan error, 1), LogPath: logf.Name()}
	go func() {
		p.exited <- cmd.Wait()
		logf.Close()
	}()
	t.Cleanup(func() {
		if !p.stopped {
			p.Stop(os.Interrupt)
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", cmd.Args, p.Output())
		}
	})
	return p
}

// Output is what the process has written so far.
func (p *Process) Output() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// WaitHTTP waits up to a minute for url to answer with status, failing the
// test if the process exits first.
func (p *Process) WaitHTTP(url string, status int) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			p.t.Fatalf("%v exited before %s answered %d: %v\n%s", p.cmd.Args, url, status, err, p.Output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not answer %d within a minute\n%s", url, status, p.Output())
		}
	}
}

// Stop sends sig and waits for the process to exit (killing it after 30 s,
// which fails the test), and returns its exit error: nil for a clean exit.
func (p *Process) Stop(sig os.Signal) error {
	p.t.Helper()
	p.stopped = true
	_ = p.cmd.Process.Signal(sig)
	select {
	case err := <-p.exited:
		p.exited <- err
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			p.t.Errorf("wait for %v: %v", p.cmd.Args, err)
		}
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("%v did not stop on %v", p.cmd.Args, sig)
		return <-p.exited
	}
}

// Serve starts "abanico serve" from bin on a free loopback port with a
// fresh data folder and extra args, waits until it is ready, and returns
// the process and its URL.
func Serve(t testing.TB, bin string, args ...string) (*Process, string) {
	t.Helper()
	addr := FreeAddr(t)
	p := StartProcess(t, bin, append([]string{"serve", "--listen", addr, "--data-dir", t.TempDir()}, args...)...)
	url := "http://" + addr
	p.WaitHTTP(url+"/ready", http.StatusOK)
	return p, url
}

// BashRuntime is a function bootstrap for the provided.al2023 custom
// runtime, in bash with curl: the Lambda Runtime API loop. It prints
// "handling REQUEST_ID" for every event and answers
// {"greeting": $GREETING (greeting when unset), "event": the event}.
// Different greetings give different code.
func BashRuntime(greeting string) []byte {
	return []byte(`#!/bin/bash
set -u
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
headers=$(mktemp)
while true; do
  event=$(curl -sS -D "$headers" "$api/next") || exit 1
  id=$(sed -n 's/^lambda-runtime-aws-request-id: *//Ip' "$headers" | tr -d '\r')
  echo "handling $id"
  printf '{"greeting":"%s","event":%s}' "${GREETING:-` + greeting + `}" "$event" |
    curl -sS -X POST --data-binary @- "$api/$id/response" >/dev/null
done
`)
}
