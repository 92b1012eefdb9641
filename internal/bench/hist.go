package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram is a lock-free, fixed-size log-linear latency histogram with
// microsecond resolution. Values below 64µs are recorded exactly; above that
// every power-of-two range is split into 32 equal sub-buckets, so a reported
// percentile is within ~1.6% of the true value (half a bucket width). Memory is
// constant (histBuckets counters) however many samples are recorded; values
// larger than ~19 hours are clamped into the last bucket.
//
// Record may be called concurrently with itself and with the read methods;
// the reads are then a consistent-enough snapshot for progress reporting.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	min    atomic.Uint64 // µs; valid only when total > 0
	max    atomic.Uint64 // µs
}

const (
	histSubBits  = 5
	histSubCount = 1 << histSubBits // sub-buckets per power of two
	histMaxBits  = 36               // values are clamped below 2^36 µs
	histMaxValue = 1<<histMaxBits - 1
	// Largest shift is histMaxBits-histSubBits-1, giving indexes up to
	// (shift+1)*histSubCount + histSubCount - 1.
	histBuckets = (histMaxBits - histSubBits + 1) * histSubCount
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{}
	h.min.Store(math.MaxUint64)
	return h
}

// histIndex maps a value in µs to its bucket.
func histIndex(v uint64) int {
	if v < 2*histSubCount {
		return int(v)
	}
	shift := bits.Len64(v) - (histSubBits + 1)
	return shift*histSubCount + int(v>>uint(shift))
}

// histBounds returns the inclusive value range [lo, hi] (µs) of bucket i.
func histBounds(i int) (lo, hi uint64) {
	if i < 2*histSubCount {
		return uint64(i), uint64(i)
	}
	shift := uint(i/histSubCount - 1)
	top := uint64(i%histSubCount + histSubCount)
	lo = top << shift
	return lo, lo + 1<<shift - 1
}

// Record adds one latency sample. Negative durations (possible when the
// sending and receiving clocks disagree) are recorded as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	if us > histMaxValue {
		us = histMaxValue
	}
	h.counts[histIndex(us)].Add(1)
	for {
		cur := h.max.Load()
		if us <= cur || h.max.CompareAndSwap(cur, us) {
			break
		}
	}
	for {
		cur := h.min.Load()
		if us >= cur || h.min.CompareAndSwap(cur, us) {
			break
		}
	}
	// total last, so a reader that sees total > 0 also sees min/max set.
	h.total.Add(1)
}

// Count returns the number of recorded samples.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max returns the largest recorded sample (exact, at µs resolution), or 0.
func (h *Histogram) Max() time.Duration {
	if h.total.Load() == 0 {
		return 0
	}
	return time.Duration(h.max.Load()) * time.Microsecond
}

// Quantile returns the q-quantile (0 < q <= 1; e.g. 0.99 for p99) of the
// recorded samples: the midpoint of the bucket holding the sample of rank
// ceil(q*count), clamped to the observed min and max. It returns 0 when the
// histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	if q < 0 {
		q = 0
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	idx := histBuckets - 1
	for i := range h.counts {
		cum += h.counts[i].Load()
		if cum >= rank {
			idx = i
			break
		}
	}
	lo, hi := histBounds(idx)
	v := lo + (hi-lo)/2
	if mn := h.min.Load(); v < mn {
		v = mn
	}
	if mx := h.max.Load(); v > mx {
		v = mx
	}
	return time.Duration(v) * time.Microsecond
}
