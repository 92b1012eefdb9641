package nativeapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/abanico/abanico"
)

// FuzzDecodeSendRequest feeds arbitrary bodies through the request decoding
// of a queue send: decoding never panics, every failure is a request error
// with a 400 or 413 status, and decoded attributes survive a round trip
// through the received-message encoding.
func FuzzDecodeSendRequest(f *testing.F) {
	for _, s := range []string{
		`{"body":"hi"}`,
		`{"body":"x","attributes":{"a":{"type":"String","value":"v"},"b":{"type":"Binary","value":"AAEC"}}}`,
		`{"body":"x","attributes":{"b":{"type":"Binary.raw","value":"not base64"}}}`,
		`{"body":"x","attributes":{"n":{"type":"Number","value":"1e3"}},"delaySeconds":5}`,
		`{"body":5}`, `{"bogus":1}`, `{"body":"x"} {}`, `[`, ``, `null`,
		`{"body":"x","attributes":{"b":{"type":"Binary","value":"AB=="}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v1/queues/q/messages", bytes.NewReader(body))
		var req abanico.QueueMessage
		err := decodeBody(w, r, &req, false)
		if err == nil {
			var in any
			in, err = sendInput("", &req)
			if err == nil {
				checkRoundTrip(t, req.Attributes, in)
				return
			}
		}
		var re *requestError
		if !errors.As(err, &re) {
			t.Fatalf("error %T %v is not a request error", err, err)
		}
		if re.status != http.StatusBadRequest && re.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for %v", re.status, err)
		}
		if re.body.Code == "" || re.body.Message == "" {
			t.Fatalf("incomplete error %+v", re.body)
		}
	})
}

func checkRoundTrip(t *testing.T, given map[string]abanico.MessageAttribute, in any) {
	decoded, err := decodeAttributes("attributes", given)
	if err != nil {
		t.Fatalf("decoded once, failed twice: %v", err)
	}
	back := nativeAttributes(queueAttributes(decoded))
	if len(back) != len(given) {
		t.Fatalf("%d attributes back from %d", len(back), len(given))
	}
	again, err := decodeAttributes("attributes", back)
	if err != nil {
		t.Fatalf("re-encoded attributes do not decode: %v", err)
	}
	for k, v := range decoded {
		a := again[k]
		if a.dataType != v.dataType || a.str != v.str || !bytes.Equal(a.bin, v.bin) {
			t.Fatalf("attribute %q: %+v became %+v", k, v, a)
		}
	}
	_ = in
}
