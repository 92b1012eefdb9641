package delivery

import (
	"math"
	"strings"
	"time"
)

// Names of the backoff functions of a retry policy, as stored (lower case).
const (
	BackoffLinear      = "linear"
	BackoffArithmetic  = "arithmetic"
	BackoffGeometric   = "geometric"
	BackoffExponential = "exponential"
)

// SNS's limits on a parsed healthyRetryPolicy (HTTP/S). Built-in policies
// such as Managed are not held to them.
const (
	// MaxNumRetries is the largest numRetries a parsed policy may ask for.
	MaxNumRetries = 100
	// MaxDelaySeconds is the largest maxDelayTarget (and minDelayTarget).
	MaxDelaySeconds = 3600
	// MaxTotalRetryTime is the longest a parsed policy may keep retrying:
	// the sum of its whole schedule (Total) must not exceed it.
	MaxTotalRetryTime = MaxDelaySeconds * time.Second
)

// RetryPolicy is SNS's "healthyRetryPolicy" (all delays in whole seconds as
// in the JSON).
//
// The retries n = 1..NumRetries fall into four phases, in this order:
//
//  1. the first NumNoDelayRetries retries are made at once (delay 0);
//  2. the next NumMinDelayRetries wait MinDelayTarget each;
//  3. the B = NumRetries − NumNoDelayRetries − NumMinDelayRetries −
//     NumMaxDelayRetries backoff retries, i = 1..B, wait a delay that grows
//     from MinDelayTarget towards MaxDelayTarget and reaches it at i = B
//     (with B = 1 the single backoff delay is MaxDelayTarget):
//     linear:      min + (max−min)·i/B;
//     arithmetic:  min + (max−min)·i(i+1)/(B(B+1)) (steps grow arithmetically);
//     geometric:   min·(max/min)^(i/B) (constant ratio);
//     exponential: min + (max−min)·(2^i − 1)/(2^B − 1) (steps double);
//  4. the last NumMaxDelayRetries wait MaxDelayTarget each.
//
// Backoff delays are rounded to the nearest millisecond. The schedule is
// deterministic: there is no jitter.
//
// The methods are total functions of any RetryPolicy value, including ones
// that were not validated: negative counts and delays count as 0, phase
// counts that add up to more than NumRetries are cut in phase order, an
// unknown BackoffFunction counts as linear, and geometric backoff from a
// MinDelayTarget of 0 (where a constant ratio is undefined) counts as linear.
type RetryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"` // linear | arithmetic | geometric | exponential (stored lower case)
}

// DefaultHTTP is SNS's default retry policy for HTTP/S endpoints: 3 retries
// 20 seconds apart (4 attempts in total), linear backoff.
func DefaultHTTP() RetryPolicy {
	return RetryPolicy{
		MinDelayTarget:  20,
		MaxDelayTarget:  20,
		NumRetries:      3,
		BackoffFunction: BackoffLinear,
	}
}

// Managed is SNS's retry policy for AWS-managed endpoints (SQS, Lambda):
// 3 retries with no delay, 2 one second apart, 10 with exponential backoff
// from 1 s to 20 s and 100 000 at 20 s, 100 015 retries in all. It is built
// in, so it is exempt from the limits a parsed policy must respect.
func Managed() RetryPolicy {
	return RetryPolicy{
		MinDelayTarget:     1,
		MaxDelayTarget:     20,
		NumRetries:         100015,
		NumNoDelayRetries:  3,
		NumMinDelayRetries: 2,
		NumMaxDelayRetries: 100000,
		BackoffFunction:    BackoffExponential,
	}
}

// Delay is the wait before retry n (n = 1 is the first retry, made after
// the first attempt failed). ok is false when n > NumRetries (retries
// exhausted) and when n < 1 (not a retry); d is then 0. For 1 ≤ n ≤
// NumRetries, d is never negative and never exceeds the larger of
// MinDelayTarget and MaxDelayTarget.
func (p RetryPolicy) Delay(n int) (d time.Duration, ok bool) {
	pl := p.plan()
	if n < 1 || n > pl.total() {
		return 0, false
	}
	return pl.delay(n), true
}

// Schedule returns Delay(1..NumRetries): one entry per retry, in order. It
// is empty (not nil) when the policy makes no retries. It allocates one
// entry per retry, so it suits policies with a bounded number of retries
// (any parsed policy, and Managed).
func (p RetryPolicy) Schedule() []time.Duration {
	pl := p.plan()
	out := make([]time.Duration, pl.total())
	for i := range out {
		out[i] = pl.delay(i + 1)
	}
	return out
}

