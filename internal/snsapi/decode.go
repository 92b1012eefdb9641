package snsapi

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/abanico/abanico/internal/topic"
)

// The SNS query protocol (botocore model sns/2010-03-31) serializes
// parameters without flattening:
//
//	lists:   Name.member.N                  (TagKeys.member.1, AWSAccountId.member.1)
//	structs: Name.member.N.Field            (Tags.member.1.Key, PublishBatchRequestEntries.member.1.Id)
//	maps:    Name.entry.N.key, .value       (Attributes.entry.1.key)
//	message attributes: MessageAttributes.entry.N.Name and
//	         MessageAttributes.entry.N.Value.{DataType,StringValue,BinaryValue}
//
// An empty list is sent as the bare name with an empty value (Tags=).
//
// Every action's parameters are decoded into a plain input value (no
// service involved), checked for the parameters SNS requires, and only
// then handed to the topic service.

func invalidParameter(msg string) *topic.Error {
	return &topic.Error{Code: topic.CodeInvalidParameter, Message: "Invalid parameter: " + msg}
}

// required returns a parameter that must be present and not empty.
func required(form url.Values, name string) (string, error) {
	v := form.Get(name)
	if v == "" {
		return "", invalidParameter(name)
	}
	return v, nil
}

// present reports whether name or any name.<...> parameter is in form.
func present(form url.Values, name string) bool {
	if _, ok := form[name]; ok {
		return true
	}
	p := name + "."
	for k := range form {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// indexes returns the distinct N of parameters named prefix.N or
// prefix.N.<...>, in numeric order. Only canonical positive numbers count
// (no sign, no leading zero), so that every index names one parameter.
func indexes(form url.Values, prefix string) []string {
	p := prefix + "."
	var nums []int
	for k := range form {
		if !strings.HasPrefix(k, p) {
			continue
		}
		num, _, _ := strings.Cut(k[len(p):], ".")
		if num == "" || len(num) > 9 || num[0] < '1' || num[0] > '9' {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	nums = slices.Compact(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// stringList decodes Name.member.N.
func stringList(form url.Values, name string) []string {
	var out []string
	p := name + ".member."
	for _, i := range indexes(form, name+".member") {
		if v, ok := form[p+i]; ok {
			out = append(out, v[0])
		}
	}
	return out
}

// tagList decodes Name.member.N.Key / Name.member.N.Value into a map. An
// entry without a Key gets the empty key, which the service rejects.
func tagList(form url.Values, name string) map[string]string {
	idx := indexes(form, name+".member")
	if len(idx) == 0 {
		return nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		p := name + ".member." + i + "."
		out[form.Get(p+"Key")] = form.Get(p + "Value")
	}
	return out
}

// stringMap decodes Name.entry.N.key / Name.entry.N.value (the model's
// default map member names; Key/Value are accepted too). Entries without
// a key are ignored.
func stringMap(form url.Values, name string) map[string]string {
	idx := indexes(form, name+".entry")
	if len(idx) == 0 {
		return nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		p := name + ".entry." + i + "."
		k, ok := form[p+"key"]
		if !ok {
			if k, ok = form[p+"Key"]; !ok {
				continue
			}
		}
		v, ok := form[p+"value"]
		if !ok {
			v = form[p+"Value"]
		}
		val := ""
		if len(v) > 0 {
			val = v[0]
		}
		out[k[0]] = val
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// messageAttributes decodes Name.entry.N.Name and
// Name.entry.N.Value.{DataType,StringValue,BinaryValue} (base64).
func messageAttributes(form url.Values, name string) (map[string]topic.MessageAttribute, error) {
	idx := indexes(form, name+".entry")
	if len(idx) == 0 {
		return nil, nil
	}
	out := make(map[string]topic.MessageAttribute, len(idx))
	for _, i := range idx {
		p := name + ".entry." + i + "."
		n, ok := form[p+"Name"]
		if !ok {
			continue
		}
		a := topic.MessageAttribute{
			DataType:    form.Get(p + "Value.DataType"),
			StringValue: form.Get(p + "Value.StringValue"),
		}
		if b, ok := form[p+"Value.BinaryValue"]; ok {
			v, err := decodeBase64(b[0])
			if err != nil {
				return nil, &topic.Error{Code: topic.CodeInvalidParameterValue,
					Message: "The message attribute '" + n[0] + "' has an invalid binary value: it is not valid base64."}
			}
			a.BinaryValue = v
		}
		out[n[0]] = a
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if b == nil && err == nil {
		b = []byte{}
	}
	return b, err
}

// parseBool parses a query-protocol boolean; absent is false.
func parseBool(form url.Values, name string) (bool, error) {
	v, ok := form[name]
	if !ok || v[0] == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v[0])) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidParameter(name + " Reason: must be true or false")
}

// Action inputs.

type createTopicInput struct {
	Name       string
	Attributes map[string]string
	Tags       map[string]string
}

func decodeCreateTopic(form url.Values) (createTopicInput, error) {
	in := createTopicInput{Name: form.Get("Name"), Attributes: stringMap(form, "Attributes"), Tags: tagList(form, "Tags")}
	if in.Name == "" {
		return in, invalidParameter("Topic Name")
	}
	if dp, ok := form["DataProtectionPolicy"]; ok && dp[0] != "" {
		if in.Attributes == nil {
			in.Attributes = map[string]string{}
		}
		in.Attributes["DataProtectionPolicy"] = dp[0]
	}
	return in, nil
}

type topicArnInput struct{ TopicArn string }

func decodeTopicArn(form url.Values) (topicArnInput, error) {
	arn, err := required(form, "TopicArn")
	return topicArnInput{TopicArn: arn}, err
}

type listInput struct{ NextToken string }

func decodeList(form url.Values) (listInput, error) {
	return listInput{NextToken: form.Get("NextToken")}, nil
}

type listByTopicInput struct{ TopicArn, NextToken string }

func decodeListByTopic(form url.Values) (listByTopicInput, error) {
	arn, err := required(form, "TopicArn")
	return listByTopicInput{TopicArn: arn, NextToken: form.Get("NextToken")}, err
}

// setAttributeInput is SetTopicAttributes and SetSubscriptionAttributes;
// Arn is the TopicArn or SubscriptionArn. A missing AttributeValue is the
// empty value (it clears the attribute).
type setAttributeInput struct{ Arn, AttributeName, AttributeValue string }

func decodeSetAttribute(arnParam string) func(url.Values) (setAttributeInput, error) {
	return func(form url.Values) (setAttributeInput, error) {
		in := setAttributeInput{Arn: form.Get(arnParam), AttributeName: form.Get("AttributeName"), AttributeValue: form.Get("AttributeValue")}
		if in.Arn == "" {
			return in, invalidParameter(arnParam)
		}
		if in.AttributeName == "" {
			return in, invalidParameter("AttributeName")
		}
		return in, nil
	}
}

type subscribeInput struct {
	TopicArn, Protocol, Endpoint string
	Attributes                   map[string]string
	ReturnSubscriptionArn        bool
}

func decodeSubscribe(form url.Values) (subscribeInput, error) {
	in := subscribeInput{
		TopicArn: form.Get("TopicArn"), Protocol: form.Get("Protocol"), Endpoint: form.Get("Endpoint"),
		Attributes: stringMap(form, "Attributes"),
	}
	if in.TopicArn == "" {
		return in, invalidParameter("TopicArn")
	}
	if in.Protocol == "" {
		return in, invalidParameter("Protocol")
	}
	var err error
	in.ReturnSubscriptionArn, err = parseBool(form, "ReturnSubscriptionArn")
	return in, err
}

type confirmSubscriptionInput struct {
	TopicArn, Token           string
	AuthenticateOnUnsubscribe bool
}

func decodeConfirmSubscription(form url.Values) (confirmSubscriptionInput, error) {
	in := confirmSubscriptionInput{
		TopicArn: form.Get("TopicArn"), Token: form.Get("Token"),
		// A string in the model: "true" asks for authenticated unsubscribes.
		AuthenticateOnUnsubscribe: strings.EqualFold(strings.TrimSpace(form.Get("AuthenticateOnUnsubscribe")), "true"),
	}
	if in.TopicArn == "" {
		return in, invalidParameter("TopicArn")
	}
	if in.Token == "" {
		return in, invalidParameter("Token")
	}
	return in, nil
}

type subscriptionArnInput struct{ SubscriptionArn string }

func decodeSubscriptionArn(form url.Values) (subscriptionArnInput, error) {
	arn, err := required(form, "SubscriptionArn")
	return subscriptionArnInput{SubscriptionArn: arn}, err
}

// decodePublishFields decodes the members Publish and a PublishBatch entry
// share, under prefix.
func decodePublishFields(form url.Values, prefix string) (topic.PublishInput, error) {
	in := topic.PublishInput{
		Message:                form.Get(prefix + "Message"),
		Subject:                form.Get(prefix + "Subject"),
		MessageStructure:       form.Get(prefix + "MessageStructure"),
		MessageGroupID:         form.Get(prefix + "MessageGroupId"),
		MessageDeduplicationID: form.Get(prefix + "MessageDeduplicationId"),
	}
	var err error
	in.MessageAttributes, err = messageAttributes(form, prefix+"MessageAttributes")
	return in, err
}

// decodePublish resolves the destination: TopicArn, or a TargetArn that
// names a topic. Platform endpoints and phone numbers are not supported.
func decodePublish(form url.Values) (topic.PublishInput, error) {
	in, err := decodePublishFields(form, "")
	if err != nil {
		return in, err
	}
	topicArn, targetArn, phone := form.Get("TopicArn"), form.Get("TargetArn"), form.Get("PhoneNumber")
	switch {
	case phone != "":
		return in, invalidParameter("PhoneNumber Reason: SMS delivery is not supported")
	case topicArn != "" && targetArn != "":
		return in, invalidParameter("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
	case topicArn != "":
		in.TopicArn = topicArn
	case targetArn != "":
		if parts := strings.Split(targetArn, ":"); len(parts) == 6 && strings.HasPrefix(parts[5], "endpoint/") {
			return in, invalidParameter("TargetArn Reason: platform application endpoints are not supported")
		}
		in.TopicArn = targetArn
	default:
		return in, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	return in, nil
}

type publishBatchInput struct {
	TopicArn string
	Entries  []topic.PublishInput
}

// decodePublishBatch decodes PublishBatchRequestEntries.member.N.*. The
// batch rules (empty, more than 10, ids distinct and well formed) are the
// service's: it checks them after the topic exists, as SNS does.
func decodePublishBatch(form url.Values) (publishBatchInput, error) {
	in := publishBatchInput{TopicArn: form.Get("TopicArn")}
	if in.TopicArn == "" {
		return in, invalidParameter("TopicArn")
	}
	const name = "PublishBatchRequestEntries.member"
	for _, i := range indexes(form, name) {
		p := name + "." + i + "."
		e, err := decodePublishFields(form, p)
		if err != nil {
			return in, err
		}
		e.ID = form.Get(p + "Id")
		e.TopicArn = in.TopicArn
		in.Entries = append(in.Entries, e)
	}
	return in, nil
}

type tagResourceInput struct {
	ResourceArn string
	Tags        map[string]string
}

func decodeTagResource(form url.Values) (tagResourceInput, error) {
	in := tagResourceInput{ResourceArn: form.Get("ResourceArn"), Tags: tagList(form, "Tags")}
	if in.ResourceArn == "" {
		return in, invalidParameter("ResourceArn")
	}
	if !present(form, "Tags") {
		return in, invalidParameter("Tags")
	}
	return in, nil
}

type untagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

func decodeUntagResource(form url.Values) (untagResourceInput, error) {
	in := untagResourceInput{ResourceArn: form.Get("ResourceArn"), TagKeys: stringList(form, "TagKeys")}
	if in.ResourceArn == "" {
		return in, invalidParameter("ResourceArn")
	}
	if !present(form, "TagKeys") {
		return in, invalidParameter("TagKeys")
	}
	return in, nil
}

type resourceArnInput struct{ ResourceArn string }

func decodeResourceArn(form url.Values) (resourceArnInput, error) {
	arn, err := required(form, "ResourceArn")
	return resourceArnInput{ResourceArn: arn}, err
}

type addPermissionInput struct {
	TopicArn, Label string
	AWSAccountIDs   []string
	ActionNames     []string
}

func decodeAddPermission(form url.Values) (addPermissionInput, error) {
	in := addPermissionInput{
		TopicArn: form.Get("TopicArn"), Label: form.Get("Label"),
		AWSAccountIDs: stringList(form, "AWSAccountId"), ActionNames: stringList(form, "ActionName"),
	}
	switch {
	case in.TopicArn == "":
		return in, invalidParameter("TopicArn")
	case in.Label == "":
		return in, invalidParameter("Label")
	case len(in.AWSAccountIDs) == 0:
		return in, invalidParameter("AWSAccountId")
	case len(in.ActionNames) == 0:
		return in, invalidParameter("ActionName")
	}
	return in, nil
}

type removePermissionInput struct{ TopicArn, Label string }

func decodeRemovePermission(form url.Values) (removePermissionInput, error) {
	in := removePermissionInput{TopicArn: form.Get("TopicArn"), Label: form.Get("Label")}
	if in.TopicArn == "" {
		return in, invalidParameter("TopicArn")
	}
	if in.Label == "" {
		return in, invalidParameter("Label")
	}
	return in, nil
}
