package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/abanico/abanico"
)

// defaultEndpoint is the server the resource commands talk to unless
// --endpoint or ABANICO_ENDPOINT says otherwise.
const defaultEndpoint = "http://127.0.0.1:4566"

// globalOpts are the persistent flags of every resource command.
type globalOpts struct {
	endpoint string
	json     bool
	stdout   io.Writer
	flagCmd  *cobra.Command // the command holding the persistent flags
}

// addGlobal registers --endpoint and --json on cmd (persistent, so every
// subcommand has them).
func addGlobal(cmd *cobra.Command, stdout io.Writer) *globalOpts {
	g := &globalOpts{stdout: stdout, flagCmd: cmd}
	pf := cmd.PersistentFlags()
	pf.StringVar(&g.endpoint, "endpoint", defaultEndpoint, "Abanico server URL (env ABANICO_ENDPOINT)")
	pf.BoolVar(&g.json, "json", false, "print the API's JSON instead of a table")
	return g
}

// client returns a client for the endpoint: the flag when given, else
// ABANICO_ENDPOINT, else the default.
func (g *globalOpts) client() (*abanico.Client, error) {
	ep := g.endpoint
	if f := g.flagCmd.PersistentFlags().Lookup("endpoint"); f != nil && !f.Changed {
		if env := os.Getenv("ABANICO_ENDPOINT"); env != "" {
			ep = env
		}
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("invalid endpoint %q: want an http(s) URL such as %s", ep, defaultEndpoint)
	}
	return abanico.NewClient(ep), nil
}

// newResourceCommands returns the commands that manage an Abanico server's
// resources through its native API.
func newResourceCommands(stdout io.Writer) []*cobra.Command {
	return []*cobra.Command{
		newTopicCmd(stdout),
		newQueueCmd(stdout),
		newSubCmd(stdout),
		newPublishCmd(stdout),
		newFnCmd(stdout),
		newStatusCmd(stdout),
	}
}

// readInput returns the body argument, or stdin when it is absent or "-".
func readInput(cmd *cobra.Command, args []string, i int) (string, error) {
	if len(args) > i && args[i] != "-" {
		return args[i], nil
	}
	b, err := io.ReadAll(cmd.InOrStdin())
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	return string(b), nil
}

// ---- topics ----

func newTopicCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Manage topics (create, list, get, delete)",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRun,
	}
	g := addGlobal(cmd, stdout)
	cmd.AddCommand(
		&cobra.Command{
			Use:   "create NAME",
			Short: "Create a topic (or return the existing one)",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				t, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Topic, error) {
					return c.CreateTopic(ctx, abanico.CreateTopicInput{Name: args[0]})
				})
				if err != nil {
					return err
				}
				return show(g, t, topicTable)
			},
		},
		&cobra.Command{
			Use:   "list",
			Short: "List topics",
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				ts, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.Topic, error) {
					return c.ListTopics(ctx)
				})
				if err != nil {
					return err
				}
				return showList(g, "topics", ts, topicTable)
			},
		},
		&cobra.Command{
			Use:   "get NAME",
			Short: "Show a topic and its attributes",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				t, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Topic, error) {
					return c.GetTopic(ctx, args[0])
				})
				if err != nil {
					return err
				}
				return showDetail(g, t, topicTable, t.Attributes)
			},
		},
		nameAction(g, "delete NAME", "Delete a topic and its subscriptions (a missing topic is not an error)", "deleted topic",
			func(ctx context.Context, c *abanico.Client, name string) error { return c.DeleteTopic(ctx, name) }),
	)
	return cmd
}

// topicTable prints topics as a table.
func topicTable(w io.Writer, ts ...*abanico.Topic) error {
	t := newTable(w, "NAME", "ARN", "CONFIRMED", "PENDING")
	for _, tp := range ts {
		t.row(tp.Name, tp.ARN, strconv.Itoa(tp.SubscriptionsConfirmed), strconv.Itoa(tp.SubscriptionsPending))
	}
	return t.flush()
}

// ---- queues ----

func newQueueCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Manage queues and their messages",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRun,
	}
	g := addGlobal(cmd, stdout)
	cmd.AddCommand(
		newQueueCreate(g), newQueueList(g), newQueueGet(g), newQueueDelete(g),
		newQueuePurge(g), newQueueSend(g), newQueueReceive(g), newQueuePeek(g), newQueueRedrive(g),
	)
	return cmd
}

