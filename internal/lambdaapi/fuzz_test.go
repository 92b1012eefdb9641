package lambdaapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/abanico/abanico/internal/function"
)

// fuzzSeeds are request bodies, valid and not, for every decoder.
var fuzzSeeds = []string{
	`{"FunctionName":"f","Runtime":"provided.al2023","Role":"arn:aws:iam::1:role/r","Handler":"bootstrap","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},` +
		`"Description":"d","Timeout":3,"MemorySize":128,"Environment":{"Variables":{"A":"1"}},"Tags":{"k":"v"},"Architectures":["x86_64"],"Publish":false,"PackageType":"Zip"}`,
	`{"Code":{"ZipFile":"AA=="},"Environment":{},"Tags":{},"Architectures":[],"Layers":[]}`,
	`{"Code":{"ZipFile":"AA"}}`,
	`{"Code":{"ZipFile":"A==="}}`,
	`{"Code":{"S3Bucket":"b","S3Key":"k","S3ObjectVersion":"1"}}`,
	`{"Code":{"ImageUri":"i"},"PackageType":"Image"}`,
	`{"Code":{"ZipFile":null},"Timeout":-1,"MemorySize":99999999999}`,
	`{"Timeout":1e2,"MemorySize":1.0}`,
	`{"Timeout":99999999999999999999}`,
	`{"functionname":"folded","FUNCTIONNAME":"x","Code":{"zipfile":"AA=="}}`,
	`{"FunctionName":"\ud800\u0000\u2028"}`,
	"{\"FunctionName\":\"\xff\"}",
	`{"Environment":{"Variables":{"":"","A":null}}}`,
	`{"Environment":{"Variables":[]}}`,
	`{"Architectures":[null]}`,
	`{"ZipFile":"AA==","RevisionId":"r","DryRun":true,"Publish":true}`,
	`{"Runtime":null,"Handler":"h","Environment":null,"Layers":null}`,
	`{"ReservedConcurrentExecutions":0}`,
	`{"ReservedConcurrentExecutions":-0}`,
	`{"MaximumRetryAttempts":2,"MaximumEventAgeInSeconds":60,"DestinationConfig":{"OnSuccess":{"Destination":""},"OnFailure":null}}`,
	`{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"*","SourceArn":"a","SourceAccount":"1","EventSourceToken":"t","RevisionId":"r"}`,
	`{"a":{"b":{"c":[[[[[[[[]]]]]]]]}}}`,
	`{"Code":{"ZipFile":"AA=="}}{}`,
	`[`, `]`, `null`, `true`, `0`, `""`, ``, ` `, `{}`,
}

// checkDecodeError checks that a decoder's failure is an API error with
// one of the codes a malformed or unsupported request gets.
func checkDecodeError(t *testing.T, what string, err error) {
	t.Helper()
	var fe *function.Error
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %v (%T) is not an API error", what, err, err)
	}
	if fe.Code != codeSerialization && fe.Code != function.CodeInvalidParameterValue {
		t.Fatalf("%s: code %s", what, fe.Code)
	}
	if fe.Message == "" || !utf8.ValidString(fe.Message) {
		t.Fatalf("%s: message %q", what, fe.Message)
	}
}

// FuzzDecodeCreate checks that CreateFunction's decoder never panics,
// fails only with API errors, and that what it accepts survives being
// encoded as a request again.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeCreate(body)
		if err != nil {
			checkDecodeError(t, "CreateFunction", err)
			return
		}
		if len(in.ZipFile) == 0 {
			t.Fatalf("accepted without code: %q", body)
		}
		if in.Architecture != "" && in.Architecture != "x86_64" && in.Architecture != "arm64" {
			t.Fatalf("architecture %q", in.Architecture)
		}
		req := createRequest{
			FunctionName: in.Name, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler,
			Code: &codeIn{ZipFile: in.ZipFile}, Description: in.Description, Timeout: in.Timeout,
			MemorySize: in.MemorySize, Tags: in.Tags,
		}
		if in.Environment != nil {
			req.Environment = &environmentIn{Variables: in.Environment}
		}
		if in.Architecture != "" {
			req.Architectures = []string{in.Architecture}
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeCreate(again)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if !reflect.DeepEqual(back, in) {
			t.Fatalf("round trip of %q:\n%+v\n%+v", body, in, back)
		}
	})
}

// FuzzDecodeRequests checks every other decoder on the same inputs: no
// panics, only API errors, and accepted values within their limits.
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if uc, err := decodeUpdateCode(body); err != nil {
			checkDecodeError(t, "UpdateFunctionCode", err)
		} else if len(uc.ZipFile) == 0 {
			t.Fatalf("UpdateFunctionCode accepted without code: %q", body)
		}
		if _, err := decodeUpdateConfig(body); err != nil {
			checkDecodeError(t, "UpdateFunctionConfiguration", err)
		}
		if n, err := decodeConcurrency(body); err != nil {
			checkDecodeError(t, "PutFunctionConcurrency", err)
		} else if n < 0 {
			t.Fatalf("concurrency %d", n)
		}
		if c, err := decodeEventInvokeConfig(body); err != nil {
			checkDecodeError(t, "PutFunctionEventInvokeConfig", err)
		} else {
			if r := c.MaximumRetryAttempts; r != nil && (*r < 0 || *r > maxRetryAttempts) {
				t.Fatalf("retries %d", *r)
			}
			if a := c.MaximumEventAgeInSeconds; a != nil && (*a < minEventAge || *a > maxEventAge) {
				t.Fatalf("age %d", *a)
			}
		}
		if _, _, err := decodeAddPermission(body); err != nil {
			checkDecodeError(t, "AddPermission", err)
		}
		if err := checkPayload(body); err != nil {
			var fe *function.Error
			if !errors.As(err, &fe) || fe.Code != codeInvalidRequestContent {
				t.Fatalf("payload: %v", err)
			}
		}
	})
}

// FuzzMarker checks that markers round-trip and that a marker decodes only
// from its one canonical form.
func FuzzMarker(f *testing.F) {
	for _, s := range []string{"f", "Zg", "Zg==", "Zg\n", "_w", "", "ünï", "a+b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if utf8.ValidString(s) && s != "" {
			if got, err := decodeMarker(encodeMarker(s)); err != nil || got != s {
				t.Fatalf("%q: round trip %q, %v", s, got, err)
			}
		}
		name, err := decodeMarker(s)
		if err != nil {
			checkDecodeError(t, "marker", err)
			return
		}
		if encodeMarker(name) != s {
			t.Fatalf("marker %q decodes to %q, which encodes to %q", s, name, encodeMarker(name))
		}
	})
}
