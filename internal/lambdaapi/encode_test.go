package lambdaapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/abanico/abanico/internal/function"
)

const testArn = "arn:aws:lambda:us-east-1:123456789012:function:"

func testConfig() *function.Config {
	return &function.Config{
		Name:         "my-fn",
		Runtime:      "provided.al2023",
		Handler:      "bootstrap",
		Role:         "arn:aws:iam::123456789012:role/r",
		Description:  "does <things> & stuff",
		Timeout:      30,
		MemorySize:   256,
		Environment:  map[string]string{"B": "2", "A": "1"},
		Tags:         map[string]string{"team": "x"},
		Architecture: "arm64",
		CodeSha256:   "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		CodeSize:     1234,
		RevisionID:   "b0e3ad2c-ccee-4bd1-9a1b-1e1f1ed5f9d4",
		LastModified: "2026-11-27T03:04:05.678+0000",
	}
}

// encode is the JSON writeJSON sends for v.
func encode(t *testing.T, v any) string {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := writeJSON(rec, 200, v); err != nil {
		t.Fatal(err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return rec.Body.String()
}

func TestConfigurationJSON(t *testing.T) {
	got := encode(t, configuration(testConfig(), testArn+"my-fn"))
	want := `{"FunctionName":"my-fn","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:my-fn",` +
		`"Runtime":"provided.al2023","Role":"arn:aws:iam::123456789012:role/r","Handler":"bootstrap","CodeSize":1234,` +
		`"Description":"does <things> & stuff","Timeout":30,"MemorySize":256,"LastModified":"2026-11-27T03:04:05.678+0000",` +
		`"CodeSha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","Version":"$LATEST",` +
		`"Environment":{"Variables":{"A":"1","B":"2"}},"TracingConfig":{"Mode":"PassThrough"},` +
		`"RevisionId":"b0e3ad2c-ccee-4bd1-9a1b-1e1f1ed5f9d4","State":"Active","LastUpdateStatus":"Successful",` +
		`"PackageType":"Zip","Architectures":["arm64"],"EphemeralStorage":{"Size":512},` +
		`"SnapStart":{"ApplyOn":"None","OptimizationStatus":"Off"},"LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/my-fn"}}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestConfigurationDefaults(t *testing.T) {
	var m map[string]any
	cfg := &function.Config{Name: "f", Role: "r", Environment: map[string]string{}}
	if err := json.Unmarshal([]byte(encode(t, configuration(cfg, testArn+"f"))), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["Environment"]; ok {
		t.Error("Environment written without variables")
	}
	if a, _ := m["Architectures"].([]any); len(a) != 1 || a[0] != "x86_64" {
		t.Errorf("Architectures %v", m["Architectures"])
	}
	// Description is always present, as AWS writes it.
	if d, ok := m["Description"]; !ok || d != "" {
		t.Errorf("Description %v", d)
	}
	if _, ok := m["RuntimeVersionConfig"]; ok {
		t.Error("RuntimeVersionConfig written")
	}
}

func TestGetFunctionJSON(t *testing.T) {
	cfg := testConfig()
	var got struct {
		Configuration map[string]any
		Code          map[string]string
		Tags          map[string]string
		Concurrency   *struct{ ReservedConcurrentExecutions *int }
	}
	if err := json.Unmarshal([]byte(encode(t, getFunction(cfg, testArn+"my-fn", "http://abanico:4566"))), &got); err != nil {
		t.Fatal(err)
	}
	if got.Code["RepositoryType"] != "S3" || got.Code["Location"] != "http://abanico:4566/2015-03-31/functions/my-fn/code" {
		t.Errorf("Code %v", got.Code)
	}
	if got.Configuration["FunctionName"] != "my-fn" || got.Tags["team"] != "x" || got.Concurrency != nil {
		t.Errorf("got %+v", got)
	}

	cfg.Tags = nil
	cfg.ReservedConcurrency = new(0)
	out := encode(t, getFunction(cfg, testArn+"my-fn", "http://h"))
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["Tags"]; ok {
		t.Error("Tags written for a function without tags")
	}
	if string(m["Concurrency"]) != `{"ReservedConcurrentExecutions":0}` {
		t.Errorf("Concurrency %s", m["Concurrency"])
	}
}

func TestCodePath(t *testing.T) {
	for name, want := range map[string]string{
		"f":     "/2015-03-31/functions/f/code",
		"a b/c": "/2015-03-31/functions/a%20b%2Fc/code",
	} {
		if got := codePath(name); got != want {
			t.Errorf("%q: %q", name, got)
		}
	}
}

func TestConcurrencyJSON(t *testing.T) {
	if got := encode(t, concurrency{}); got != `{}` {
		t.Errorf("unreserved: %s", got)
	}
	if got := encode(t, concurrency{ReservedConcurrentExecutions: new(0)}); got != `{"ReservedConcurrentExecutions":0}` {
		t.Errorf("reserved 0: %s", got)
	}
}

func TestEventInvokeConfigJSON(t *testing.T) {
	cfg := testConfig()
	cfg.MaximumRetryAttempts = new(0)
	got := encode(t, eventInvokeConfigOf(cfg, testArn+"my-fn"))
	want := `{"FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST","MaximumRetryAttempts":0,"LastModified":1795748645.678}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	cfg.MaximumEventAgeInSeconds = new(60)
	cfg.LastModified = "2026-11-27T03:04:05.000+0100"
	got = encode(t, eventInvokeConfigOf(cfg, testArn+"my-fn"))
	want = `{"FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST","MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60,"LastModified":1795745045}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestListFunctionsJSON(t *testing.T) {
	if got := encode(t, listFunctionsOutput{Functions: []functionConfiguration{}}); got != `{"Functions":[]}` {
		t.Errorf("empty: %s", got)
	}
	got := encode(t, listFunctionsOutput{Functions: []functionConfiguration{}, NextMarker: "Zg"})
	if got != `{"Functions":[],"NextMarker":"Zg"}` {
		t.Errorf("marker: %s", got)
	}
}

func TestPolicyJSON(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Allow"}]}`
	got := encode(t, getPolicyOutput{Policy: doc, RevisionID: "r"})
	var back getPolicyOutput
	if err := json.Unmarshal([]byte(got), &back); err != nil || back.Policy != doc || back.RevisionID != "r" {
		t.Errorf("%s: %+v, %v", got, back, err)
	}
	if got := encode(t, addPermissionOutput{Statement: `{"Sid":"s"}`}); got != `{"Statement":"{\"Sid\":\"s\"}"}` {
		t.Errorf("statement: %s", got)
	}
}