// queueTable prints queues as a table, with their message counts.
func queueTable(w io.Writer, qs ...*abanico.Queue) error {
	t := newTable(w, "NAME", "VISIBLE", "IN FLIGHT", "DELAYED", "ARN")
	for _, q := range qs {
		a := q.Attributes
		t.row(q.Name, orDash(a["ApproximateNumberOfMessages"]), orDash(a["ApproximateNumberOfMessagesNotVisible"]),
			orDash(a["ApproximateNumberOfMessagesDelayed"]), q.ARN)
	}
	return t.flush()
}

func newQueueCreate(g *globalOpts) *cobra.Command {
	var (
		dlq         string
		maxReceives int
		attrs       []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a queue",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseKV("attr", attrs)
			if err != nil {
				return err
			}
			in := abanico.CreateQueueInput{Name: args[0], Attributes: a}
			if dlq != "" {
				if maxReceives < 1 {
					return usagef("--max-receives must be at least 1")
				}
				in.DeadLetterQueue = &abanico.DeadLetter{Name: dlq, MaxReceiveCount: maxReceives}
			} else if cmd.Flags().Changed("max-receives") {
				return usagef("--max-receives needs --dlq")
			}
			q, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Queue, error) {
				return c.CreateQueue(ctx, in)
			})
			if err != nil {
				return err
			}
			return show(g, q, queueTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dlq, "dlq", "", "dead-letter queue (an existing queue) for messages received too often")
	fl.IntVar(&maxReceives, "max-receives", 5, "receives after which a message moves to the --dlq queue")
	fl.StringArrayVar(&attrs, "attr", nil, "SQS queue attribute K=V, repeatable (e.g. VisibilityTimeout=60, FifoQueue=true)")
	return cmd
}

func newQueueList(g *globalOpts) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List queues",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			qs, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.Queue, error) {
				return c.ListQueues(ctx, prefix)
			})
			if err != nil {
				return err
			}
			return showList(g, "queues", qs, queueTable)
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only queues whose names start with this prefix")
	return cmd
}

func newQueueGet(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show a queue and its attributes",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Queue, error) {
				return c.GetQueue(ctx, args[0])
			})
			if err != nil {
				return err
			}
			return showDetail(g, q, queueTable, q.Attributes)
		},
	}
}

func newQueueDelete(g *globalOpts) *cobra.Command {
	cmd := nameAction(g, "delete NAME", "Delete a queue and its messages", "deleted queue",
		func(ctx context.Context, c *abanico.Client, name string) error { return c.DeleteQueue(ctx, name) })
	return cmd
}

func newQueuePurge(g *globalOpts) *cobra.Command {
	cmd := nameAction(g, "purge NAME", "Delete every message of a queue", "purged queue",
		func(ctx context.Context, c *abanico.Client, name string) error { return c.PurgeQueue(ctx, name) })
	return cmd
}

func newQueueSend(g *globalOpts) *cobra.Command {
	var (
		attrs []string
		delay int
	)
	cmd := &cobra.Command{
		Use:   "send NAME [BODY]",
		Short: "Send a message to a queue (BODY \"-\" or omitted: read it from stdin)",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ma, err := parseMessageAttrs(attrs)
			if err != nil {
				return err
			}
			msg := abanico.QueueMessage{Attributes: ma}
			if cmd.Flags().Changed("delay") {
				if delay < 0 {
					return usagef("--delay must not be negative")
				}
				msg.DelaySeconds = &delay
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if msg.Body, err = readInput(cmd, args, 1); err != nil {
				return err
			}
			r, err := c.SendMessage(cmd.Context(), args[0], msg)
			if err != nil {
				return wrapAPI(err)
			}
			if g.json {
				return printJSON(g.stdout, r)
			}
			t := newTable(g.stdout, "MESSAGE ID", "MD5 OF BODY")
			t.row(r.MessageID, r.MD5OfBody)
			return t.flush()
		},
	}
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, attrHelp)
	cmd.Flags().IntVar(&delay, "delay", 0, "delay in seconds before the message can be received (default: the queue's)")
	return cmd
}

