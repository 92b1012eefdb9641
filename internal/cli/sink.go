package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

const (
	// sinkMaxBody bounds the body the sink reads from one request.
	sinkMaxBody = 16 << 20
	// sinkMaxTracked bounds the messages fail=N keeps counts for.
	sinkMaxTracked = 100000
)

func newSink(stdout, stderr io.Writer) *cobra.Command {
	var (
		listen string
		status int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "sink",
		Short: "Receive webhook deliveries and print them (confirms subscriptions by itself)",
		Long: `Run an HTTP endpoint that prints every POST it receives, one line per
message: the time, the path, the x-amz-sns-message-type header, the subject
if any and the message (the Message of an SNS envelope, or the raw body).
With --json each message is one JSON object per line instead, with the
headers of interest (x-amz-sns-*, webhook-*, Content-Type, User-Agent) and
the whole body.

A SubscriptionConfirmation is confirmed by a GET on its SubscribeURL, so an
http subscription to the sink is live without any other step:

  abanico sink &
  abanico sub add orders --http http://127.0.0.1:9000/orders
  abanico publish orders '{"id":42}'

--status sets the answer to notifications (confirmations are always
answered 200): --status 500 makes every delivery fail, to watch the
subscription's retries and dead-letter queue at work. The endpoint URL can
say so too, for one subscription: a query parameter status=CODE answers
CODE (http://127.0.0.1:9000/erp?status=503 is an endpoint that is down),
and fail=N answers 503 to the first N attempts of every message and then
--status (http://127.0.0.1:9000/crm?fail=2 recovers on the third attempt).

The sink follows any SubscribeURL it is sent; keep it on a loopback
address.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if status < 200 || status > 599 {
				return usagef("invalid --status %d: want an HTTP status from 200 to 599", status)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("sink: %w", err)
			}
			s := &sink{out: stdout, status: status, json: asJSON, hc: &http.Client{Timeout: 10 * time.Second}, attempts: map[string]int{}}
			srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			fmt.Fprintf(stderr, "abanico sink: listening on http://%s, answering notifications with %d (Ctrl-C stops)\n", ln.Addr(), status)
			select {
			case <-ctx.Done():
			case err := <-done:
				return fmt.Errorf("sink: %w", err)
			}
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = srv.Shutdown(sctx)
			s.confirming.Wait()
			fmt.Fprintln(stderr, "abanico sink: stopped")
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("sink: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:9000", "address to listen on (host:port)")
	fl.IntVar(&status, "status", http.StatusOK, "HTTP status to answer notifications with (e.g. 500 to watch retries)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object per line (headers and body) instead of text")
	return cmd
}

// sink is the handler of abanico sink.
type sink struct {
	out    io.Writer
	status int
	json   bool
	hc     *http.Client

	mu         sync.Mutex     // serializes writes to out; guards attempts
	attempts   map[string]int // fail=N: attempts per path and message
	confirming sync.WaitGroup
}

// snsEnvelope is the part of an SNS JSON body the sink reads.
type snsEnvelope struct {
	Type              string
	MessageId         string
	TopicArn          string
	Subject           string
	Message           string
	SubscribeURL      string
	MessageAttributes map[string]struct{ Type, Value string }
}

// sinkRecord is one received message as --json prints it.
type sinkRecord struct {
	Time       string            `json:"time"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Status     int               `json:"status"`
	Type       string            `json:"type,omitempty"`
	MessageID  string            `json:"messageId,omitempty"`
	Subject    string            `json:"subject,omitempty"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// sinkConfirmation is the outcome of following a SubscribeURL, as --json
// prints it.
type sinkConfirmation struct {
	Time            string `json:"time"`
	Path            string `json:"path"`
	Confirmed       bool   `json:"confirmed"`
	SubscriptionArn string `json:"subscriptionArn,omitempty"`
	TopicArn        string `json:"topicArn,omitempty"`
	Error           string `json:"error,omitempty"`
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "abanico sink: POST webhook deliveries here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sinkMaxBody))
	if err != nil {
		http.Error(w, "abanico sink: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now()
	rec := sinkRecord{
		Time:    now.UTC().Format(time.RFC3339Nano),
		Method:  r.Method,
		Path:    r.URL.RequestURI(),
		Type:    r.Header.Get("x-amz-sns-message-type"),
		Headers: interestingHeaders(r.Header),
		Body:    string(body),
		Message: string(body),
	}
	var env snsEnvelope
	isEnvelope := r.Header.Get("x-amz-sns-rawdelivery") != "true" &&
		json.Unmarshal(body, &env) == nil && env.Type != ""
	if isEnvelope {
		rec.Message, rec.Subject, rec.MessageID = env.Message, env.Subject, env.MessageId
		if rec.Type == "" {
			rec.Type = env.Type
		}
		if len(env.MessageAttributes) > 0 {
			rec.Attributes = make(map[string]string, len(env.MessageAttributes))
			for k, a := range env.MessageAttributes {
				rec.Attributes[k] = a.Value
			}
		}
	}
	if rec.MessageID == "" {
		rec.MessageID = r.Header.Get("x-amz-sns-message-id")
	}
	confirm := isEnvelope && env.Type == "SubscriptionConfirmation" && env.SubscribeURL != ""
	rec.Status = http.StatusOK
	if !confirm {
		rec.Status = s.answer(r, rec.MessageID, body)
	}
	w.WriteHeader(rec.Status)
	s.print(rec, now)
	if confirm {
		s.confirming.Add(1)
		go func() {
			defer s.confirming.Done()
			s.confirm(rec.Path, env, r.Header.Get("x-amz-sns-subscription-arn"))
		}()
	}
}

// answer returns the status a notification is answered with: --status,
// unless the URL's query says otherwise: status=CODE answers CODE, and
// fail=N answers 503 to the first N attempts of each message (told apart
// by its message id, else its body) on the path.
func (s *sink) answer(r *http.Request, id string, body []byte) int {
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("fail")); err == nil && n > 0 {
		key := r.URL.Path + " " + id
		if id == "" {
			key = r.URL.Path + " " + string(body)
		}
		s.mu.Lock()
		if len(s.attempts) >= sinkMaxTracked {
			clear(s.attempts)
		}
		s.attempts[key]++
		a := s.attempts[key]
		s.mu.Unlock()
		if a <= n {
			return http.StatusServiceUnavailable
		}
	}
	if n, err := strconv.Atoi(q.Get("status")); err == nil && n >= 200 && n <= 599 {
		return n
	}
	return s.status
}

// confirm follows a SubscriptionConfirmation's SubscribeURL and prints the
// outcome.
func (s *sink) confirm(path string, env snsEnvelope, subArn string) {
	c := sinkConfirmation{Path: path, TopicArn: env.TopicArn, SubscriptionArn: subArn}
	resp, err := s.hc.Get(env.SubscribeURL)
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s: %s", env.SubscribeURL, resp.Status, strings.TrimSpace(string(b)))
		} else if arn := confirmedArn(b); arn != "" {
			c.SubscriptionArn = arn
		}
	}
	c.Confirmed = err == nil
	if err != nil {
		c.Error = err.Error()
	}
	now := time.Now()
	c.Time = now.UTC().Format(time.RFC3339Nano)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.json {
		b, _ := json.Marshal(c)
		fmt.Fprintf(s.out, "%s\n", b)
		return
	}
	stamp := now.Format("15:04:05.000")
	if c.Confirmed {
		fmt.Fprintf(s.out, "%s %s confirmed subscription %s\n", stamp, path, orDash(c.SubscriptionArn))
	} else {
		fmt.Fprintf(s.out, "%s %s confirmation failed: %s\n", stamp, path, c.Error)
	}
}

// confirmedArn reads the SubscriptionArn of a ConfirmSubscription answer
// (XML, as SNS sends it), or "".
func confirmedArn(b []byte) string {
	var r struct {
		Arn string `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
	}
	if xml.Unmarshal(b, &r) != nil {
		return ""
	}
	return r.Arn
}

// print writes one received message.
func (s *sink) print(rec sinkRecord, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.json {
		b, _ := json.Marshal(rec)
		fmt.Fprintf(s.out, "%s\n", b)
		return
	}
	var sb strings.Builder
	sb.WriteString(now.Format("15:04:05.000"))
	sb.WriteString(" " + rec.Path)
	sb.WriteString(" " + orDash(rec.Type))
	if rec.Status != http.StatusOK {
		sb.WriteString(" [answered " + strconv.Itoa(rec.Status) + "]")
	}
	if rec.Subject != "" {
		sb.WriteString(" subject=" + oneLine(rec.Subject))
	}
	if len(rec.Attributes) > 0 {
		sb.WriteString(" attrs=" + oneLine(kvList(rec.Attributes)))
	}
	sb.WriteString(" " + oneLine(rec.Message))
	fmt.Fprintln(s.out, sb.String())
}

// interestingHeaders picks the headers the sink shows: SNS's and Standard
// Webhooks' own, Content-Type and User-Agent; names in lower case.
func interestingHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-sns-") || strings.HasPrefix(lk, "webhook-") ||
			lk == "content-type" || lk == "user-agent" {
			out[lk] = strings.Join(v, ", ")
		}
	}
	return out
}
