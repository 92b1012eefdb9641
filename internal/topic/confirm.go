package topic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/abanico/abanico/internal/engine"
	"github.com/abanico/abanico/internal/snssign"
	"github.com/abanico/abanico/internal/uuid"
)

// Headers of a control message: a message stored on a topic's subject for
// one subscription only (its SubscriptionConfirmation), delivered by that
// subscription's own cursor with its retry policy, and skipped by every
// other reader of the topic.
const (
	hdrControl = "Abanico-Control"
	hdrSubID   = "Abanico-Sub"
	hdrToken   = "Abanico-Token"
)

// DefaultTokenTTL is how long a confirmation token is valid, and how long
// a subscription may stay unconfirmed before it is deleted (SNS: 2 days).
const DefaultTokenTTL = 48 * time.Hour

type authKey struct{}

// WithAuthenticated records whether the request carried AWS credentials (a
// SigV4 signature). Confirming through an unauthenticated link (a GET on
// SubscribeURL) leaves ConfirmationWasAuthenticated false, and a
// subscription confirmed with AuthenticateOnUnsubscribe can only be deleted
// by an authenticated request.
func WithAuthenticated(ctx context.Context, authenticated bool) context.Context {
	return context.WithValue(ctx, authKey{}, authenticated)
}

// authenticated reports what WithAuthenticated recorded; in-process calls
// without it count as authenticated.
func authenticated(ctx context.Context) bool {
	v, ok := ctx.Value(authKey{}).(bool)
	return !ok || v
}

// needsConfirmation reports whether a protocol's subscriptions start
// pending, as on SNS (http and https; sqs in the same account does not).
func needsConfirmation(protocol string) bool {
	return protocol == "http" || protocol == "https"
}

// newToken returns a confirmation token: 128 hex characters, as long and
// as unguessable as SNS's.
func newToken() string {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// subscribeURL is the link that confirms a subscription with its token.
func (s *Service) subscribeURL(topicArn, token string) string {
	return s.opts.PublicURL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicArn) + "&Token=" + token
}

// requestConfirmation stores a SubscriptionConfirmation for sub on its
// topic's stream (durably, like a publish); the subscription's endpoint
// worker delivers it with the subscription's retry policy.
func (s *Service) requestConfirmation(ctx context.Context, t *Topic, sub *Subscription) error {
	h := nats.Header{}
	h.Set(hdrID, uuid.New())
	h.Set(hdrTime, strconv.FormatInt(s.now().UnixMilli(), 10))
	h.Set(hdrControl, snssign.TypeSubscriptionConfirmation)
	h.Set(hdrSubID, sub.ID)
	h.Set(hdrToken, sub.Token)
	msg := "You have chosen to subscribe to the topic " + s.TopicArn(t.Name) +
		".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	_, err := s.writers[t.Shard].Write(ctx, []engine.Record{{Subject: topicSubject(t), Header: h, Data: []byte(msg)}})
	return err
}

// confirmationBody renders a SubscriptionConfirmation or
// UnsubscribeConfirmation exactly in SNS's layout, signed.
func (s *Service) confirmationBody(t *Topic, typ, id, token, message string, ts int64) string {
	version := signatureVersion(t)
	topicArn := s.TopicArn(t.Name)
	subURL := s.subscribeURL(topicArn, token)
	stamp := timestamp(ts)
	sig, err := s.signer.Sign(snssign.Message{Type: typ, MessageId: id, Token: token, TopicArn: topicArn,
		Message: message, SubscribeURL: subURL, Timestamp: stamp}, version)
	if err != nil {
		s.log.Error("sign confirmation", "err", err)
	}
	var e envelopeWriter
	e.open()
	e.field("Type", typ)
	e.field("MessageId", id)
	e.field("Token", token)
	e.field("TopicArn", topicArn)
	e.field("Message", message)
	e.field("SubscribeURL", subURL)
	e.field("Timestamp", stamp)
	e.field("SignatureVersion", version)
	e.field("Signature", sig)
	e.field("SigningCertURL", s.opts.PublicURL+s.CertPath())
	return e.close()
}

// snsHeaders are the headers SNS sends with every HTTP/S POST.
func snsHeaders(typ, messageID, topicArn, subArn, contentType string, raw bool) http.Header {
	h := http.Header{}
	h.Set("x-amz-sns-message-type", typ)
	h.Set("x-amz-sns-message-id", messageID)
	h.Set("x-amz-sns-topic-arn", topicArn)
	if subArn != "" {
		h.Set("x-amz-sns-subscription-arn", subArn)
	}
	if raw {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	h.Set("Content-Type", contentType)
	return h
}
