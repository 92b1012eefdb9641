// Package webhook implements the HTTP/S delivery kind of SNS-style
// subscriptions: it POSTs one request to a subscriber's endpoint and reports
// what happened. Retries, delivery policies and scheduling are the caller's
// business; a Client performs exactly one attempt per Post.
//
// # Endpoint protection
//
// Unless Options.AllowPrivate is set, a Client never opens a connection to a
// loopback, private, link-local (which includes cloud metadata services such
// as 169.254.169.254 and fd00:ec2::254), unspecified, multicast, CGNAT,
// documentation, benchmarking or otherwise non-public address (see RefusedIP).
// The check runs inside the dialer on the address actually being connected
// to, after DNS resolution, so neither DNS rebinding nor redirects can route a
// request around it. Clients never use a proxy (HTTP_PROXY and friends are
// ignored), because a proxy would connect on the client's behalf to an address
// the dialer never sees. CheckURL offers the same protection at subscribe time
// for IP literals and "localhost" so obviously bad endpoints are rejected
// early; names are only checked when connecting, since DNS answers change.
//
// # Standard Webhooks
//
// Sign, SetHeaders and Verify implement the symmetric ("v1") signature scheme
// of the Standard Webhooks specification (https://www.standardwebhooks.com):
// the webhook-signature header carries space-separated "v1,<base64>" entries,
// each an HMAC-SHA256 over id + "." + timestamp + "." + body, keyed with the
// bytes of a "whsec_" secret (see NewSecret and ParseSecret).
package webhook