func newQueueReceive(g *globalOpts) *cobra.Command {
	var (
		maxN int
		wait int
		del  bool
	)
	cmd := &cobra.Command{
		Use:   "receive NAME",
		Short: "Receive messages from a queue",
		Long: `Receive messages from a queue. Without --delete the messages stay in flight
for the queue's visibility timeout and come back afterwards; --json shows
their receipt handles.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if maxN < 0 || wait < 0 {
				return usagef("--max and --wait must not be negative")
			}
			ms, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.ReceivedMessage, error) {
				return c.ReceiveMessages(ctx, args[0], abanico.ReceiveInput{
					Max: maxN, Wait: time.Duration(wait) * time.Second, Delete: del,
				})
			})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, map[string]any{"messages": ms})
			}
			t := newTable(g.stdout, "MESSAGE ID", "RECEIVES", "SENT", "ATTRIBUTES", "BODY")
			for _, m := range ms {
				t.row(m.MessageID, strconv.Itoa(m.ReceiveCount), orDash(m.SentAt), attrList(m.Attributes), m.Body)
			}
			return t.flush()
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&maxN, "max", 1, "most messages to receive (1-10)")
	fl.IntVar(&wait, "wait", 0, "seconds to long-poll for a first message")
	fl.BoolVar(&del, "delete", false, "delete the messages as they are received")
	return cmd
}

// peekBodyWidth is how much of a body the peek table shows.
const peekBodyWidth = 60

func newQueuePeek(g *globalOpts) *cobra.Command {
	var maxN int
	cmd := &cobra.Command{
		Use:   "peek NAME",
		Short: "Show a queue's messages without receiving them",
		Long: `Show a queue's messages without receiving them: visible ones first, then
those in flight, then delayed ones. Receive counts and visibility are left
as they are. The table shortens bodies; --json shows them whole, with their
attributes.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if maxN < 1 || maxN > 100 {
				return usagef("--max must be between 1 and 100")
			}
			ms, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.PeekedMessage, error) {
				return c.PeekMessages(ctx, args[0], maxN)
			})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, map[string]any{"messages": ms})
			}
			t := newTable(g.stdout, "MESSAGE ID", "STATE", "RECEIVES", "SENT", "BODY")
			for _, m := range ms {
				t.row(m.MessageID, m.State, strconv.Itoa(m.ReceiveCount), orDash(m.SentAt), truncate(m.Body, peekBodyWidth))
			}
			return t.flush()
		},
	}
	cmd.Flags().IntVar(&maxN, "max", 10, "most messages to show (1-100)")
	return cmd
}

// redrivePoll is how often a redrive that is waited for shows its
// progress.
var redrivePoll = time.Second

