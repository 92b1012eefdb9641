package snsapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/awsproto"
	"github.com/abanico/abanico/internal/topic"
)

// Response shapes of the SNS query protocol, as SDKs read them.

type responseMetadata struct {
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type xmlEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlSubscription struct {
	SubscriptionArn, Owner, Protocol, Endpoint, TopicArn string
}

type xmlTag struct {
	Key   string
	Value *string
}

type xmlBatchSuccess struct{ Id, MessageId string }

type xmlBatchFailure struct {
	Id, Code, Message string
	SenderFault       bool
}

func encode(action string, result obj) []byte {
	return awsproto.EncodeXML(XMLNS, action, result, "req-1")
}

// unmarshal parses a response, checking its root element and namespace.
func unmarshal(t *testing.T, action string, b []byte, v any) {
	t.Helper()
	if !strings.HasPrefix(string(b), `<?xml version="1.0"?><`+action+`Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/">`) {
		t.Fatalf("response root: %s", b)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v\n%s", action, err, b)
	}
}

func TestCreateTopicResponse(t *testing.T) {
	var got struct {
		XMLName  xml.Name `xml:"http://sns.amazonaws.com/doc/2010-03-31/ CreateTopicResponse"`
		TopicArn string   `xml:"CreateTopicResult>TopicArn"`
		responseMetadata
	}
	unmarshal(t, "CreateTopic", encode("CreateTopic", obj{f("TopicArn", testTopic)}), &got)
	if got.TopicArn != testTopic || got.RequestID != "req-1" {
		t.Fatalf("got %+v", got)
	}
}

func TestListTopicsResponse(t *testing.T) {
	type resp struct {
		Topics    []string `xml:"ListTopicsResult>Topics>member>TopicArn"`
		NextToken *string  `xml:"ListTopicsResult>NextToken"`
		responseMetadata
	}
	var got resp
	arns := []string{testTopic, "arn:aws:sns:us-east-1:000000000000:t2"}
	unmarshal(t, "ListTopics", encode("ListTopics", listTopicsResult(arns, "tok")), &got)
	if !reflect.DeepEqual(got.Topics, arns) || got.NextToken == nil || *got.NextToken != "tok" {
		t.Fatalf("got %+v", got)
	}

	// Last page: no NextToken; no topics: an empty <Topics/>.
	b := encode("ListTopics", listTopicsResult(nil, ""))
	if !strings.Contains(string(b), "<ListTopicsResult><Topics></Topics></ListTopicsResult>") {
		t.Fatalf("empty listing: %s", b)
	}
	got = resp{}
	unmarshal(t, "ListTopics", b, &got)
	if len(got.Topics) != 0 || got.NextToken != nil {
		t.Fatalf("got %+v", got)
	}
}

func TestAttributesResponse(t *testing.T) {
	for _, action := range []string{"GetTopicAttributes", "GetSubscriptionAttributes"} {
		var got struct {
			Entries []xmlEntry `xml:"Result>Attributes>entry"`
		}
		attrs := map[string]string{"TopicArn": testTopic, "DisplayName": "", "Policy": `{"a":"<&>"}`}
		b := encode(action, attributesResult(attrs))
		// The result element is named after the action.
		b2 := strings.ReplaceAll(string(b), action+"Result>", "Result>")
		unmarshal(t, action, []byte(b2), &got)
		m := map[string]string{}
		for _, e := range got.Entries {
			m[e.Key] = e.Value
		}
		if !reflect.DeepEqual(m, attrs) {
			t.Fatalf("%s: got %v\n%s", action, m, b)
		}
		if !strings.Contains(string(b), "<Attributes><entry><key>DisplayName</key><value></value></entry>") {
			t.Fatalf("%s: entries not wrapped/sorted: %s", action, b)
		}
	}
}

func TestSubscribeResponse(t *testing.T) {
	cases := []struct {
		pending, returnArn bool
		want               string
	}{
		{false, false, testSub},
		{false, true, testSub},
		{true, false, "pending confirmation"},
		{true, true, testSub},
	}
	for _, c := range cases {
		var got struct {
			SubscriptionArn string `xml:"SubscribeResult>SubscriptionArn"`
		}
		unmarshal(t, "Subscribe", encode("Subscribe", subscriptionArnResult(subscribeArn(testSub, c.pending, c.returnArn))), &got)
		if got.SubscriptionArn != c.want {
			t.Errorf("pending=%v return=%v: got %q, want %q", c.pending, c.returnArn, got.SubscriptionArn, c.want)
		}
	}
	var got struct {
		SubscriptionArn string `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
	}
	unmarshal(t, "ConfirmSubscription", encode("ConfirmSubscription", subscriptionArnResult(testSub)), &got)
	if got.SubscriptionArn != testSub {
		t.Fatalf("got %+v", got)
	}
}

func TestListSubscriptionsResponse(t *testing.T) {
	subs := []subscriptionView{
		{SubscriptionArn: testSub, Owner: "000000000000", Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:000000000000:q", TopicArn: testTopic},
		{SubscriptionArn: "PendingConfirmation", Owner: "000000000000", Protocol: "http", Endpoint: "http://example.com/?a=1&b=2", TopicArn: testTopic},
	}
	for _, action := range []string{"ListSubscriptions", "ListSubscriptionsByTopic"} {
		var got struct {
			Subs      []xmlSubscription `xml:"Result>Subscriptions>member"`
			NextToken string            `xml:"Result>NextToken"`
		}
		b := encode(action, subscriptionsResult(subs, "next"))
		unmarshal(t, action, []byte(strings.ReplaceAll(string(b), action+"Result>", "Result>")), &got)
		want := make([]xmlSubscription, len(subs))
		for i, s := range subs {
			want[i] = xmlSubscription(s)
		}
		if !reflect.DeepEqual(got.Subs, want) || got.NextToken != "next" {
			t.Fatalf("%s: got %+v\n%s", action, got, b)
		}
	}
}

func TestListTagsResponse(t *testing.T) {
	var got struct {
		Tags []xmlTag `xml:"ListTagsForResourceResult>Tags>member"`
	}
	unmarshal(t, "ListTagsForResource", encode("ListTagsForResource", tagsResult(map[string]string{"b": "2", "a": "1", "e": ""})), &got)
	if len(got.Tags) != 3 {
		t.Fatalf("got %+v", got)
	}
	wantKeys := []string{"a", "b", "e"}
	wantVals := []string{"1", "2", ""}
	for i, tg := range got.Tags {
		if tg.Key != wantKeys[i] || tg.Value == nil || *tg.Value != wantVals[i] {
			t.Fatalf("tag %d = %q %v", i, tg.Key, tg.Value)
		}
	}
	b := encode("ListTagsForResource", tagsResult(nil))
	if !strings.Contains(string(b), "<ListTagsForResourceResult><Tags></Tags></ListTagsForResourceResult>") {
		t.Fatalf("no tags: %s", b)
	}
}

func TestPublishResponses(t *testing.T) {
	var pub struct {
		MessageID string `xml:"PublishResult>MessageId"`
	}
	unmarshal(t, "Publish", encode("Publish", obj{f("MessageId", "m-1")}), &pub)
	if pub.MessageID != "m-1" {
		t.Fatalf("got %+v", pub)
	}

	res := []topic.PublishResult{
		{ID: "a", MessageID: "m-a"},
		{ID: "b", Err: &topic.Error{Code: topic.CodeInvalidParameter, Message: "Invalid parameter: Empty message"}},
		{ID: "c", Err: &topic.Error{Code: topic.CodeInvalidParameterValue, Message: "bad attribute"}},
		{ID: "d", Err: &topic.Error{Code: topic.CodeInternalError, Message: "Internal Error", Server: true}},
		{ID: "e", MessageID: "m-e"},
	}
	var got struct {
		Successful []xmlBatchSuccess `xml:"PublishBatchResult>Successful>member"`
		Failed     []xmlBatchFailure `xml:"PublishBatchResult>Failed>member"`
	}
	unmarshal(t, "PublishBatch", encode("PublishBatch", publishBatchResult(res)), &got)
	wantOK := []xmlBatchSuccess{{"a", "m-a"}, {"e", "m-e"}}
	wantFailed := []xmlBatchFailure{
		{"b", "InvalidParameter", "Invalid parameter: Empty message", true},
		{"c", "ParameterValueInvalid", "bad attribute", true},
		{"d", "InternalError", "Internal Error", false},
	}
	if !reflect.DeepEqual(got.Successful, wantOK) || !reflect.DeepEqual(got.Failed, wantFailed) {
		t.Fatalf("got %+v", got)
	}

	// Both lists are always present.
	b := encode("PublishBatch", publishBatchResult([]topic.PublishResult{{ID: "a", MessageID: "m"}}))
	if !strings.Contains(string(b), "<Failed></Failed>") {
		t.Fatalf("empty Failed missing: %s", b)
	}
	b = encode("PublishBatch", publishBatchResult([]topic.PublishResult{{ID: "a", Err: &topic.Error{Code: "InvalidParameter"}}}))
	if !strings.Contains(string(b), "<Successful></Successful>") {
		t.Fatalf("empty Successful missing: %s", b)
	}
}

// Actions without an output shape have no result element; those with an
// empty output (TagResource, UntagResource) have an empty one.
func TestEmptyResults(t *testing.T) {
	b := string(encode("DeleteTopic", nil))
	want := `<?xml version="1.0"?><DeleteTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteTopicResponse>`
	if b != want {
		t.Fatalf("DeleteTopic:\n%s\nwant\n%s", b, want)
	}
	b = string(encode("TagResource", noResult))
	if !strings.Contains(b, "<TagResourceResult></TagResourceResult><ResponseMetadata>") {
		t.Fatalf("TagResource: %s", b)
	}
}

func TestPage(t *testing.T) {
	var keys []string
	for i := range 250 {
		keys = append(keys, fmt.Sprintf("t%03d", i))
	}
	var seen []string
	token := ""
	pages := 0
	for {
		start, end, next, err := page(keys, token)
		if err != nil {
			t.Fatal(err)
		}
		if end-start > pageSize {
			t.Fatalf("page of %d", end-start)
		}
		seen = append(seen, keys[start:end]...)
		pages++
		if next == "" {
			break
		}
		token = next
	}
	if pages != 3 || !reflect.DeepEqual(seen, keys) {
		t.Fatalf("pages=%d seen=%d", pages, len(seen))
	}

	// A token stays valid when the item it names is deleted.
	_, _, next, _ := page(keys, "")
	rest := append(append([]string(nil), keys[:99]...), keys[100:]...)
	start, _, _, err := page(rest, next)
	if err != nil || rest[start] != "t100" {
		t.Fatalf("after delete: start=%d err=%v", start, err)
	}

	// Exactly one page: no token.
	if _, end, next, _ := page(keys[:100], ""); end != 100 || next != "" {
		t.Fatalf("end=%d next=%q", end, next)
	}
	if _, end, next, _ := page(nil, ""); end != 0 || next != "" {
		t.Fatalf("empty: end=%d next=%q", end, next)
	}

	for _, bad := range []string{"!!!", "a b", "A"} {
		_, _, _, err := page(keys, bad)
		var te *topic.Error
		if !errors.As(err, &te) || te.Code != topic.CodeInvalidParameter || te.Message != "Invalid parameter: NextToken" {
			t.Errorf("token %q: %v", bad, err)
		}
	}
}

func TestArnAccount(t *testing.T) {
	if a := arnAccount(testTopic); a != "000000000000" {
		t.Fatal(a)
	}
	if a := arnAccount("nope"); a != "" {
		t.Fatal(a)
	}
}
