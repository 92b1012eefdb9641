package nativeapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/topic"
)

// Info describes the server the handler runs in, for GET /v1/status.
type Info struct {
	Version string
	// Mode is "embedded" (nats-server in-process) or "cluster" (an
	// external NATS server or cluster).
	Mode string
	// Durability is "strict" or "relaxed".
	Durability string
	Replicas   int
	StartedAt  time.Time
}

// Option configures a Handler.
type Option func(*Handler)

// WithInfo sets what GET /v1/status tells of the server.
func WithInfo(info Info) Option { return func(h *Handler) { h.info = info } }

// maxBusiest is how many subscriptions the status lists.
const maxBusiest = 10

// statusConcurrency bounds the backlog lookups a status runs at once.
const statusConcurrency = 8

// status answers GET /v1/status: version, engine, counts and the busiest
// subscriptions. It reads every subscription's backlog, so it costs one
// lookup per endpoint subscription and per subscribed queue.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	subs := h.topics.ListSubscriptions()
	st := abanico.Status{
		Version: h.info.Version,
		Engine:  abanico.EngineStatus{Mode: h.info.Mode, Durability: h.info.Durability, Replicas: h.info.Replicas, StartedAt: apiTime(h.info.StartedAt)},
		Counts: abanico.Counts{
			Topics: len(h.topics.ListTopics()), Subscriptions: len(subs),
			Queues: len(h.queues.List("")), Functions: len(h.functions.List()),
		},
	}
	busy, err := h.backlogs(r.Context(), subs)
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	sort.Slice(busy, func(i, j int) bool {
		a, b := busy[i], busy[j]
		if a.Backlog != b.Backlog {
			return a.Backlog > b.Backlog
		}
		if a.InFlight != b.InFlight {
			return a.InFlight > b.InFlight
		}
		return a.ARN < b.ARN
	})
	if len(busy) > maxBusiest {
		busy = busy[:maxBusiest]
	}
	st.Busiest = busy
	writeJSON(w, http.StatusOK, st)
}

// backlogs reads the backlog of every subscription and returns those with
// messages waiting or in flight. Subscriptions deleted meanwhile are left
// out.
func (h *Handler) backlogs(ctx context.Context, subs []*topic.Subscription) ([]abanico.BusySubscription, error) {
	var (
		mu      sync.Mutex
		out     = []abanico.BusySubscription{}
		firstEr error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, statusConcurrency)
	)
	for _, sub := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			protocol, endpoint := h.nativeEndpoint(sub.Protocol, sub.Endpoint)
			b := abanico.BusySubscription{ARN: h.topics.SubscriptionArn(sub), Topic: sub.TopicName, Protocol: protocol, Endpoint: endpoint}
			st, err := h.topics.DeliveryStats(ctx, b.ARN)
			if isNotFound(err) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstEr == nil {
					firstEr = fmt.Errorf("backlog of subscription %s: %w", b.ARN, err)
				}
				return
			}
			b.Backlog, b.InFlight = st.Backlog, st.InFlight
			if b.Backlog > 0 || b.InFlight > 0 {
				out = append(out, b)
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	return out, nil
}