func newQueueRedrive(g *globalOpts) *cobra.Command {
	var (
		to     string
		rate   int
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "redrive DLQ",
		Short: "Move the messages of a dead-letter queue back to their source queues (or --to a queue)",
		Long: `Move the messages of a dead-letter queue back to the queues they came from,
or --to one queue, and wait until the move ends: its progress is printed on
stderr about every second ("moved 120/500 messages"), then a summary on
stdout (with --json, the task as the API shows it). A move that fails or is
cancelled exits with 1. Ctrl-C stops the waiting, not the move: it goes on
on the server. With --no-wait the task handle is printed at once.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("rate") && (rate < 1 || rate > 500) {
				return usagef("--rate must be between 1 and 500")
			}
			dlq := args[0]
			h, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (string, error) {
				return c.StartRedrive(ctx, dlq, abanico.RedriveInput{Destination: to, MaxMessagesPerSecond: rate})
			})
			if err != nil {
				return err
			}
			if noWait {
				if g.json {
					return printJSON(g.stdout, map[string]string{"taskHandle": h})
				}
				fmt.Fprintf(g.stdout, "redrive of %s started (task %s)\n", dlq, h)
				return nil
			}
			return g.waitRedrive(cmd, dlq, h)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", "destination queue (default: each message's source queue)")
	fl.IntVar(&rate, "rate", 0, "most messages moved per second, 1-500 (default: as fast as the server can)")
	fl.BoolVar(&noWait, "no-wait", false, "print the task handle and return without waiting for the move")
	return cmd
}

// waitRedrive waits for the redrive task h of queue dlq to end, printing
// its progress on stderr and its end on stdout; a failed or cancelled
// task is an error. An interrupt (Ctrl-C) ends the waiting only.
func (g *globalOpts) waitRedrive(cmd *cobra.Command, dlq, h string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	stderr := cmd.ErrOrStderr()
	task, err := c.WaitRedrive(ctx, dlq, h, redrivePoll, func(t *abanico.RedriveTask) {
		fmt.Fprintf(stderr, "moved %d/%d messages\n", t.MovedMessages, t.MessagesToMove)
	})
	if err != nil {
		if ctx.Err() == nil || cmd.Context().Err() != nil {
			return wrapAPI(err)
		}
		// Interrupted: say where the task stands, and that it goes on.
		stop()
		fmt.Fprintf(stderr, "stopped waiting: the redrive of %s goes on on the server (task %s)\n", dlq, h)
		switch {
		case g.json && task != nil:
			return printJSON(g.stdout, task)
		case g.json:
			return printJSON(g.stdout, map[string]string{"taskHandle": h})
		case task != nil:
			fmt.Fprintf(g.stdout, "redrive of %s running: moved %d/%d messages %s\n", dlq, task.MovedMessages, task.MessagesToMove, redriveWhere(task))
		}
		return nil
	}
	if g.json {
		if err := printJSON(g.stdout, task); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.stdout, "redrive of %s %s: moved %d/%d messages %s\n", dlq, strings.ToLower(task.Status),
			task.MovedMessages, task.MessagesToMove, redriveWhere(task))
	}
	switch task.Status {
	case abanico.RedriveFailed:
		return fmt.Errorf("redrive of %s failed: %s", dlq, orDash(task.FailureReason))
	case abanico.RedriveCancelled:
		return fmt.Errorf("redrive of %s was cancelled", dlq)
	}
	return nil
}

// redriveWhere tells where a redrive task moves messages.
func redriveWhere(t *abanico.RedriveTask) string {
	if t.Destination == "" {
		return "back to their source queues"
	}
	return "to " + t.Destination
}

// ---- subscriptions ----

func newSubCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "sub",
		Aliases: []string{"subscription"},
		Short:   "Manage topic subscriptions",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRun,
	}
	g := addGlobal(cmd, stdout)
	cmd.AddCommand(newSubAdd(g), newSubList(g), newSubUpdate(g), newSubRm(g), newSubAttempts(g))
	return cmd
}

// subTable prints subscriptions as a table.
func subTable(w io.Writer, subs ...*abanico.Subscription) error {
	t := newTable(w, "ARN", "TOPIC", "PROTOCOL", "ENDPOINT", "PENDING", "RAW", "FILTER")
	for _, s := range subs {
		raw := s.Attributes["RawMessageDelivery"]
		if raw == "" {
			raw = "false"
		}
		t.row(s.ARN, s.Topic, s.Protocol, s.Endpoint, strconv.FormatBool(s.Pending), raw, orDash(s.Attributes["FilterPolicy"]))
	}
	return t.flush()
}

// filterPolicy checks a --filter value: a JSON object.
func filterPolicy(s string) (json.RawMessage, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return nil, usagef("invalid --filter: not a JSON object: %v", err)
	}
	if obj == nil {
		return nil, usagef("invalid --filter: not a JSON object")
	}
	return json.RawMessage(s), nil
}

// checkScope checks a --filter-scope value.
func checkScope(scope string) error {
	switch scope {
	case "", "body", "attributes":
		return nil
	}
	return usagef("invalid --filter-scope %q: body or attributes", scope)
}

func newSubAdd(g *globalOpts) *cobra.Command {
	var (
		queue, httpURL, function string
		filter, scope, dlq       string
		raw                      bool
	)
	cmd := &cobra.Command{
		Use:   "add TOPIC (--queue NAME | --http URL | --function NAME)",
		Short: "Subscribe a queue, an http(s) endpoint or a function to a topic",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := abanico.SubscribeInput{FilterScope: scope, Raw: raw, DeadLetterQueue: dlq}
			n := 0
			if queue != "" {
				n++
				in.Protocol, in.Endpoint = abanico.ProtocolQueue, queue
			}
			if httpURL != "" {
				n++
				u, err := url.Parse(httpURL)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("invalid --http %q: want an http(s) URL", httpURL)
				}
				in.Protocol, in.Endpoint = u.Scheme, httpURL
			}
			if function != "" {
				n++
				in.Protocol, in.Endpoint = abanico.ProtocolFunction, function
			}
			if n != 1 {
				return usagef("give exactly one of --queue, --http or --function")
			}
			if filter != "" {
				var err error
				if in.FilterPolicy, err = filterPolicy(filter); err != nil {
					return err
				}
			}
			if err := checkScope(scope); err != nil {
				return err
			}
			if scope != "" && filter == "" {
				return usagef("--filter-scope needs --filter")
			}
			s, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Subscription, error) {
				return c.Subscribe(ctx, args[0], in)
			})
			if err != nil {
				return err
			}
			return show(g, s, subTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&queue, "queue", "", "subscribe this queue")
	fl.StringVar(&httpURL, "http", "", "subscribe this http or https URL")
	fl.StringVar(&function, "function", "", "subscribe this function")
	fl.StringVar(&filter, "filter", "", `filter policy, a JSON object (e.g. '{"color":["red"]}')`)
	fl.StringVar(&scope, "filter-scope", "", "what --filter applies to: attributes (default) or body")
	fl.BoolVar(&raw, "raw", false, "raw message delivery (the body alone, not the SNS envelope)")
	fl.StringVar(&dlq, "dlq", "", "dead-letter queue for messages that cannot be delivered")
	return cmd
}

func newSubUpdate(g *globalOpts) *cobra.Command {
	var (
		filter, scope, dlq string
		noFilter, noDLQ    bool
		raw                bool
	)
	cmd := &cobra.Command{
		Use:   "update ARN [--filter JSON | --no-filter] [--filter-scope S] [--raw=true|false] [--dlq QUEUE | --no-dlq]",
		Short: "Change a subscription's filter, raw delivery or dead-letter queue (other settings stay)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			var in abanico.UpdateSubscriptionInput
			switch {
			case fl.Changed("filter") && noFilter:
				return usagef("give --filter or --no-filter, not both")
			case fl.Changed("filter"):
				var err error
				if in.FilterPolicy, err = filterPolicy(filter); err != nil {
					return err
				}
			case noFilter:
				in.FilterPolicy = json.RawMessage("null")
			}
			if err := checkScope(scope); err != nil {
				return err
			}
			in.FilterScope = scope
			if fl.Changed("raw") {
				in.Raw = &raw
			}
			switch {
			case fl.Changed("dlq") && noDLQ:
				return usagef("give --dlq or --no-dlq, not both")
			case fl.Changed("dlq"):
				if dlq == "" {
					return usagef("--dlq needs a queue name (--no-dlq removes the dead-letter queue)")
				}
				in.DeadLetterQueue = &dlq
			case noDLQ:
				in.DeadLetterQueue = new("")
			}
			s, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Subscription, error) {
				return c.UpdateSubscription(ctx, args[0], in)
			})
			if err != nil {
				return err
			}
			return show(g, s, subTable)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&filter, "filter", "", `new filter policy, a JSON object`)
	fl.BoolVar(&noFilter, "no-filter", false, "remove the filter policy")
	fl.StringVar(&scope, "filter-scope", "", "what the filter applies to: attributes or body")
	fl.BoolVar(&raw, "raw", false, "raw message delivery on (--raw) or off (--raw=false)")
	fl.StringVar(&dlq, "dlq", "", "new dead-letter queue")
	fl.BoolVar(&noDLQ, "no-dlq", false, "remove the dead-letter queue")
	return cmd
}

func newSubList(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list [TOPIC]",
		Short: "List the subscriptions of a topic, or all of them",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			topic := ""
			if len(args) == 1 {
				topic = args[0]
			}
			subs, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.Subscription, error) {
				return c.ListSubscriptions(ctx, topic)
			})
			if err != nil {
				return err
			}
			return showList(g, "subscriptions", subs, subTable)
		},
	}
}

func newSubRm(g *globalOpts) *cobra.Command {
	cmd := nameAction(g, "rm ARN", "Delete a subscription (a missing one is not an error)", "deleted subscription",
		func(ctx context.Context, c *abanico.Client, name string) error { return c.Unsubscribe(ctx, name) })
	cmd.Aliases = []string{"delete"}
	return cmd
}

func newSubAttempts(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "attempts ARN",
		Short: "Show the delivery state and recent attempts of an http(s) or function subscription",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.SubscriptionStats, error) {
				return c.SubscriptionAttempts(ctx, args[0])
			})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, st)
			}
			w := g.stdout
			fmt.Fprintf(w, "backlog %d, in flight %d\n", st.Backlog, st.InFlight)
			k := st.Counters
			fmt.Fprintf(w, "delivered %d, failed %d, retried %d, dead-lettered %d, dropped %d\n",
				k.Delivered, k.Failed, k.Retried, k.DeadLettered, k.Dropped)
			if b := st.Breaker; b != nil {
				fmt.Fprintf(w, "breaker %s (consecutive failures %d, trips %d", b.State, b.ConsecutiveFailures, b.Trips)
				if !b.NextProbe.IsZero() {
					fmt.Fprintf(w, ", next probe %s", b.NextProbe.Format(time.RFC3339))
				}
				fmt.Fprintln(w, ")")
			}
			fmt.Fprintln(w)
			t := newTable(w, "TIME", "MESSAGE ID", "ATTEMPT", "STATUS", "LATENCY", "OUTCOME", "ERROR")
			for _, a := range st.Attempts {
				status := "-"
				if a.Status != 0 {
					status = strconv.Itoa(a.Status)
				}
				t.row(a.Time.Format(time.RFC3339Nano), a.MessageID, strconv.Itoa(a.Attempt), status,
					a.Latency.String(), a.Outcome, orDash(a.Error))
			}
			return t.flush()
		},
	}
}

// ---- publish ----

func newPublishCmd(stdout io.Writer) *cobra.Command {
	var (
		subject string
		attrs   []string
		file    string
	)
	cmd := &cobra.Command{
		Use:   "publish TOPIC [BODY]",
		Short: "Publish a message to a topic (no BODY and no --file: read it from stdin)",
		Args:  rangeArgs(1, 2),
	}
	g := addGlobal(cmd, stdout)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ma, err := parseMessageAttrs(attrs)
		if err != nil {
			return err
		}
		if file != "" && len(args) == 2 {
			return usagef("give BODY or --file, not both")
		}
		c, err := g.client()
		if err != nil {
			return err
		}
		msg := abanico.TopicMessage{Subject: subject, Attributes: ma}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return usagef("--file: %v", err)
			}
			msg.Message = string(b)
		} else if msg.Message, err = readInput(cmd, args, 1); err != nil {
			return err
		}
		id, err := c.Publish(cmd.Context(), args[0], msg)
		if err != nil {
			return wrapAPI(err)
		}
		if g.json {
			return printJSON(g.stdout, map[string]string{"messageId": id})
		}
		fmt.Fprintln(g.stdout, id)
		return nil
	}
	fl := cmd.Flags()
	fl.StringVar(&subject, "subject", "", "message subject")
	fl.StringArrayVar(&attrs, "attr", nil, attrHelp)
	fl.StringVar(&file, "file", "", "read the message from this file")
	return cmd
}

// ---- functions ----

func newFnCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "fn",
		Aliases: []string{"function"},
		Short:   "Create, update, invoke and read the logs of functions",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRun,
	}
	g := addGlobal(cmd, stdout)
	var event bool
	invoke := &cobra.Command{
		Use:   "invoke NAME [PAYLOAD]",
		Short: "Invoke a function (PAYLOAD \"-\": read it from stdin; omitted: {})",
		Long: `Invoke a function with PAYLOAD (JSON) as its event and print its response.
A function that runs and fails exits with 1 after printing its error payload.
With --event the invocation is queued and only its request id is printed.`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var payload []byte
			switch {
			case len(args) == 2 && args[1] == "-":
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("read stdin: %w", err)
				}
				payload = b
			case len(args) == 2:
				payload = []byte(args[1])
			default:
				payload = []byte("{}")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			typ := abanico.InvokeRequestResponse
			if event {
				typ = abanico.InvokeEvent
			}
			res, err := c.Invoke(cmd.Context(), args[0], payload, typ)
			if err != nil {
				return wrapAPI(err)
			}
			if g.json {
				if err := printJSON(g.stdout, res); err != nil {
					return err
				}
			} else if event {
				fmt.Fprintf(g.stdout, "queued (request %s)\n", orDash(res.RequestID))
			} else {
				out := bytes.TrimRight(res.Payload, "\n")
				fmt.Fprintf(g.stdout, "%s\n", out)
			}
			if res.FunctionError != "" {
				return fmt.Errorf("function %s failed: %s", args[0], res.FunctionError)
			}
			return nil
		},
	}
	invoke.Flags().BoolVar(&event, "event", false, "queue the invocation (type Event) instead of waiting for it")
	cmd.AddCommand(newFnCreate(g), newFnGet(g), newFnUpdate(g),
		nameAction(g, "delete NAME", "Delete a function", "deleted function",
			func(ctx context.Context, c *abanico.Client, name string) error { return c.DeleteFunction(ctx, name) }),
	)
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List functions",
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				fs, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]abanico.Function, error) {
					return c.ListFunctions(ctx)
				})
				if err != nil {
					return err
				}
				return showList(g, "functions", fs, functionTable)
			},
		},
		invoke,
		&cobra.Command{
			Use:   "logs NAME",
			Short: "Print the tail of a function's captured output",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				logs, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) ([]byte, error) {
					return c.FunctionLogs(ctx, args[0], 0)
				})
				if err != nil {
					return err
				}
				if g.json {
					return printJSON(g.stdout, map[string]string{"logs": string(logs)})
				}
				if _, err := g.stdout.Write(logs); err != nil {
					return err
				}
				if len(logs) > 0 && !strings.HasSuffix(string(logs), "\n") {
					fmt.Fprintln(g.stdout)
				}
				return nil
			},
		},
	)
	return cmd
}

// codeFlags are the ways a function's code is given: a zip archive, or
// one script that becomes the archive's bootstrap.
type codeFlags struct {
	zip, bootstrap string
}

func (f *codeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.zip, "zip", "", "zip archive with an executable bootstrap at its root")
	cmd.Flags().StringVar(&f.bootstrap, "bootstrap", "", "executable (e.g. a script) to run as the function's bootstrap")
}

// read returns the code archive the flags name.
func (f *codeFlags) read() ([]byte, error) {
	switch {
	case (f.zip == "") == (f.bootstrap == ""):
		return nil, usagef("give exactly one of --zip or --bootstrap")
	case f.zip != "":
		b, err := os.ReadFile(f.zip)
		if err != nil {
			return nil, usagef("--zip: %v", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(f.bootstrap)
	if err != nil {
		return nil, usagef("--bootstrap: %v", err)
	}
	return abanico.BootstrapZip(b)
}

// functionTable prints functions as a table.
func functionTable(w io.Writer, fs ...*abanico.Function) error {
	t := newTable(w, "NAME", "RUNTIME", "HANDLER", "TIMEOUT", "MEMORY", "LAST MODIFIED")
	for _, f := range fs {
		t.row(f.Name, f.Runtime, f.Handler, strconv.Itoa(f.Timeout)+"s", strconv.Itoa(f.MemorySize)+"MB", f.LastModified)
	}
	return t.flush()
}

func newFnCreate(g *globalOpts) *cobra.Command {
	var (
		code                         codeFlags
		runtime, handler             string
		timeout, memory, concurrency int
		env                          []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME (--zip FILE | --bootstrap FILE)",
		Short: "Create a function from a zip archive or a bootstrap executable",
		Long: `Create a function. Functions run as local processes speaking the Lambda
Runtime API: --bootstrap takes one executable (a script or a binary) and
packs it as the archive's bootstrap; --zip takes an archive with a
bootstrap at its root.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := parseKV("env", env)
			if err != nil {
				return err
			}
			zip, err := code.read()
			if err != nil {
				return err
			}
			in := abanico.CreateFunctionInput{Name: args[0], Runtime: runtime, Handler: handler, Timeout: timeout,
				MemorySize: memory, Environment: e, Zip: zip}
			if cmd.Flags().Changed("concurrency") {
				in.ReservedConcurrency = &concurrency
			}
			f, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Function, error) {
				return c.CreateFunction(ctx, in)
			})
			if err != nil {
				return err
			}
			return show(g, f, functionTable)
		},
	}
	code.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&runtime, "runtime", "", "custom runtime (default provided.al2023)")
	fl.StringVar(&handler, "handler", "", "handler, passed to the bootstrap as _HANDLER (default bootstrap)")
	fl.IntVar(&timeout, "timeout", 0, "seconds an invocation may run, 1-900 (default 3)")
	fl.IntVar(&memory, "memory", 0, "memory size in MB, 128-10240 (default 128; recorded)")
	fl.IntVar(&concurrency, "concurrency", 0, "concurrent executions to reserve (default: none reserved)")
	fl.StringArrayVar(&env, "env", nil, "environment variable K=V, repeatable")
	return cmd
}

