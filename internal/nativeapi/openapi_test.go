package nativeapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/abanico/abanico"
	"github.com/abanico/abanico/internal/nativeapi"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
}

var placeholderRE = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIMatchesRoutes fails when the document and the route table
// disagree, or when the mux does not serve a route of the table.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	b, err := nativeapi.OpenAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("document is not valid JSON: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}

	h := nativeapi.New(nil, nil, nil, slog.New(slog.DiscardHandler))
	served := map[string]bool{}
	for _, p := range nativeapi.RoutePatterns() {
		if served[p] {
			t.Errorf("route %s listed twice", p)
		}
		served[p] = true
		method, path, _ := strings.Cut(p, " ")
		r := httptest.NewRequest(method, placeholderRE.ReplaceAllString(path, "x"), nil)
		if got := h.MuxPattern(r); got != p {
			t.Errorf("mux serves %s %s with %q, want %q", method, r.URL.Path, got, p)
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is missing from the OpenAPI document", p)
		}
	}

	ids := map[string]bool{}
	var documented []string
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			p := strings.ToUpper(method) + " " + path
			documented = append(documented, p)
			if !served[p] {
				t.Errorf("document has %s, which the handler does not serve", p)
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", p)
			}
			if ids[op.OperationID] {
				t.Errorf("operationId %s used twice", op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s has no responses", p)
			}
			want := map[string]bool{}
			for _, m := range placeholderRE.FindAllString(path, -1) {
				want[strings.Trim(m, "{}")] = true
			}
			for _, prm := range op.Parameters {
				if prm.In == "path" {
					if !want[prm.Name] {
						t.Errorf("%s documents path parameter %s that is not in the path", p, prm.Name)
					}
					delete(want, prm.Name)
				}
			}
			for n := range want {
				t.Errorf("%s does not document path parameter %s", p, n)
			}
		}
	}
	sort.Strings(documented)
	if len(documented) != len(served) {
		t.Errorf("document has %d operations, handler serves %d", len(documented), len(served))
	}
}

// TestOpenAPIServed checks the document is served as JSON.
func TestOpenAPIServed(t *testing.T) {
	ts := httptest.NewServer(nativeapi.New(nil, nil, nil, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	res, err := http.Get(ts.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !json.Valid(b) {
		t.Fatalf("GET openapi.json: %d %s %.100s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	res2, err := http.Get(ts.URL + "/v1/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	var e struct{ Error abanico.Error }
	if err := json.NewDecoder(res2.Body).Decode(&e); err != nil || res2.StatusCode != 404 || e.Error.Code != "not_found" {
		t.Fatalf("unknown path: %d %+v %v", res2.StatusCode, e, err)
	}
	req, _ := http.NewRequest("PUT", ts.URL+"/v1/topics", nil)
	res3, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res3.Body.Close()
	if err := json.NewDecoder(res3.Body).Decode(&e); err != nil || res3.StatusCode != 405 || res3.Header.Get("Allow") == "" {
		t.Fatalf("wrong method: %d %+v %v", res3.StatusCode, e, err)
	}
}
