package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func flags() (*pflag.FlagSet, *string, *string, *[]string, *int) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:4566", "")
	dir := fs.String("data-dir", "./abanico-data", "")
	urls := fs.StringSlice("nats-url", nil, "")
	rep := fs.Int("replicas", 1, "")
	return fs, listen, dir, urls, rep
}

// TestConfigLayers checks the precedence: flags over environment over the
// YAML file over defaults.
func TestConfigLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "abanico.yaml")
	if err := os.WriteFile(file, []byte("listen: 0.0.0.0:9000\ndata-dir: /from/file\nnats-url: [nats://a:4222, nats://b:4222]\nreplicas: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ABANICO_DATA_DIR", "/from/env")
	fs, listen, dir, urls, rep := flags()
	if err := fs.Parse([]string{"--replicas", "2"}); err != nil {
		t.Fatal(err)
	}
	if err := applyLayers(fs, file); err != nil {
		t.Fatal(err)
	}
	if *listen != "0.0.0.0:9000" {
		t.Errorf("listen from file: %s", *listen)
	}
	if *dir != "/from/env" {
		t.Errorf("data-dir: env must win over file, got %s", *dir)
	}
	if *rep != 2 {
		t.Errorf("replicas: flag must win, got %d", *rep)
	}
	if strings.Join(*urls, ",") != "nats://a:4222,nats://b:4222" {
		t.Errorf("nats-url list from file: %v", *urls)
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: [unclosed\n"), 0o600)
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("lisen: x\n"), 0o600)
	wrongType := filepath.Join(dir, "type.yaml")
	os.WriteFile(wrongType, []byte("replicas: three\n"), 0o600)
	for _, f := range []string{bad, unknown, wrongType, filepath.Join(dir, "missing.yaml")} {
		fs, _, _, _, _ := flags()
		if err := applyLayers(fs, f); err == nil {
			t.Errorf("%s: want an error", filepath.Base(f))
		}
	}
	t.Setenv("ABANICO_REPLICAS", "many")
	fs, _, _, _, _ := flags()
	if err := applyLayers(fs, ""); err == nil || !strings.Contains(err.Error(), "ABANICO_REPLICAS") {
		t.Errorf("bad environment value: %v", err)
	}
}

// TestServeHelpDocumentsEveryFlag runs `abanico serve --help`.
func TestServeHelpDocumentsEveryFlag(t *testing.T) {
	var out, errOut strings.Builder
	if code := Execute([]string{"serve", "--help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, f := range []string{"--listen", "--data-dir", "--region", "--account-id", "--nats-url", "--nats-creds", "--replicas", "--durability", "--config"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("serve --help does not mention %s", f)
		}
	}
	if code := Execute([]string{"serve", "--bogus"}, &out, &errOut); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code := Execute([]string{"serve", "--durability", "sometimes", "--listen", "127.0.0.1:0"}, &out, &errOut); code == 0 {
		t.Errorf("invalid durability accepted")
	}
}
