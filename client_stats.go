package abanico

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// SubscriptionStats is the delivery state of an http, https or function
// subscription as seen by the server answering: its backlog, the messages
// in flight, delivery counters, circuit-breaker state and recent attempts
// (newest first).
type SubscriptionStats struct {
	// Backlog is how many messages have not been handed out for delivery.
	Backlog uint64 `json:"backlog"`
	// InFlight is how many are being attempted or waiting for a retry.
	InFlight int              `json:"inFlight"`
	Counters DeliveryCounters `json:"counters"`
	// Breaker is the endpoint's circuit breaker; nil for queue
	// subscriptions, which have none.
	Breaker  *BreakerStatus `json:"breaker,omitempty"`
	Attempts []Attempt      `json:"attempts"`
}

// DeliveryCounters are a subscription's delivery totals.
type DeliveryCounters struct {
	Delivered    int64 `json:"delivered"`
	Failed       int64 `json:"failed"`
	Retried      int64 `json:"retried"`
	DeadLettered int64 `json:"deadLettered"`
	Dropped      int64 `json:"dropped"`
}

// BreakerStatus is a subscription's circuit breaker. State is closed, open
// or half-open; OpenedAt is zero when closed and NextProbe zero unless
// open; Cooldown is the length of the current opening (or of the next one
// when closed); Trips counts openings.
type BreakerStatus struct {
	State               string        `json:"state"`
	ConsecutiveFailures int           `json:"consecutiveFailures"`
	OpenedAt            time.Time     `json:"openedAt,omitzero"`
	NextProbe           time.Time     `json:"nextProbe,omitzero"`
	Cooldown            time.Duration `json:"cooldownNs"`
	Trips               int64         `json:"trips"`
}

// Attempt is one delivery attempt. Attempt is 1 for the first try; Status
// is the HTTP status (0 when there was no response); Outcome is delivered,
// retrying, dead-lettered, dropped or refused.
type Attempt struct {
	Time      time.Time     `json:"time"`
	MessageID string        `json:"messageId"`
	Attempt   int           `json:"attempt"`
	Status    int           `json:"status,omitempty"`
	Latency   time.Duration `json:"latencyNs"`
	Error     string        `json:"error,omitempty"`
	Outcome   string        `json:"outcome"`
}

// SubscriptionAttempts returns the delivery state of an endpoint (http,
// https or function) subscription. A queue subscription keeps no attempt
// log: asking for one is an invalid_parameter error with Field "arn"; a
// missing subscription is a not_found error.
func (c *Client) SubscriptionAttempts(ctx context.Context, arn string) (*SubscriptionStats, error) {
	var st SubscriptionStats
	if _, err := c.run(ctx, fmt.Sprintf("attempts of subscription %q", arn), &call{method: http.MethodGet, path: pathOf("/v1/subscriptions/", arn, "/attempts")}, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Status is a server's state at a glance: its version, storage engine,
// resource counts and busiest subscriptions.
type Status struct {
	Version string       `json:"version"`
	Engine  EngineStatus `json:"engine"`
	Counts  Counts       `json:"counts"`
	// Busiest are the (at most 10) subscriptions with the most messages
	// waiting, most first; only those with messages waiting or in flight.
	Busiest []BusySubscription `json:"busiest"`
}

// EngineStatus describes a server's storage: Mode is embedded (NATS
// JetStream in the server's process) or cluster (an external NATS server
// or cluster); Durability is strict or relaxed; StartedAt is when the
// server started (RFC 3339).
type EngineStatus struct {
	Mode       string `json:"mode"`
	Durability string `json:"durability"`
	Replicas   int    `json:"replicas"`
	StartedAt  string `json:"startedAt,omitempty"`
}

// Counts are how many resources a server has.
type Counts struct {
	Topics        int `json:"topics"`
	Subscriptions int `json:"subscriptions"`
	Queues        int `json:"queues"`
	Functions     int `json:"functions"`
}

// BusySubscription is a subscription's backlog. For http, https and
// function subscriptions Backlog is how many messages its cursor has not
// handed out and InFlight how many are being attempted; for queue
// subscriptions they are the target queue's visible and in-flight
// messages.
type BusySubscription struct {
	ARN      string `json:"arn"`
	Topic    string `json:"topic"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	Backlog  uint64 `json:"backlog"`
	InFlight int    `json:"inFlight"`
}

// Status returns the server's status. It reads the backlog of every
// subscription, so it is not meant for tight loops on large servers.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if _, err := c.run(ctx, "status", &call{method: http.MethodGet, path: "/v1/status"}, &st); err != nil {
		return nil, err
	}
	if st.Busiest == nil {
		st.Busiest = []BusySubscription{}
	}
	return &st, nil
}
