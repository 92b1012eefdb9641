// Package delivery holds the rules of Amazon SNS subscription delivery that
// do not depend on the kind of endpoint (HTTP/S webhooks today, functions
// later):
//
//   - the DeliveryPolicy attribute of topics and subscriptions: parsing and
//     validation against SNS's limits (ParseTopicPolicy,
//     ParseSubscriptionPolicy, errors of type *PolicyError), merging into the
//     effective policy of one subscription (Effective) and rendering it as the
//     EffectiveDeliveryPolicy attribute (Policy.SubscriptionJSON);
//   - the retry schedule of a "healthyRetryPolicy" (RetryPolicy.Delay,
//     Schedule and Total), with SNS's four phases: no delay, minimum delay,
//     backoff (linear, arithmetic, geometric or exponential) and maximum
//     delay;
//   - a per-endpoint circuit breaker (Breaker);
//   - observability helpers: a bounded log of recent attempts (Log) and
//     monotonic per-subscription counters (Counters).
//
// # Determinism
//
// Retry schedules carry no jitter: the same policy always yields the same
// delays, rounded to the millisecond, so users and tests can predict exactly
// when a message is attempted again. The breaker reads time only through the
// clock it is given, so it is deterministic under an injected clock too.
package delivery
