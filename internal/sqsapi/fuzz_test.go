package sqsapi

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

// fuzzQuerySeeds are form-encoded requests for every action the decoder
// has special shapes for, plus awkward encodings.
var fuzzQuerySeeds = []string{
	"Action=CreateQueue&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&Tag.1.Key=k&Tag.1.Value=v",
	"Action=GetQueueAttributes&QueueUrl=q&AttributeName.1=All&AttributeName.2=QueueArn",
	"Action=SendMessage&QueueUrl=q&MessageBody=hi&MessageAttribute.1.Name=s&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v" +
		"&MessageAttribute.2.Name=n&MessageAttribute.2.Value.DataType=Number&MessageAttribute.2.Value.StringValue=1.5" +
		"&MessageAttribute.3.Name=b&MessageAttribute.3.Value.DataType=Binary&MessageAttribute.3.Value.BinaryValue=AQID" +
		"&MessageSystemAttribute.1.Name=AWSTraceHeader&MessageSystemAttribute.1.Value.DataType=String&MessageSystemAttribute.1.Value.StringValue=Root%3D1",
	"Action=SendMessageBatch&QueueUrl=q&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.1.DelaySeconds=1" +
		"&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v" +
		"&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y&SendMessageBatchRequestEntry.2.DelaySeconds=2" +
		"&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=bin&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=Binary&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.BinaryValue=%2F%2F8%3D",
	"Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r1&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=r2",
	"Action=ChangeMessageVisibilityBatch&QueueUrl=q&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=10",
	"Action=ReceiveMessage&QueueUrl=q&AttributeName.1=All&MessageAttributeName.1=All&MaxNumberOfMessages=10&WaitTimeSeconds=20&VisibilityTimeout=30&ReceiveRequestAttemptId=x",
	"Action=TagQueue&QueueUrl=q&Tags.1.Key=a&Tags.1.Value=b&Tag.1.Key=c&Tag.1.Value=d",
	"Action=UntagQueue&QueueUrl=q&TagKey.1=a&TagKey.2=b",
	"Action=AddPermission&QueueUrl=q&Label=l&AWSAccountId.1=111122223333&ActionName.1=SendMessage&ActionName.2=*",
	"Action=ListQueues&QueueNamePrefix=p&MaxResults=5&NextToken=t",
	"Action=StartMessageMoveTask&SourceArn=s&DestinationArn=d&MaxNumberOfMessagesPerSecond=10&TaskHandle=h",
	"Attribute.3.Name=c&Attribute.1.Name=a&Attribute.1.Value=1&Attribute.3.Value=3&Attribute.02.Name=x&Attribute.1001.Name=y",
	"MaxNumberOfMessages=ten",
	"MaxNumberOfMessages=+7+",
	"MessageBody=%FF%FE&MessageAttribute.1.Name=%FF&MessageAttribute.1.Value.DataType=String&MessageAttribute.2.Name=%FE",
	"MessageAttribute.1.Name=b&MessageAttribute.1.Value.BinaryValue=***",
	"Entries.1.Id=a&Entries.1.MessageSystemAttribute.1.Name=AWSTraceHeader&Entries.2.Bogus=1",
	"QueueUrl=a&QueueUrl=b&TagKey.1=x&TagKey.1=y&TagKey.1.Extra=z",
	"",
}

// fuzzJSONSeeds are JSON request bodies, valid and not.
var fuzzJSONSeeds = []string{
	`{"QueueName":"q","Attributes":{"DelaySeconds":"5"},"tags":{"k":"v"}}`,
	`{"QueueUrl":"q","AttributeNames":["All"]}`,
	`{"QueueUrl":"q","MessageBody":"hi","DelaySeconds":3,"MessageAttributes":{"s":{"DataType":"String","StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"AQID"}},"MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1"}}}`,
	`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"x","DelaySeconds":1,"MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}}},{"Id":"b","MessageBody":"y"}]}`,
	`{"QueueUrl":"q","Entries":[{"Id":"a","ReceiptHandle":"r","VisibilityTimeout":0}]}`,
	`{"QueueUrl":"q","AttributeNames":["All"],"MessageSystemAttributeNames":["SentTimestamp"],"MessageAttributeNames":["All"],"MaxNumberOfMessages":10,"WaitTimeSeconds":0,"VisibilityTimeout":30}`,
	`{"QueueUrl":"q","Tags":{"a":"b"}}`,
	`{"QueueUrl":"q","TagKeys":["a"]}`,
	`{"QueueUrl":"q","Label":"l","AWSAccountIds":["1"],"Actions":["*"]}`,
	`{"MessageAttributes":{"a":{"DataType":"String","StringListValues":["x",null],"BinaryListValues":["AQ==",null,""]}}}`,
	`{"queueurl":"case folded","TAGS":{"a":"1"},"Tags":{"b":"2"},"tags":{"c":"3"}}`,
	`{"Attributes":{"a":"1"},"Attributes":{"b":"2"},"MessageBody":"x","MessageBody":null}`,
	`{"MessageBody":"\ud800 lone surrogate \u0000"}`,
	"{\"MessageBody\":\"\xff\xfe invalid utf8\"}",
	`{"Entries":[null,{}]}`,
	`{"MaxNumberOfMessages":1e2}`,
	`{"MaxNumberOfMessages":99999999999999999999}`,
	`{`,
	`null`,
	``,
}

func FuzzDecodeQuery(f *testing.F) {
	for _, s := range fuzzQuerySeeds {
		f.Add(s)
	}
	for _, tt := range decodeEquivalenceTests {
		f.Add(tt.query)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			t.Skip()
		}
		in, err := decodeQuery(form)
		if err != nil {
			if in != nil {
				t.Fatalf("decodeQuery returned both %+v and error %v", in, err)
			}
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("json.Marshal(decoded query): %v", err)
		}
		again, err := decodeJSON(b)
		if err != nil {
			t.Fatalf("decodeJSON of re-encoded query input %s: %v", b, err)
		}
		if !reflect.DeepEqual(in, again) {
			t.Fatalf("query -> JSON -> decodeJSON changed the input\nquery: %s\njson:  %s", codecDump(in), codecDump(again))
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range fuzzJSONSeeds {
		f.Add(s)
	}
	for _, tt := range decodeEquivalenceTests {
		f.Add(tt.json)
	}
	f.Fuzz(func(t *testing.T, body string) {
		in, err := decodeJSON([]byte(body))
		if err != nil {
			if in != nil {
				t.Fatalf("decodeJSON returned both %+v and error %v", in, err)
			}
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("json.Marshal(decoded input): %v", err)
		}
		again, err := decodeJSON(b)
		if err != nil {
			t.Fatalf("decodeJSON of its own output %s: %v", b, err)
		}
		if !reflect.DeepEqual(in, again) {
			t.Fatalf("decodeJSON not idempotent\nfirst:  %s\nsecond: %s", codecDump(in), codecDump(again))
		}
	})
}

// FuzzEncodeJSONString checks the hand-written JSON string encoder against
// encoding/json: the output is valid JSON that decodes to what
// encoding/json's own encoding decodes to.
func FuzzEncodeJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `<&>"'\`, "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("invalid JSON %s for %q: %v", out, s, err)
		}
		ref, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Fatalf("%q encoded as %s decodes to %q, want %q", s, out, got, want)
		}
	})
}
