package snsapi

import (
	"errors"
	"net/url"
	"reflect"
	"sort"
	"testing"

	"github.com/abanico/abanico/internal/topic"
)

// fuzzSeeds are form-encoded requests of every action's parameter shapes,
// plus awkward encodings. The checked-in corpus under
// testdata/fuzz/FuzzDecodeSNSForm holds the same strings.
var fuzzSeeds = []string{
	"Action=CreateTopic&Version=2010-03-31&Name=t1&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=d&Tags.member.1.Key=k&Tags.member.1.Value=v&DataProtectionPolicy=%7B%7D",
	"Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At1&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true&ReturnSubscriptionArn=true",
	"Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At1&Token=abc&AuthenticateOnUnsubscribe=true",
	"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At1&Message=hi&Subject=s&MessageStructure=json&MessageGroupId=g&MessageDeduplicationId=d" +
		"&MessageAttributes.entry.1.Name=s&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v" +
		"&MessageAttributes.entry.2.Name=b&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AQID",
	"Action=Publish&TargetArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aendpoint%2FGCM%2Fapp%2F1&Message=m",
	"Action=Publish&PhoneNumber=%2B15555550100&Message=m",
	"Action=PublishBatch&TopicArn=t&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x" +
		"&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=Binary" +
		"&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue=%2F%2F8%3D&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=y",
	"Action=TagResource&ResourceArn=r&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b",
	"Action=UntagResource&ResourceArn=r&TagKeys.member.1=a&TagKeys.member.2=b",
	"Action=UntagResource&ResourceArn=r&TagKeys=",
	"Action=AddPermission&TopicArn=t&Label=l&AWSAccountId.member.1=111122223333&ActionName.member.1=Publish&ActionName.member.2=Subscribe",
	"Action=SetSubscriptionAttributes&SubscriptionArn=s&AttributeName=FilterPolicy&AttributeValue=%7B%22a%22%3A%5B%22b%22%5D%7D",
	"Action=ListSubscriptionsByTopic&TopicArn=t&NextToken=dDE",
	"Attributes.entry.3.key=c&Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.02.key=x&Attributes.entry.0.key=z&Attributes.entry.-1.key=n&Attributes.entry.99999999999.key=h",
	"MessageAttributes.entry.1.Name=%FF&MessageAttributes.entry.1.Value.BinaryValue=***&Message=%FF%FE",
	"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue=AQ&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=x&PublishBatchRequestEntries.member.1=flat",
	"TopicArn=a&TopicArn=b&TagKeys.member.1=x&TagKeys.member.1=y&TagKeys.member.1.Extra=z&Tags.member..Key=q&Tags.member.1..Value=w",
	"ReturnSubscriptionArn=maybe&TopicArn=t&Protocol=http",
	"",
}

// FuzzDecodeSNSForm decodes random forms with every action's decoder:
// decoding must not panic, must be deterministic, and must fail only with
// an SNS error.
func FuzzDecodeSNSForm(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, s string) {
		// A malformed pair is dropped; the others still decode.
		form, _ := url.ParseQuery(s)
		_ = IsSNSRequest(nil, form)
		for _, n := range names {
			act := actions[n]
			in1, err1 := act.decode(form)
			in2, err2 := act.decode(form)
			if !reflect.DeepEqual(in1, in2) || !reflect.DeepEqual(err1, err2) {
				t.Fatalf("%s: decoding is not deterministic: %#v %v / %#v %v", n, in1, err1, in2, err2)
			}
			if err1 != nil {
				var te *topic.Error
				if !errors.As(err1, &te) || te.Code == "" || te.Message == "" {
					t.Fatalf("%s: error %v is not an SNS error", n, err1)
				}
				if _, body := errorResponse(te, "r"); len(body) == 0 {
					t.Fatalf("%s: empty error body", n)
				}
				continue
			}
			switch in := in1.(type) {
			case topic.PublishInput:
				if in.TopicArn == "" {
					t.Fatalf("Publish decoded without a topic: %#v", in)
				}
			case publishBatchInput:
				if in.TopicArn == "" {
					t.Fatalf("PublishBatch decoded without a topic")
				}
				for _, e := range in.Entries {
					if e.TopicArn != in.TopicArn {
						t.Fatalf("entry topic %q", e.TopicArn)
					}
				}
			}
		}
	})
}
