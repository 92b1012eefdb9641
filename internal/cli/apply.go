package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/topology"
)

func newApplyCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		file          string
		dryRun, prune bool
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make the server match a topology file (topics, queues, subscriptions, functions)",
		Long: `Apply reads a YAML topology file, compares it with what the server holds,
prints the plan (create / update / unchanged / delete) and carries it out.

Applying the same file again changes nothing. An invalid file is rejected
with the line and field of every problem, before anything changes; if the
server refuses a step, the steps already taken are undone. --prune also
deletes topics, queues, functions and subscriptions the file does not
declare. --dry-run prints the plan only. "-f -" reads the file from stdin.

The same file can hold the server's settings and be given to
"abanico serve --config", which applies its topology at start.

  topics:
    - name: orders
      attributes: {DisplayName: Orders}
      subscriptions:
        - queue: billing
          filter: {type: [order_placed]}
        - http: https://hooks.example.com/orders
        - function: inventory
  queues:
    - name: billing
      attributes: {VisibilityTimeout: 60}
      deadLetterQueue: {name: billing-dlq, maxReceiveCount: 5}
    - name: billing-dlq
  functions:
    - name: inventory
      bootstrap: inventory.sh`,
		Args: exactArgs(0),
	}
	g := addGlobal(cmd, stdout)
	cmd.Flags().StringVarP(&file, "file", "f", "", "topology file (- for stdin)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan without changing anything")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete what the server has and the file does not declare")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if file == "" {
			return usagef("apply needs -f FILE")
		}
		f, err := readTopology(cmd, file)
		if err != nil {
			return err
		}
		c, err := g.client()
		if err != nil {
			return err
		}
		var progress io.Writer = stderr
		if g.json {
			progress = io.Discard
		}
		plan, err := applyTopology(cmd.Context(), c, f, topology.PlanOptions{Prune: prune}, dryRun, planPrinter(g.stdout, g.json), progress)
		if err != nil {
			return wrapAPI(err)
		}
		if g.json {
			return printJSON(g.stdout, map[string]any{"plan": plan.Changes, "counts": plan.Counts(), "applied": !dryRun})
		}
		return nil
	}
	return cmd
}

// readTopology reads and parses a topology file ("-" is stdin). Top-level
// keys that are serve's settings are allowed, so one file can configure
// the server and its topology.
func readTopology(cmd *cobra.Command, path string) (*topology.File, error) {
	var (
		data []byte
		err  error
	)
	name, dir := path, filepath.Dir(path)
	if path == "-" {
		name, dir = "<stdin>", "."
		data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), topology.MaxFileSize+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read topology file: %w", err)
	}
	return topology.Parse(name, data, topology.ParseOptions{BaseDir: dir, Ignore: isServeSetting})
}

// isServeSetting reports whether key is one of serve's settings.
func isServeSetting(key string) bool {
	return newServe(io.Discard).Flags().Lookup(key) != nil
}

// planPrinter returns how a plan is shown: nothing for --json (the plan
// is printed whole at the end), else a summary line and one line per
// resource.
func planPrinter(w io.Writer, asJSON bool) func(*topology.Plan) {
	if asJSON {
		return func(*topology.Plan) {}
	}
	marks := map[topology.Action]string{topology.Create: "+", topology.Update: "~", topology.Unchanged: "=", topology.Delete: "-"}
	return func(p *topology.Plan) {
		fmt.Fprintf(w, "Plan: %s\n", p.Summary())
		for _, c := range p.Changes {
			line := fmt.Sprintf("  %s %s %s %s", marks[c.Action], c.Action, c.Kind, c.Name)
			if len(c.Fields) > 0 {
				line += " (" + strings.Join(c.Fields, ", ") + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

// applyTopology plans f against the server, shows the plan, and unless
// dryRun carries it out, reporting each step to progress.
func applyTopology(ctx context.Context, c *abanico.Client, f *topology.File, opts topology.PlanOptions, dryRun bool, show func(*topology.Plan), progress io.Writer) (*topology.Plan, error) {
	plan, err := topology.NewPlan(ctx, c, f, opts)
	if err != nil {
		return nil, err
	}
	show(plan)
	n := plan.Counts()
	switch {
	case dryRun:
		fmt.Fprintln(progress, "Dry run: nothing was changed.")
		return plan, nil
	case n[topology.Create]+n[topology.Update]+n[topology.Delete] == 0:
		fmt.Fprintln(progress, "Nothing to do.")
		return plan, nil
	}
	err = plan.Apply(ctx, func(step, total int, ch *topology.Change, undo bool, err error) {
		verb := string(ch.Action)
		if undo {
			verb = "undo " + verb
		}
		outcome := "ok"
		if err != nil {
			outcome = "failed"
		}
		fmt.Fprintf(progress, "[%d/%d] %s %s %s ... %s\n", step, total, verb, ch.Kind, ch.Name, outcome)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "Applied: %d created, %d updated, %d deleted.\n", n[topology.Create], n[topology.Update], n[topology.Delete])
	return plan, nil
}

// configTopology parses the topology sections of serve's config file; it
// returns nil when there is no file or it declares no topology.
func configTopology(path string) (*topology.File, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	f, err := topology.Parse(path, data, topology.ParseOptions{BaseDir: filepath.Dir(path), Ignore: isServeSetting})
	if err != nil || f.Empty() {
		return nil, err
	}
	return f, nil
}

// applyAtStart applies a config file's topology to the server just
// started at url, logging the plan and each step.
func applyAtStart(ctx context.Context, url string, f *topology.File, log *slog.Logger) error {
	lw := &logWriter{log: log}
	show := func(p *topology.Plan) { log.Info("topology plan", "file", f.Name, "plan", p.Summary()) }
	_, err := applyTopology(ctx, abanico.NewClient(url), f, topology.PlanOptions{}, false, show, lw)
	return err
}

// logWriter logs each line written to it.
type logWriter struct{ log *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.log.Info("topology: " + line)
	}
	return len(p), nil
}
