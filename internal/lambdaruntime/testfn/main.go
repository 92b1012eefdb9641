// Command testfn is a small AWS Lambda function for tests of local Lambda
// runtimes. Built as a custom runtime bootstrap (provided.al2023) it speaks
// the Lambda Runtime API through github.com/aws/aws-lambda-go/lambda and
// does what the "action" field of its JSON input asks:
//
//   - echo: returns the input unchanged
//   - sleep: sleeps "ms" milliseconds, then returns {"slept": ms}
//   - error: returns errors.New(msg), which the library reports via /error
//   - crash: exits with status 3 in the middle of the invocation
//   - panic: panics with msg (reported via /error, then the process exits)
//   - log: prints msg to stdout and to stderr, then returns
//   - later: returns at once and prints msg to stdout "ms" milliseconds later
//   - env: returns a few Lambda environment variables plus those in "names"
//   - context: returns the request id, invoked ARN, deadline, trace id and
//     client context custom values the runtime passed
//   - pid: returns the process id
//   - big: returns a JSON string of "bytes" x characters
//
// An SNS event (input with "Records") is answered with the number of records
// and their messages; a message equal to "fail" makes it return an error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Action  string          `json:"action"`
	Ms      int             `json:"ms"`
	Msg     string          `json:"msg"`
	Names   []string        `json:"names"`
	Bytes   int             `json:"bytes"`
	Records json.RawMessage `json:"Records"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("decode input: %w", err)
	}
	if len(req.Records) > 0 {
		return handleSNS(raw)
	}
	switch req.Action {
	case "echo":
		return raw, nil
	case "sleep":
		time.Sleep(time.Duration(req.Ms) * time.Millisecond)
		return map[string]int{"slept": req.Ms}, nil
	case "error":
		return nil, errors.New(req.Msg)
	case "crash":
		os.Exit(3)
	case "panic":
		panic(req.Msg)
	case "log":
		fmt.Println(req.Msg + " (stdout)")
		fmt.Fprintln(os.Stderr, req.Msg+" (stderr)")
		return map[string]bool{"logged": true}, nil
	case "later":
		go func() {
			time.Sleep(time.Duration(req.Ms) * time.Millisecond)
			fmt.Println(req.Msg)
		}()
		return map[string]bool{"scheduled": true}, nil
	case "env":
		names := append([]string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT"}, req.Names...)
		out := make(map[string]string, len(names))
		for _, n := range names {
			if v, ok := os.LookupEnv(n); ok {
				out[n] = v
			}
		}
		return out, nil
	case "context":
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return nil, errors.New("no lambda context")
		}
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"requestId":   lc.AwsRequestID,
			"functionArn": lc.InvokedFunctionArn,
			"deadlineMs":  deadline.UnixMilli(),
			"traceId":     os.Getenv("_X_AMZN_TRACE_ID"),
			"custom":      lc.ClientContext.Custom,
		}, nil
	case "pid":
		return map[string]int{"pid": os.Getpid()}, nil
	case "big":
		return strings.Repeat("x", req.Bytes), nil
	}
	return nil, fmt.Errorf("unknown action %q", req.Action)
}

func handleSNS(raw json.RawMessage) (any, error) {
	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decode SNS event: %w", err)
	}
	messages := make([]string, 0, len(ev.Records))
	for _, rec := range ev.Records {
		fmt.Println("sns-message: " + rec.SNS.Message)
		messages = append(messages, rec.SNS.Message)
	}
	for i, m := range messages {
		if m == "fail" {
			return nil, fmt.Errorf("record %d asked to fail", i)
		}
	}
	return map[string]any{"records": len(ev.Records), "messages": messages}, nil
}

func main() {
	lambda.Start(handle)
}
