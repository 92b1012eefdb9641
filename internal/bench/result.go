package bench

import (
	"fmt"
	"io"
	"time"
)

// Result holds the measurements of one run.
//
// Time windows: the load starts when the workers start. The send phase ends
// when the last sender returns (Duration plus at most one in-flight call).
// Receivers then drain for up to DrainTimeout so that Received ≈ Sent.
//
//   - SendRate = Sent / SendElapsed.
//   - ReceiveRate = Deleted / ReceiveElapsed, where ReceiveElapsed runs from
//     the start to the last successful delete, but is never shorter than the
//     send phase. Receivers that keep up therefore report the same rate as
//     the senders, a backlog drained after the send phase lowers the rate
//     only by the extra time it took, and idle empty long-polls at the end
//     of the drain do not count.
//   - Elapsed is the whole load, from the start until the last receiver
//     stopped (send phase plus drain).
type Result struct {
	// Sent counts messages the endpoint acknowledged (successful batch
	// entries, or successful SendMessage calls).
	Sent int64
	// Received counts messages returned by ReceiveMessage, including
	// redeliveries and Stale ones.
	Received int64
	// Deleted counts messages successfully deleted after being received.
	Deleted int64
	// Errors counts failed calls plus failed batch entries; a failed batch
	// call counts once per entry.
	Errors int64
	// Stale counts received messages that were not sent by this run (for
	// example left over in a kept queue); they are deleted but excluded
	// from the latency figures.
	Stale int64

	Elapsed        time.Duration
	SendElapsed    time.Duration
	ReceiveElapsed time.Duration

	// SendRate and ReceiveRate are messages per second (see above);
	// ReceiveRate counts received-and-deleted messages.
	SendRate, ReceiveRate float64

	// End-to-end latency from the send time embedded in the body to the
	// return of the ReceiveMessage call that delivered the message, over
	// every received message of this run (percentiles ±1.6%, max exact to
	// the microsecond).
	LatencyP50, LatencyP99, LatencyMax time.Duration

	// FirstError is the first error observed, for diagnosis; empty if
	// Errors is 0.
	FirstError string
}

// Print writes a human-readable summary of r to w.
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "SQS benchmark summary\n")
	fmt.Fprintf(w, "  send throughput     %10.1f msg/s   (%d sent in %s)\n",
		r.SendRate, r.Sent, fmtDur(r.SendElapsed))
	fmt.Fprintf(w, "  receive throughput  %10.1f msg/s   (%d received+deleted in %s)\n",
		r.ReceiveRate, r.Deleted, fmtDur(r.ReceiveElapsed))
	fmt.Fprintf(w, "  totals              sent %d, received %d, deleted %d\n",
		r.Sent, r.Received, r.Deleted)
	if r.Stale > 0 {
		fmt.Fprintf(w, "  stale               %d received messages were not from this run\n", r.Stale)
	}
	fmt.Fprintf(w, "  latency (e2e)       p50 %s   p99 %s   max %s\n",
		fmtDur(r.LatencyP50), fmtDur(r.LatencyP99), fmtDur(r.LatencyMax))
	fmt.Fprintf(w, "  errors              %d\n", r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error         %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "  elapsed             %s (send phase + drain)\n", fmtDur(r.Elapsed))
}

// fmtDur formats a duration with about three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