func newFnGet(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show a function",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Function, error) {
				return c.GetFunction(ctx, args[0])
			})
			if err != nil {
				return err
			}
			concurrency := "-"
			if f.ReservedConcurrency != nil {
				concurrency = strconv.Itoa(*f.ReservedConcurrency)
			}
			return showDetail(g, f, functionTable, map[string]string{
				"ARN": f.ARN, "CodeSha256": f.CodeSha256, "CodeSize": strconv.FormatInt(f.CodeSize, 10),
				"ReservedConcurrency": concurrency, "Environment": kvList(f.Environment),
			})
		},
	}
}

func newFnUpdate(g *globalOpts) *cobra.Command {
	var code codeFlags
	cmd := &cobra.Command{
		Use:   "update NAME (--zip FILE | --bootstrap FILE)",
		Short: "Replace a function's code",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			zip, err := code.read()
			if err != nil {
				return err
			}
			f, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Function, error) {
				return c.UpdateFunctionCode(ctx, args[0], zip)
			})
			if err != nil {
				return err
			}
			return show(g, f, functionTable)
		},
	}
	code.add(cmd)
	return cmd
}

// ---- status ----

func newStatusCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the server's version, engine, resource counts and busiest subscriptions",
		Args:  exactArgs(0),
	}
	g := addGlobal(cmd, stdout)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		st, err := apiCall(cmd, g, func(ctx context.Context, c *abanico.Client) (*abanico.Status, error) {
			return c.Status(ctx)
		})
		if err != nil {
			return err
		}
		if g.json {
			return printJSON(g.stdout, st)
		}
		w := g.stdout
		e := st.Engine
		fmt.Fprintf(w, "abanico %s, engine %s (durability %s, replicas %d)", st.Version, e.Mode, e.Durability, e.Replicas)
		if e.StartedAt != "" {
			fmt.Fprintf(w, ", up since %s", e.StartedAt)
		}
		fmt.Fprintln(w)
		k := st.Counts
		fmt.Fprintf(w, "%d topics, %d subscriptions, %d queues, %d functions\n", k.Topics, k.Subscriptions, k.Queues, k.Functions)
		if len(st.Busiest) == 0 {
			fmt.Fprintln(w, "no subscription has messages waiting")
			return nil
		}
		fmt.Fprintln(w)
		t := newTable(w, "BACKLOG", "IN FLIGHT", "TOPIC", "PROTOCOL", "ENDPOINT", "ARN")
		for _, b := range st.Busiest {
			t.row(strconv.FormatUint(b.Backlog, 10), strconv.Itoa(b.InFlight), b.Topic, b.Protocol, b.Endpoint, b.ARN)
		}
		return t.flush()
	}
	return cmd
}

// nameAction is a command that applies one call to the resource named by
// its only argument and reports it (nothing with --json).
func nameAction(g *globalOpts, use, short, done string, call func(context.Context, *abanico.Client, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := call(cmd.Context(), c, args[0]); err != nil {
				return wrapAPI(err)
			}
			if !g.json {
				fmt.Fprintf(g.stdout, "%s %s\n", done, args[0])
			}
			return nil
		},
	}
}

// apiCall makes one client call with the command's endpoint; API errors
// come back wrapped with their exit code.
func apiCall[T any](cmd *cobra.Command, g *globalOpts, fn func(context.Context, *abanico.Client) (T, error)) (T, error) {
	var zero T
	c, err := g.client()
	if err != nil {
		return zero, err
	}
	v, err := fn(cmd.Context(), c)
	if err != nil {
		return zero, wrapAPI(err)
	}
	return v, nil
}