// Total is the sum of the schedule: how long, at the least, the policy
// keeps retrying a message after its first attempt failed. It equals the
// sum of Schedule() (saturating at the largest time.Duration instead of
// overflowing) without allocating it.
func (p RetryPolicy) Total() time.Duration {
	pl := p.plan()
	t := satAdd(satMul(pl.lo, pl.minDelay), satMul(pl.hi, pl.maxDelay))
	for i := 1; i <= pl.backoff; i++ {
		t = satAdd(t, pl.backoffDelay(i))
	}
	return t
}

// backoff identifies a backoff function.
type backoff int

const (
	linear backoff = iota
	arithmetic
	geometric
	exponential
)

// parseBackoff resolves a backoff function name, case-insensitively.
func parseBackoff(name string) (backoff, bool) {
	switch strings.ToLower(name) {
	case BackoffLinear:
		return linear, true
	case BackoffArithmetic:
		return arithmetic, true
	case BackoffGeometric:
		return geometric, true
	case BackoffExponential:
		return exponential, true
	}
	return linear, false
}

// maxSeconds is the largest whole number of seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// plan is a RetryPolicy normalised for computing: non-negative phase counts
// that add up to the number of retries, and non-negative delays that fit in
// a time.Duration.
type plan struct {
	noDelay, minDelay, backoff, maxDelay int
	lo, hi                               time.Duration // MinDelayTarget, MaxDelayTarget
	loSec, hiSec                         float64
	fn                                   backoff
}

func (p RetryPolicy) plan() plan {
	n := max(p.NumRetries, 0)
	var pl plan
	pl.noDelay = min(max(p.NumNoDelayRetries, 0), n)
	n -= pl.noDelay
	pl.minDelay = min(max(p.NumMinDelayRetries, 0), n)
	n -= pl.minDelay
	pl.maxDelay = min(max(p.NumMaxDelayRetries, 0), n)
	pl.backoff = n - pl.maxDelay
	lo := min(max(int64(p.MinDelayTarget), 0), maxSeconds)
	hi := min(max(int64(p.MaxDelayTarget), 0), maxSeconds)
	pl.lo, pl.hi = time.Duration(lo)*time.Second, time.Duration(hi)*time.Second
	pl.loSec, pl.hiSec = float64(lo), float64(hi)
	pl.fn, _ = parseBackoff(p.BackoffFunction)
	if pl.fn == geometric && lo == 0 {
		pl.fn = linear
	}
	return pl
}

func (pl plan) total() int { return pl.noDelay + pl.minDelay + pl.backoff + pl.maxDelay }

// delay is the wait before retry n, 1 ≤ n ≤ pl.total().
func (pl plan) delay(n int) time.Duration {
	switch {
	case n <= pl.noDelay:
		return 0
	case n <= pl.noDelay+pl.minDelay:
		return pl.lo
	case n <= pl.noDelay+pl.minDelay+pl.backoff:
		return pl.backoffDelay(n - pl.noDelay - pl.minDelay)
	default:
		return pl.hi
	}
}

// backoffDelay is the delay of backoff retry i, 1 ≤ i ≤ pl.backoff, rounded
// to the millisecond and kept between the two delay targets.
func (pl plan) backoffDelay(i int) time.Duration {
	b := pl.backoff
	if i >= b {
		return pl.hi
	}
	lo, hi := pl.loSec, pl.hiSec
	fi, fb := float64(i), float64(b)
	var sec float64
	switch pl.fn {
	case arithmetic:
		sec = lo + (hi-lo)*(fi*(fi+1))/(fb*(fb+1))
	case geometric:
		sec = lo * math.Pow(hi/lo, fi/fb)
	case exponential:
		// (2^i − 1)/(2^b − 1) rewritten as 2^(i−b)·(1 − 2^−i)/(1 − 2^−b):
		// every power has a non-positive exponent, so nothing overflows
		// however large b is (terms below the float range become 0).
		frac := math.Exp2(fi-fb) * (1 - math.Exp2(-fi)) / (1 - math.Exp2(-fb))
		sec = lo + (hi-lo)*frac
	default:
		sec = lo + (hi-lo)*fi/fb
	}
	sec = min(max(sec, min(lo, hi)), max(lo, hi))
	ms := math.Round(sec * 1000)
	return time.Duration(ms) * time.Millisecond
}

// satAdd adds two non-negative durations, saturating at the largest
// time.Duration.
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul multiplies a non-negative duration by a non-negative count,
// saturating at the largest time.Duration.
func satMul(d time.Duration, n int) time.Duration {
	if d == 0 || n == 0 {
		return 0
	}
	if int64(n) > math.MaxInt64/int64(d) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}
