package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/abanico/abanico"
)

// Exit codes of the resource commands (see exitCode).
const (
	exitOK       = 0
	exitAPI      = 1 // the server answered with an error, or it could not be reached
	exitUsage    = 2 // bad flags or arguments
	exitNotFound = 3 // the named resource does not exist
)

// exitCode maps an error returned by the root command to the process exit
// code: 2 for usage errors, 3 for not_found answers of the API, 1 otherwise.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	if abanico.IsNotFound(err) {
		return exitNotFound
	}
	return exitAPI
}

// apiError is a client error as the command line shows it: the client's
// message without its "abanico: " prefix (Execute adds its own), keeping
// the operation, the server's message and the field at fault. It unwraps to
// the client error, so abanico.IsNotFound still sees it.
type apiError struct{ err error }

func (e apiError) Error() string {
	return strings.TrimPrefix(e.err.Error(), "abanico: ")
}

func (e apiError) Unwrap() error { return e.err }

// wrapAPI wraps a client error for display; nil stays nil.
func wrapAPI(err error) error {
	if err == nil {
		return nil
	}
	return apiError{err}
}

// usagef returns a usage error (exit code 2).
func usagef(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// Argument validators returning usage errors (cobra's own return plain
// errors, which would exit with 1).
func exactArgs(n int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s: takes %d argument(s), got %d (usage: %s)", cmd.CommandPath(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

func rangeArgs(lo, hi int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s: takes %d to %d arguments, got %d (usage: %s)", cmd.CommandPath(), lo, hi, len(args), cmd.UseLine())
		}
		return nil
	}
}

// groupRun is the RunE of a command that only groups subcommands: called
// with arguments it is an unknown subcommand, without it shows help.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}

// attrHelp documents the --attr syntax of message attributes.
const attrHelp = "message attribute, repeatable: k=v (String), k:Number=3, k:Binary=<base64>, k:String.Array=[\"a\",\"b\"] or any k:Type=v"

// parseMessageAttrs parses --attr values: "k=v" is a String attribute,
// "k:Type=v" one of the given data type.
func parseMessageAttrs(list []string) (map[string]abanico.MessageAttribute, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]abanico.MessageAttribute, len(list))
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("invalid --attr %q: want k=v or k:Type=v", a)
		}
		typ := "String"
		if name, t, ok := strings.Cut(k, ":"); ok {
			if name == "" || t == "" {
				return nil, usagef("invalid --attr %q: want k=v or k:Type=v", a)
			}
			k, typ = name, t
		}
		out[k] = abanico.MessageAttribute{Type: typ, Value: v}
	}
	return out, nil
}

// parseKV parses plain K=V pairs (queue attributes).
func parseKV(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(list))
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("invalid --%s %q: want K=V", flag, a)
		}
		out[k] = v
	}
	return out, nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// show prints one resource: as JSON with --json, else as a table.
func show[T any](g *globalOpts, v *T, table func(io.Writer, ...*T) error) error {
	if g.json {
		return printJSON(g.stdout, v)
	}
	return table(g.stdout, v)
}

// showList prints resources: with --json as the API lists them (under
// key), else as a table.
func showList[T any](g *globalOpts, key string, items []T, table func(io.Writer, ...*T) error) error {
	if g.json {
		return printJSON(g.stdout, map[string]any{key: items})
	}
	ptrs := make([]*T, len(items))
	for i := range items {
		ptrs[i] = &items[i]
	}
	return table(g.stdout, ptrs...)
}

// showDetail prints one resource: as JSON with --json, else as a table
// followed by a table of attrs.
func showDetail[T any](g *globalOpts, v *T, table func(io.Writer, ...*T) error, attrs map[string]string) error {
	if g.json {
		return printJSON(g.stdout, v)
	}
	if err := table(g.stdout, v); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	return attrTable(g.stdout, attrs)
}

// table writes rows under a header, aligned with tabwriter.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) {
	for i, c := range cols {
		cols[i] = oneLine(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// oneLine keeps a table cell on one line and out of tabwriter's columns.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

// kvList renders a map as "k=v,k=v" in key order ("-" when empty).
func kvList(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// attrList renders message attributes as "k=v" for Strings and
// "k:Type=v" otherwise, the --attr syntax.
func attrList(m map[string]abanico.MessageAttribute) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if a := m[k]; a.Type == "String" {
			parts = append(parts, k+"="+a.Value)
		} else {
			parts = append(parts, k+":"+a.Type+"="+a.Value)
		}
	}
	return strings.Join(parts, ",")
}

// attrTable prints a map of attributes as a two-column table.
func attrTable(w io.Writer, m map[string]string) error {
	t := newTable(w, "ATTRIBUTE", "VALUE")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		t.row(k, m[k])
	}
	return t.flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// truncate shortens s to at most n runes, ending it with "..." when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[:n])
	}
	return string(r[:n-3]) + "..."
}
