package snsapi

import (
	"errors"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/abanico/abanico/internal/topic"
)

const testTopic = "arn:aws:sns:us-east-1:000000000000:t1"
const testSub = testTopic + ":3f7a2c4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b"

// q builds a form from name=value pairs joined by &, values escaped as
// written (the tests spell parameter names as SDKs send them).
func q(t *testing.T, s string) url.Values {
	t.Helper()
	form, err := url.ParseQuery(s)
	if err != nil {
		t.Fatalf("bad test form %q: %v", s, err)
	}
	return form
}

type decodeCase struct {
	name    string
	form    string
	want    any
	errCode string // wire code of the expected error
	errMsg  string // substring of the expected error message
}

func TestDecodeActions(t *testing.T) {
	cases := []decodeCase{
		// CreateTopic
		{
			name: "CreateTopic full",
			form: "Action=CreateTopic&Version=2010-03-31&Name=t1" +
				"&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=My+Topic" +
				"&Attributes.entry.2.key=Policy&Attributes.entry.2.value=%7B%7D" +
				"&Tags.member.1.Key=team&Tags.member.1.Value=core&Tags.member.2.Key=empty&Tags.member.2.Value=" +
				"&DataProtectionPolicy=%7B%22a%22%3A1%7D",
			want: createTopicInput{
				Name:       "t1",
				Attributes: map[string]string{"DisplayName": "My Topic", "Policy": "{}", "DataProtectionPolicy": `{"a":1}`},
				Tags:       map[string]string{"team": "core", "empty": ""},
			},
		},
		{name: "CreateTopic minimal", form: "Action=CreateTopic&Name=t1", want: createTopicInput{Name: "t1"}},
		{name: "CreateTopic empty tag list", form: "Action=CreateTopic&Name=t1&Tags=", want: createTopicInput{Name: "t1"}},
		{
			name: "CreateTopic sparse unordered indexes and capitalized map members",
			form: "Name=t1&Attributes.entry.3.key=B&Attributes.entry.3.value=3&Attributes.entry.1.Key=A&Attributes.entry.1.Value=1" +
				"&Attributes.entry.2.value=orphan&Attributes.entry.01.key=X&Attributes.entry.01.value=ignored",
			want: createTopicInput{Name: "t1", Attributes: map[string]string{"A": "1", "B": "3"}},
		},
		{
			name: "CreateTopic tag without key",
			form: "Name=t1&Tags.member.1.Value=v",
			want: createTopicInput{Name: "t1", Tags: map[string]string{"": "v"}},
		},
		{name: "CreateTopic missing name", form: "Action=CreateTopic", errCode: "InvalidParameter", errMsg: "Invalid parameter: Topic Name"},

		// DeleteTopic, GetTopicAttributes
		{name: "DeleteTopic", form: "Action=DeleteTopic&TopicArn=" + testTopic, want: topicArnInput{TopicArn: testTopic}},
		{name: "DeleteTopic missing", form: "Action=DeleteTopic", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},
		{name: "GetTopicAttributes", form: "Action=GetTopicAttributes&TopicArn=" + testTopic, want: topicArnInput{TopicArn: testTopic}},
		{name: "GetTopicAttributes empty", form: "Action=GetTopicAttributes&TopicArn=", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},

		// ListTopics
		{name: "ListTopics", form: "Action=ListTopics", want: listInput{}},
		{name: "ListTopics token", form: "Action=ListTopics&NextToken=abc", want: listInput{NextToken: "abc"}},

		// SetTopicAttributes
		{
			name: "SetTopicAttributes",
			form: "Action=SetTopicAttributes&TopicArn=" + testTopic + "&AttributeName=DisplayName&AttributeValue=x",
			want: setAttributeInput{Arn: testTopic, AttributeName: "DisplayName", AttributeValue: "x"},
		},
		{
			name: "SetTopicAttributes without value",
			form: "Action=SetTopicAttributes&TopicArn=" + testTopic + "&AttributeName=DisplayName",
			want: setAttributeInput{Arn: testTopic, AttributeName: "DisplayName"},
		},
		{name: "SetTopicAttributes missing name", form: "Action=SetTopicAttributes&TopicArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: AttributeName"},
		{name: "SetTopicAttributes missing arn", form: "Action=SetTopicAttributes&AttributeName=DisplayName", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},

		// Subscribe
		{
			name: "Subscribe full",
			form: "Action=Subscribe&TopicArn=" + testTopic + "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq" +
				"&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true" +
				"&Attributes.entry.2.key=FilterPolicy&Attributes.entry.2.value=%7B%22a%22%3A%5B%22b%22%5D%7D&ReturnSubscriptionArn=true",
			want: subscribeInput{
				TopicArn: testTopic, Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:000000000000:q",
				Attributes:            map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"a":["b"]}`},
				ReturnSubscriptionArn: true,
			},
		},
		{
			name: "Subscribe minimal",
			form: "Action=Subscribe&TopicArn=" + testTopic + "&Protocol=http&ReturnSubscriptionArn=false",
			want: subscribeInput{TopicArn: testTopic, Protocol: "http"},
		},
		{name: "Subscribe missing protocol", form: "Action=Subscribe&TopicArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: Protocol"},
		{name: "Subscribe missing topic", form: "Action=Subscribe&Protocol=sqs", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},
		{name: "Subscribe bad boolean", form: "Action=Subscribe&TopicArn=" + testTopic + "&Protocol=sqs&ReturnSubscriptionArn=yes", errCode: "InvalidParameter", errMsg: "ReturnSubscriptionArn"},

		// ConfirmSubscription
		{
			name: "ConfirmSubscription",
			form: "Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=tok&AuthenticateOnUnsubscribe=true",
			want: confirmSubscriptionInput{TopicArn: testTopic, Token: "tok", AuthenticateOnUnsubscribe: true},
		},
		{
			name: "ConfirmSubscription case-insensitive true",
			form: "Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=tok&AuthenticateOnUnsubscribe=TRUE",
			want: confirmSubscriptionInput{TopicArn: testTopic, Token: "tok", AuthenticateOnUnsubscribe: true},
		},
		{
			name: "ConfirmSubscription link (no flag)",
			form: "Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=tok",
			want: confirmSubscriptionInput{TopicArn: testTopic, Token: "tok"},
		},
		{name: "ConfirmSubscription missing token", form: "Action=ConfirmSubscription&TopicArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: Token"},

		// Unsubscribe, Get/SetSubscriptionAttributes
		{name: "Unsubscribe", form: "Action=Unsubscribe&SubscriptionArn=" + testSub, want: subscriptionArnInput{SubscriptionArn: testSub}},
		{name: "Unsubscribe missing", form: "Action=Unsubscribe", errCode: "InvalidParameter", errMsg: "Invalid parameter: SubscriptionArn"},
		{name: "GetSubscriptionAttributes", form: "Action=GetSubscriptionAttributes&SubscriptionArn=" + testSub, want: subscriptionArnInput{SubscriptionArn: testSub}},
		{
			name: "SetSubscriptionAttributes",
			form: "Action=SetSubscriptionAttributes&SubscriptionArn=" + testSub + "&AttributeName=RawMessageDelivery&AttributeValue=true",
			want: setAttributeInput{Arn: testSub, AttributeName: "RawMessageDelivery", AttributeValue: "true"},
		},
		{name: "SetSubscriptionAttributes missing arn", form: "Action=SetSubscriptionAttributes&AttributeName=RawMessageDelivery", errCode: "InvalidParameter", errMsg: "Invalid parameter: SubscriptionArn"},

		// ListSubscriptions, ListSubscriptionsByTopic
		{name: "ListSubscriptions", form: "Action=ListSubscriptions&NextToken=t", want: listInput{NextToken: "t"}},
		{name: "ListSubscriptionsByTopic", form: "Action=ListSubscriptionsByTopic&TopicArn=" + testTopic + "&NextToken=t", want: listByTopicInput{TopicArn: testTopic, NextToken: "t"}},
		{name: "ListSubscriptionsByTopic missing", form: "Action=ListSubscriptionsByTopic", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},

		// Publish
		{
			name: "Publish full",
			form: "Action=Publish&TopicArn=" + testTopic + "&Message=hello&Subject=subj&MessageStructure=json" +
				"&MessageGroupId=g&MessageDeduplicationId=d" +
				"&MessageAttributes.entry.1.Name=s&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v" +
				"&MessageAttributes.entry.2.Name=n&MessageAttributes.entry.2.Value.DataType=Number&MessageAttributes.entry.2.Value.StringValue=1.5" +
				"&MessageAttributes.entry.3.Name=b&MessageAttributes.entry.3.Value.DataType=Binary&MessageAttributes.entry.3.Value.BinaryValue=AQID" +
				"&MessageAttributes.entry.4.Name=arr&MessageAttributes.entry.4.Value.DataType=String.Array&MessageAttributes.entry.4.Value.StringValue=%5B%22a%22%2C1%5D",
			want: topic.PublishInput{
				TopicArn: testTopic, Message: "hello", Subject: "subj", MessageStructure: "json",
				MessageGroupID: "g", MessageDeduplicationID: "d",
				MessageAttributes: map[string]topic.MessageAttribute{
					"s":   {DataType: "String", StringValue: "v"},
					"n":   {DataType: "Number", StringValue: "1.5"},
					"b":   {DataType: "Binary", BinaryValue: []byte{1, 2, 3}},
					"arr": {DataType: "String.Array", StringValue: `["a",1]`},
				},
			},
		},
		{
			name: "Publish unpadded and empty binary",
			form: "TopicArn=" + testTopic + "&Message=m" +
				"&MessageAttributes.entry.1.Name=b&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=AQ" +
				"&MessageAttributes.entry.2.Name=e&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=" +
				"&MessageAttributes.entry.3.Value.DataType=String",
			want: topic.PublishInput{TopicArn: testTopic, Message: "m", MessageAttributes: map[string]topic.MessageAttribute{
				"b": {DataType: "Binary", BinaryValue: []byte{1}},
				"e": {DataType: "Binary", BinaryValue: []byte{}},
			}},
		},
		{name: "Publish target topic", form: "Action=Publish&TargetArn=" + testTopic + "&Message=m", want: topic.PublishInput{TopicArn: testTopic, Message: "m"}},
		{name: "Publish empty message is the service's call", form: "Action=Publish&TopicArn=" + testTopic, want: topic.PublishInput{TopicArn: testTopic}},
		{name: "Publish phone", form: "Action=Publish&PhoneNumber=%2B15555550100&Message=m", errCode: "InvalidParameter", errMsg: "PhoneNumber"},
		{name: "Publish no destination", form: "Action=Publish&Message=m", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn or TargetArn"},
		{name: "Publish both destinations", form: "Action=Publish&TopicArn=" + testTopic + "&TargetArn=" + testTopic + "&Message=m", errCode: "InvalidParameter", errMsg: "Only one of"},
		{name: "Publish platform endpoint", form: "Action=Publish&TargetArn=arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/1&Message=m", errCode: "InvalidParameter", errMsg: "TargetArn"},
		{
			name:    "Publish bad base64",
			form:    "Action=Publish&TopicArn=" + testTopic + "&Message=m&MessageAttributes.entry.1.Name=b&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=***",
			errCode: "ParameterValueInvalid", errMsg: "'b'",
		},

		// PublishBatch
		{
			name: "PublishBatch",
			form: "Action=PublishBatch&TopicArn=" + testTopic +
				"&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m1&PublishBatchRequestEntries.member.1.Subject=s1" +
				"&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=String" +
				"&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=v" +
				"&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=m2&PublishBatchRequestEntries.member.2.MessageStructure=json" +
				"&PublishBatchRequestEntries.member.2.MessageGroupId=g&PublishBatchRequestEntries.member.2.MessageDeduplicationId=d" +
				"&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name=bin&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType=Binary" +
				"&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.BinaryValue=%2F%2F8%3D",
			want: publishBatchInput{TopicArn: testTopic, Entries: []topic.PublishInput{
				{ID: "a", TopicArn: testTopic, Message: "m1", Subject: "s1", MessageAttributes: map[string]topic.MessageAttribute{"k": {DataType: "String", StringValue: "v"}}},
				{ID: "b", TopicArn: testTopic, Message: "m2", MessageStructure: "json", MessageGroupID: "g", MessageDeduplicationID: "d",
					MessageAttributes: map[string]topic.MessageAttribute{"bin": {DataType: "Binary", BinaryValue: []byte{0xff, 0xff}}}},
			}},
		},
		{
			name: "PublishBatch entries in numeric order",
			form: "TopicArn=" + testTopic + "&PublishBatchRequestEntries.member.10.Id=j&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.1.Message=x",
			want: publishBatchInput{TopicArn: testTopic, Entries: []topic.PublishInput{
				{TopicArn: testTopic, Message: "x"}, {ID: "b", TopicArn: testTopic}, {ID: "j", TopicArn: testTopic},
			}},
		},
		{name: "PublishBatch no entries", form: "Action=PublishBatch&TopicArn=" + testTopic + "&PublishBatchRequestEntries=", want: publishBatchInput{TopicArn: testTopic}},
		{name: "PublishBatch missing topic", form: "Action=PublishBatch&PublishBatchRequestEntries.member.1.Id=a", errCode: "InvalidParameter", errMsg: "Invalid parameter: TopicArn"},
		{
			name:    "PublishBatch bad base64 in entry",
			form:    "TopicArn=" + testTopic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=x&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue=***",
			errCode: "ParameterValueInvalid",
		},

		// Tags
		{
			name: "TagResource",
			form: "Action=TagResource&ResourceArn=" + testTopic + "&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2",
			want: tagResourceInput{ResourceArn: testTopic, Tags: map[string]string{"a": "1", "b": "2"}},
		},
		{name: "TagResource empty list", form: "Action=TagResource&ResourceArn=" + testTopic + "&Tags=", want: tagResourceInput{ResourceArn: testTopic}},
		{name: "TagResource missing tags", form: "Action=TagResource&ResourceArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: Tags"},
		{name: "TagResource missing arn", form: "Action=TagResource&Tags.member.1.Key=a", errCode: "InvalidParameter", errMsg: "Invalid parameter: ResourceArn"},
		{
			name: "UntagResource",
			form: "Action=UntagResource&ResourceArn=" + testTopic + "&TagKeys.member.2=b&TagKeys.member.1=a",
			want: untagResourceInput{ResourceArn: testTopic, TagKeys: []string{"a", "b"}},
		},
		{name: "UntagResource empty list", form: "Action=UntagResource&ResourceArn=" + testTopic + "&TagKeys=", want: untagResourceInput{ResourceArn: testTopic}},
		{name: "UntagResource missing keys", form: "Action=UntagResource&ResourceArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: TagKeys"},
		{name: "ListTagsForResource", form: "Action=ListTagsForResource&ResourceArn=" + testTopic, want: resourceArnInput{ResourceArn: testTopic}},
		{name: "ListTagsForResource missing", form: "Action=ListTagsForResource", errCode: "InvalidParameter", errMsg: "Invalid parameter: ResourceArn"},

		// Permissions
		{
			name: "AddPermission",
			form: "Action=AddPermission&TopicArn=" + testTopic + "&Label=l&AWSAccountId.member.1=111122223333&AWSAccountId.member.2=444455556666" +
				"&ActionName.member.1=Publish&ActionName.member.2=Subscribe",
			want: addPermissionInput{TopicArn: testTopic, Label: "l", AWSAccountIDs: []string{"111122223333", "444455556666"}, ActionNames: []string{"Publish", "Subscribe"}},
		},
		{name: "AddPermission missing label", form: "Action=AddPermission&TopicArn=" + testTopic + "&AWSAccountId.member.1=1&ActionName.member.1=Publish", errCode: "InvalidParameter", errMsg: "Invalid parameter: Label"},
		{name: "AddPermission missing accounts", form: "Action=AddPermission&TopicArn=" + testTopic + "&Label=l&ActionName.member.1=Publish", errCode: "InvalidParameter", errMsg: "Invalid parameter: AWSAccountId"},
		{name: "AddPermission missing actions", form: "Action=AddPermission&TopicArn=" + testTopic + "&Label=l&AWSAccountId.member.1=1", errCode: "InvalidParameter", errMsg: "Invalid parameter: ActionName"},
		{name: "RemovePermission", form: "Action=RemovePermission&TopicArn=" + testTopic + "&Label=l", want: removePermissionInput{TopicArn: testTopic, Label: "l"}},
		{name: "RemovePermission missing label", form: "Action=RemovePermission&TopicArn=" + testTopic, errCode: "InvalidParameter", errMsg: "Invalid parameter: Label"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, _, _ := strings.Cut(tc.name, " ")
			act, ok := actions[name]
			if !ok {
				t.Fatalf("no action %s", name)
			}
			got, err := act.decode(q(t, tc.form))
			if tc.errCode != "" {
				var te *topic.Error
				if !errors.As(err, &te) {
					t.Fatalf("want %s error, got %v (input %+v)", tc.errCode, err, got)
				}
				if wireCode(te.Code) != tc.errCode || !strings.Contains(te.Message, tc.errMsg) {
					t.Fatalf("error = %s %q, want %s containing %q", wireCode(te.Code), te.Message, tc.errCode, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decoded\n  %#v\nwant\n  %#v", got, tc.want)
			}
		})
	}
}

// Every action the handler serves has decode cases above.
func TestEveryActionDecodes(t *testing.T) {
	var names []string
	for name := range actions {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{
		"AddPermission", "ConfirmSubscription", "CreateTopic", "DeleteTopic", "GetSubscriptionAttributes",
		"GetTopicAttributes", "ListSubscriptions", "ListSubscriptionsByTopic", "ListTagsForResource", "ListTopics",
		"Publish", "PublishBatch", "RemovePermission", "SetSubscriptionAttributes", "SetTopicAttributes",
		"Subscribe", "TagResource", "Unsubscribe", "UntagResource",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("actions = %v\nwant %v", names, want)
	}
	for _, n := range names {
		if !snsOnlyActions[n] && n != "AddPermission" && n != "RemovePermission" {
			t.Errorf("%s is missing from snsOnlyActions", n)
		}
	}
}

func TestIndexes(t *testing.T) {
	form := q(t, "L.member.3=c&L.member.1=a&L.member.10=j&L.member.0=zero&L.member.-1=neg&L.member.01=lead&L.member.x=x"+
		"&L.member.2.Sub=s&L.member.99999999999=huge&L.membership.1=no&L.member.=empty")
	got := indexes(form, "L.member")
	want := []string{"1", "2", "3", "10"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("indexes = %v, want %v", got, want)
	}
	if l := stringList(form, "L"); !reflect.DeepEqual(l, []string{"a", "c", "j"}) {
		t.Fatalf("stringList = %v", l)
	}
}

func TestCredentialService(t *testing.T) {
	cases := map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc": "sns",
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sqs/aws4_request,SignedHeaders=host,Signature=abc":              "sqs",
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns/aws4_request":                                               "sns",
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns":                                                            "",
		"AWS4-HMAC-SHA256 Credential=sns/aws4_request":                                                                       "",
		"AWS AKID:signature": "",
		"":                   "",
	}
	for in, want := range cases {
		if got := credentialService(in); got != want {
			t.Errorf("credentialService(%q) = %q, want %q", in, got, want)
		}
	}
}
