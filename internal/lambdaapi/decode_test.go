package lambdaapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/function"
)

// wantError checks that err is a *function.Error with code whose message
// contains msg.
func wantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var fe *function.Error
	if !errors.As(err, &fe) {
		t.Errorf("%s: error %v (%T), want %s", what, err, err, code)
		return
	}
	if fe.Code != code || !strings.Contains(fe.Message, msg) {
		t.Errorf("%s: got %s %q, want %s containing %q", what, fe.Code, fe.Message, code, msg)
	}
}

var zipB64 = base64.StdEncoding.EncodeToString([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))

func TestDecodeCreate(t *testing.T) {
	body := `{"FunctionName":"f","Runtime":"provided.al2023","Role":"arn:aws:iam::123456789012:role/r",
		"Handler":"bootstrap","Code":{"ZipFile":"` + zipB64 + `"},"Description":"d","Timeout":30,"MemorySize":256,
		"Environment":{"Variables":{"A":"1","B":""}},"Tags":{"team":"x"},"Architectures":["arm64"],
		"Publish":true,"PackageType":"Zip","Layers":[],"TracingConfig":{"Mode":"Active"},
		"VpcConfig":{"SubnetIds":[],"SecurityGroupIds":[]},"EphemeralStorage":{"Size":512}}`
	in, err := decodeCreate([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	zip, _ := base64.StdEncoding.DecodeString(zipB64)
	want := function.CreateInput{
		Name: "f", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::123456789012:role/r",
		Description: "d", Timeout: new(30), MemorySize: new(256),
		Environment: map[string]string{"A": "1", "B": ""}, Tags: map[string]string{"team": "x"},
		Architecture: "arm64", ZipFile: zip,
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got  %+v\nwant %+v", in, want)
	}

	in, err = decodeCreate([]byte(`{"FunctionName":"g","Code":{"ZipFile":"` + zipB64 + `"},"Environment":null,"Timeout":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.Architecture != "" || in.Timeout != nil || in.MemorySize != nil || in.Environment != nil || in.Tags != nil {
		t.Errorf("defaults: %+v", in)
	}
}

func TestDecodeCreateErrors(t *testing.T) {
	const ser, inv = codeSerialization, function.CodeInvalidParameterValue
	code := `"Code":{"ZipFile":"` + zipB64 + `"}`
	cases := []struct {
		body, code, msg string
	}{
		{`{`, ser, "Could not parse request body into json"},
		{`{"FunctionName":"f"} x`, ser, "Could not parse request body into json"},
		{`[]`, ser, "expected a JSON object, got array"},
		{`"f"`, ser, "expected a JSON object, got string"},
		{`{"FunctionName":5,` + code + `}`, ser, "FunctionName: expected a string, got number"},
		{`{"Timeout":"3",` + code + `}`, ser, "Timeout: expected an integer, got string"},
		{`{"Timeout":3.5,` + code + `}`, ser, "Timeout: expected an integer, got number 3.5"},
		{`{"MemorySize":1e99,` + code + `}`, ser, "MemorySize: expected an integer"},
		{`{"Publish":"yes",` + code + `}`, ser, "Publish: expected a boolean, got string"},
		{`{"Code":"zip"}`, ser, "Code: expected an object, got string"},
		{`{"Code":{"ZipFile":5}}`, ser, "Code.ZipFile: expected a base64 string, got number"},
		{`{"Code":{"ZipFile":"not base64!"}}`, ser, "Code.ZipFile is not valid base64"},
		{`{"Environment":{"Variables":{"A":1}},` + code + `}`, ser, "Environment.Variables"},
		{`{"Environment":[],` + code + `}`, ser, "Environment: expected an object, got array"},
		{`{"Tags":["a"],` + code + `}`, ser, "Tags: expected an object, got array"},
		{`{"Architectures":"arm64",` + code + `}`, ser, "Architectures: expected an array, got string"},
		{"{\"FunctionName\":\"\xff\"," + code + "}", ser, "not valid UTF-8"},
		{`{"FunctionName":"f"}`, inv, "Code is required"},
		{`{"FunctionName":"f","Code":null}`, inv, "Code is required"},
		{`{"Code":{}}`, inv, "Code.ZipFile is empty"},
		{`{"Code":{"ZipFile":""}}`, inv, "Code.ZipFile is empty"},
		{`{"Code":{"S3Bucket":"b","S3Key":"k"}}`, inv, "Only Code.ZipFile is supported"},
		{`{"Code":{"ZipFile":"` + zipB64 + `","S3Key":"k"}}`, inv, "Only Code.ZipFile is supported"},
		{`{"Code":{"ImageUri":"123.dkr.ecr/x:1"}}`, inv, "Only Code.ZipFile is supported"},
		{`{"PackageType":"Image","Code":{"ImageUri":"i"}}`, inv, "PackageType Image is not supported"},
		{`{"PackageType":"Jar",` + code + `}`, inv, "packageType"},
		{`{"Architectures":["x86_64","arm64"],` + code + `}`, inv, "exactly one architecture"},
		{`{"Architectures":["mips"],` + code + `}`, inv, `"mips" at 'architectures'`},
		{`{"Layers":["arn:aws:lambda:us-east-1:1:layer:l:1"],` + code + `}`, inv, "Layers are not supported"},
	}
	for _, c := range cases {
		_, err := decodeCreate([]byte(c.body))
		wantError(t, c.body, err, c.code, c.msg)
	}
}

func TestDecodeUpdateCode(t *testing.T) {
	zip, _ := base64.StdEncoding.DecodeString(zipB64)
	got, err := decodeUpdateCode([]byte(`{"ZipFile":"` + zipB64 + `","RevisionId":"r1","DryRun":true,"Publish":false,"Architectures":["x86_64"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (updateCode{ZipFile: zip, RevisionID: "r1", DryRun: true}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	cases := []struct{ body, code, msg string }{
		{``, function.CodeInvalidParameterValue, "ZipFile is empty"},
		{`{"S3Bucket":"b","S3Key":"k"}`, function.CodeInvalidParameterValue, "Only ZipFile is supported"},
		{`{"ImageUri":"i"}`, function.CodeInvalidParameterValue, "Only ZipFile is supported"},
		{`{"ZipFile":"%%%"}`, codeSerialization, "ZipFile is not valid base64"},
		{`{"ZipFile":"` + zipB64 + `","DryRun":"true"}`, codeSerialization, "DryRun: expected a boolean"},
		{`{"ZipFile":"` + zipB64 + `","RevisionId":7}`, codeSerialization, "RevisionId: expected a string"},
		{`{"ZipFile":"` + zipB64 + `","Architectures":["sparc"]}`, function.CodeInvalidParameterValue, "architectures"},
	}
	for _, c := range cases {
		_, err := decodeUpdateCode([]byte(c.body))
		wantError(t, c.body, err, c.code, c.msg)
	}
}

func TestDecodeUpdateConfig(t *testing.T) {
	cases := []struct {
		body string
		want function.UpdateConfigInput
	}{
		{``, function.UpdateConfigInput{}},
		{`{}`, function.UpdateConfigInput{}},
		{`{"Runtime":"provided.al2","Handler":"h","Role":"r","Description":"","Timeout":9,"MemorySize":512,"RevisionId":"rev"}`,
			function.UpdateConfigInput{Runtime: new("provided.al2"), Handler: new("h"), Role: new("r"), Description: new(""),
				Timeout: new(9), MemorySize: new(512), RevisionID: "rev"}},
		// An Environment replaces the variables; without Variables it clears them.
		{`{"Environment":{"Variables":{"K":"v"}}}`, function.UpdateConfigInput{Environment: map[string]string{"K": "v"}}},
		{`{"Environment":{}}`, function.UpdateConfigInput{Environment: map[string]string{}}},
		{`{"Environment":{"Variables":null}}`, function.UpdateConfigInput{Environment: map[string]string{}}},
		// A null Environment, like an absent one, leaves them.
		{`{"Environment":null,"Runtime":null}`, function.UpdateConfigInput{}},
	}
	for _, c := range cases {
		got, err := decodeUpdateConfig([]byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.body, got, c.want)
		}
	}
	errs := []struct{ body, code, msg string }{
		{`{"Timeout":"x"}`, codeSerialization, "Timeout: expected an integer"},
		{`{"Environment":{"Variables":"A=1"}}`, codeSerialization, "Environment.Variables: expected an object"},
		{`{"Layers":["l"]}`, function.CodeInvalidParameterValue, "Layers are not supported"},
	}
	for _, c := range errs {
		_, err := decodeUpdateConfig([]byte(c.body))
		wantError(t, c.body, err, c.code, c.msg)
	}
}

func TestDecodeConcurrency(t *testing.T) {
	for body, want := range map[string]int{`{"ReservedConcurrentExecutions":0}`: 0, `{"ReservedConcurrentExecutions":100}`: 100} {
		got, err := decodeConcurrency([]byte(body))
		if err != nil || got != want {
			t.Errorf("%s: %d, %v", body, got, err)
		}
	}
	errs := []struct{ body, code, msg string }{
		{``, function.CodeInvalidParameterValue, "ReservedConcurrentExecutions is required"},
		{`{"ReservedConcurrentExecutions":null}`, function.CodeInvalidParameterValue, "required"},
		{`{"ReservedConcurrentExecutions":-1}`, function.CodeInvalidParameterValue, "greater than or equal to 0"},
		{`{"ReservedConcurrentExecutions":"5"}`, codeSerialization, "ReservedConcurrentExecutions: expected an integer"},
	}
	for _, c := range errs {
		_, err := decodeConcurrency([]byte(c.body))
		wantError(t, c.body, err, c.code, c.msg)
	}
}

func TestDecodeEventInvokeConfig(t *testing.T) {
	got, err := decodeEventInvokeConfig([]byte(`{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":21600,"DestinationConfig":{"OnSuccess":{},"OnFailure":{"Destination":""}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (eventInvokeConfig{MaximumRetryAttempts: new(0), MaximumEventAgeInSeconds: new(21600)}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if got, err := decodeEventInvokeConfig(nil); err != nil || got.MaximumRetryAttempts != nil || got.MaximumEventAgeInSeconds != nil {
		t.Errorf("empty: %+v, %v", got, err)
	}
	const inv = function.CodeInvalidParameterValue
	errs := []struct{ body, code, msg string }{
		{`{"MaximumRetryAttempts":3}`, inv, "maximumRetryAttempts"},
		{`{"MaximumRetryAttempts":-1}`, inv, "between 0 and 2"},
		{`{"MaximumEventAgeInSeconds":59}`, inv, "maximumEventAgeInSeconds"},
		{`{"MaximumEventAgeInSeconds":21601}`, inv, "between 60 and 21600"},
		{`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:1:q"}}}`, inv, "DestinationConfig is not supported"},
		{`{"MaximumRetryAttempts":true}`, codeSerialization, "MaximumRetryAttempts: expected an integer, got bool"},
		{`{"DestinationConfig":{"OnSuccess":"x"}}`, codeSerialization, "DestinationConfig.OnSuccess: expected an object"},
	}
	for _, c := range errs {
		_, err := decodeEventInvokeConfig([]byte(c.body))
		wantError(t, c.body, err, c.code, c.msg)
	}
}

func TestDecodeAddPermission(t *testing.T) {
	st, rev, err := decodeAddPermission([]byte(`{"StatementId":"s1","Action":"lambda:InvokeFunction","Principal":"sns.amazonaws.com",
		"SourceArn":"arn:aws:sns:us-east-1:1:t","SourceAccount":"1","EventSourceToken":"tok","RevisionId":"r","PrincipalOrgID":"o-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := function.Statement{Sid: "s1", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com",
		SourceArn: "arn:aws:sns:us-east-1:1:t", SourceAccount: "1", EventSourceToken: "tok"}
	if st != want || rev != "r" {
		t.Errorf("got %+v %q", st, rev)
	}
	_, _, err = decodeAddPermission([]byte(`{"Principal":{"Service":"sns.amazonaws.com"}}`))
	wantError(t, "object principal", err, codeSerialization, "Principal: expected a string, got object")
}

func TestSplitQualifier(t *testing.T) {
	cases := []struct{ in, name, qual string }{
		{"f", "f", ""},
		{"f:$LATEST", "f", "$LATEST"},
		{"f:prod", "f", "prod"},
		{"f:", "f:", ""},
		{"123456789012:function:f", "123456789012:function:f", ""},
		{"123456789012:function:f:1", "123456789012:function:f", "1"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws:lambda:us-east-1:123456789012:function:f", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:f", "$LATEST"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:f:1", "arn:aws:lambda:us-east-1:123456789012:layer:f:1", ""},
		{"a:b:c", "a:b:c", ""},
	}
	for _, c := range cases {
		name, qual := splitQualifier(c.in)
		if name != c.name || qual != c.qual {
			t.Errorf("%q: got %q %q, want %q %q", c.in, name, qual, c.name, c.qual)
		}
	}
}

func TestResolveName(t *testing.T) {
	arn := func(n string) string { return "arn:aws:lambda:us-east-1:123456789012:function:" + n }
	ok := []struct{ label, q, want string }{
		{"f", "", "f"},
		{"f", "$LATEST", "f"},
		{"f:$LATEST", "", "f"},
		{"f:$LATEST", "$LATEST", "f"},
		{arn("f") + ":$LATEST", "", arn("f")},
		{"123456789012:function:f", "$LATEST", "123456789012:function:f"},
	}
	for _, c := range ok {
		got, err := resolveName(c.label, c.q, arn)
		if err != nil || got != c.want {
			t.Errorf("%q ?Qualifier=%q: got %q, %v", c.label, c.q, got, err)
		}
	}
	errs := []struct{ label, q, code, msg string }{
		{"f", "1", function.CodeResourceNotFound, "Function not found: " + arn("f") + ":1"},
		{"f:prod", "", function.CodeResourceNotFound, "Function not found: " + arn("f") + ":prod"},
		{"123456789012:function:f:2", "", function.CodeResourceNotFound, arn("f") + ":2"},
		{arn("f") + ":7", "", function.CodeResourceNotFound, arn("f") + ":7"},
		{"f:1", "2", function.CodeInvalidParameterValue, "does not match the specified qualifier"},
		{"f:$LATEST", "1", function.CodeInvalidParameterValue, "does not match"},
	}
	for _, c := range errs {
		_, err := resolveName(c.label, c.q, arn)
		wantError(t, c.label+"?"+c.q, err, c.code, c.msg)
	}
}

func TestParseMaxItems(t *testing.T) {
	for s, want := range map[string]int{"": 50, "1": 1, "50": 50, "10000": 10000} {
		if got, err := parseMaxItems(s); err != nil || got != want {
			t.Errorf("%q: %d, %v", s, got, err)
		}
	}
	for _, s := range []string{"0", "-1", "10001", "x", "5.0", " 5", "99999999999999999999"} {
		_, err := parseMaxItems(s)
		wantError(t, s, err, function.CodeInvalidParameterValue, "maxItems")
	}
}

func TestMarker(t *testing.T) {
	for _, name := range []string{"f", "my-function_1", strings.Repeat("z", 64), "ünïcode", "a/b?c=d&e"} {
		m := encodeMarker(name)
		if strings.ContainsAny(m, "+/=&?") {
			t.Errorf("%q: marker %q is not URL-safe", name, m)
		}
		got, err := decodeMarker(m)
		if err != nil || got != name {
			t.Errorf("%q: round trip %q, %v", name, got, err)
		}
	}
	for _, m := range []string{"", "!!", "Zg=", "Zg==", "Zh", "Zg\n", "Zg\r", "_w", base64.RawURLEncoding.EncodeToString([]byte{0xff})} {
		_, err := decodeMarker(m)
		wantError(t, m, err, function.CodeInvalidParameterValue, "Invalid Marker")
	}
}

func TestListPage(t *testing.T) {
	var all []*function.Config
	for i := range 120 {
		all = append(all, &function.Config{Name: fmt.Sprintf("f%03d", i)})
	}
	names := func(p []*function.Config) []string {
		var out []string
		for _, c := range p {
			out = append(out, c.Name)
		}
		return out
	}
	// Paging with the markers visits every function once, in order, in
	// pages of at most 50.
	for _, max := range []int{1, 7, 50, 51, 10000} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatalf("max %d: does not end", max)
			}
			page, next := listPage(all, after, max)
			if len(page) > min(max, 50) {
				t.Fatalf("max %d: page of %d", max, len(page))
			}
			got = append(got, names(page)...)
			if next == "" {
				break
			}
			var err error
			if after, err = decodeMarker(next); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got, names(all)) {
			t.Errorf("max %d: visited %d functions: %v", max, len(got), got)
		}
	}
	if page, next := listPage(nil, "", 50); len(page) != 0 || next != "" {
		t.Errorf("empty: %v %q", page, next)
	}
	// A marker naming a deleted function resumes after where it was.
	page, _ := listPage(all, "f010x", 2)
	if got := names(page); !reflect.DeepEqual(got, []string{"f011", "f012"}) {
		t.Errorf("after deleted: %v", got)
	}
	if page, next := listPage(all, "zzz", 5); len(page) != 0 || next != "" {
		t.Errorf("after last: %v %q", page, next)
	}
	if _, next := listPage(all[:50], "", 50); next != "" {
		t.Errorf("exact page has a next marker %q", next)
	}
}

func TestParseInvokeHeaders(t *testing.T) {
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	cases := []struct {
		hdr  map[string]string
		want function.InvokeInput
	}{
		{nil, function.InvokeInput{Type: function.InvokeRequestResponse}},
		{map[string]string{"X-Amz-Invocation-Type": "Event"}, function.InvokeInput{Type: function.InvokeEvent}},
		{map[string]string{"X-Amz-Invocation-Type": "DryRun", "X-Amz-Log-Type": "None"}, function.InvokeInput{Type: function.InvokeDryRun}},
		{map[string]string{"X-Amz-Invocation-Type": "RequestResponse", "X-Amz-Log-Type": "Tail", "X-Amz-Client-Context": cc},
			function.InvokeInput{Type: function.InvokeRequestResponse, LogTail: true, ClientContext: cc}},
	}
	for _, c := range cases {
		hdr := http.Header{}
		for k, v := range c.hdr {
			hdr.Set(k, v)
		}
		got, err := parseInvokeHeaders(hdr)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: got %+v, %v", c.hdr, got, err)
		}
	}
	errs := []struct {
		hdr       map[string]string
		code, msg string
	}{
		{map[string]string{"X-Amz-Invocation-Type": "event"}, function.CodeInvalidParameterValue, "invocationType"},
		{map[string]string{"X-Amz-Invocation-Type": "Async"}, function.CodeInvalidParameterValue, "[Event, RequestResponse, DryRun]"},
		{map[string]string{"X-Amz-Log-Type": "Full"}, function.CodeInvalidParameterValue, "logType"},
		{map[string]string{"X-Amz-Client-Context": "not base64"}, codeInvalidRequestContent, "Client context must be a valid Base64-encoded JSON object"},
		{map[string]string{"X-Amz-Client-Context": base64.StdEncoding.EncodeToString([]byte("[1]"))}, codeInvalidRequestContent, "JSON object"},
		{map[string]string{"X-Amz-Client-Context": base64.StdEncoding.EncodeToString([]byte("null"))}, codeInvalidRequestContent, "JSON object"},
		{map[string]string{"X-Amz-Client-Context": strings.Repeat("A", 3584)}, function.CodeInvalidParameterValue, "at most 3583 bytes"},
	}
	for _, c := range errs {
		hdr := http.Header{}
		for k, v := range c.hdr {
			hdr.Set(k, v)
		}
		_, err := parseInvokeHeaders(hdr)
		wantError(t, fmt.Sprint(c.hdr), err, c.code, c.msg)
	}
}

func TestCheckPayload(t *testing.T) {
	for _, p := range []string{"", "  \n", `{}`, `{"a":[1,2,{"b":null}]}`, `"s"`, `42`, `null`, `[]`} {
		if err := checkPayload([]byte(p)); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"{", "hello", `{"a":1}}`, `{'a':1}`, `[1,]`} {
		err := checkPayload([]byte(p))
		wantError(t, p, err, codeInvalidRequestContent, "Could not parse request body into json: ")
	}
}
