package nativeapi

import (
	"encoding/json"
	"net/http"
	"sync"
)

// The OpenAPI document is written out here, apart from the route table;
// a test keeps the two in step.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str() obj              { return obj{"type": "string"} }
func integer() obj          { return obj{"type": "integer"} }
func boolean() obj          { return obj{"type": "boolean"} }
func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }
func mapOf(values obj) obj  { return obj{"type": "object", "additionalProperties": values} }

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": str()}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func jsonResponse(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

func noContent(desc string) obj { return obj{"description": desc} }

// errorResponses are the failures every operation may answer with.
func errorResponses(statuses ...string) obj {
	desc := map[string]string{
		"400": "invalid_parameter: the request is invalid; field names the part at fault",
		"404": "not_found: the resource does not exist",
		"409": "conflict: the resource exists or is in a conflicting state",
		"413": "too_large: the request is too large",
		"429": "throttled: retry later",
		"500": "internal: a server fault",
	}
	out := obj{}
	for _, s := range append(statuses, "500") {
		out[s] = jsonResponse(desc[s], ref("ErrorResponse"))
	}
	return out
}

func op(id, summary string, params []obj, body obj, ok obj, okStatus string, errs ...string) obj {
	resp := errorResponses(errs...)
	resp[okStatus] = ok
	o := obj{"operationId": id, "summary": summary, "responses": resp}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = body
	}
	return o
}

var (
	topicName    = pathParam("name", "topic name")
	queueName    = pathParam("name", "queue name")
	functionName = pathParam("name", "function name")
	subARN       = pathParam("arn", "subscription ARN (URL-escaped)")
	receipt      = pathParam("receiptHandle", "receipt handle of a received message (URL-escaped)")
	taskHandle   = pathParam("taskHandle", "handle of a redrive task (URL-escaped)")
)

func schemas() obj {
	attr := object([]string{"type", "value"}, obj{
		"type":  obj{"type": "string", "description": "String, Number, Binary or String.Array, optionally with a .custom suffix"},
		"value": obj{"type": "string", "description": "the value; base64 for Binary types"},
	})
	return obj{
		"Error": object([]string{"code", "message"}, obj{
			"code":    obj{"type": "string", "enum": []string{"not_found", "invalid_parameter", "conflict", "throttled", "too_large", "internal"}},
			"message": str(),
			"field":   obj{"type": "string", "description": "the request field at fault, when known"},
		}),
		"ErrorResponse": object([]string{"error"}, obj{"error": ref("Error")}),
		"Status": object(nil, obj{
			"version": str(),
			"engine": object(nil, obj{
				"mode":       obj{"type": "string", "enum": []string{"embedded", "cluster"}},
				"durability": obj{"type": "string", "enum": []string{"strict", "relaxed"}},
				"replicas":   integer(),
				"startedAt":  obj{"type": "string", "format": "date-time"},
			}),
			"counts": object(nil, obj{"topics": integer(), "subscriptions": integer(), "queues": integer(), "functions": integer()}),
			"busiest": obj{"type": "array", "description": "the (at most 10) subscriptions with the most messages waiting, most first; " +
				"only those with messages waiting or in flight", "items": object(nil, obj{
				"arn": str(), "topic": str(),
				"protocol": obj{"type": "string", "enum": []string{"queue", "http", "https", "function"}},
				"endpoint": str(),
				"backlog":  obj{"type": "integer", "description": "endpoint subscriptions: messages not yet handed out; queue subscriptions: the queue's visible messages"},
				"inFlight": obj{"type": "integer", "description": "endpoint subscriptions: messages being attempted; queue subscriptions: the queue's in-flight messages"},
			})},
		}),
		"MessageAttribute":  attr,
		"MessageAttributes": mapOf(ref("MessageAttribute")),
		"StringMap":         mapOf(str()),
		"Topic": object(nil, obj{
			"name": str(), "arn": str(), "attributes": ref("StringMap"), "tags": ref("StringMap"),
			"subscriptionsConfirmed": integer(), "subscriptionsPending": integer(),
		}),
		"CreateTopicRequest": object([]string{"name"}, obj{"name": str(), "attributes": ref("StringMap"), "tags": ref("StringMap")}),
		"AttributesRequest":  object(nil, obj{"attributes": ref("StringMap")}),
		"PublishRequest": object(nil, obj{
			"message": str(), "subject": str(),
			"structure":  obj{"type": "string", "enum": []string{"", "json"}},
			"attributes": ref("MessageAttributes"),
		}),
		"PublishBatchRequest": object([]string{"messages"}, obj{"messages": arrayOf(object([]string{"id"}, obj{
			"id": str(), "message": str(), "subject": str(),
			"structure":  obj{"type": "string", "enum": []string{"", "json"}},
			"attributes": ref("MessageAttributes"),
		}))}),
		"MessageID": object([]string{"messageId"}, obj{"messageId": str()}),
		"BatchResults": object([]string{"results"}, obj{"results": arrayOf(object([]string{"id"}, obj{
			"id": str(), "messageId": str(), "md5OfBody": str(), "error": ref("Error"),
		}))}),
		"SubscribeRequest": object([]string{"protocol", "endpoint"}, obj{
			"protocol":        obj{"type": "string", "enum": []string{"queue", "http", "https", "function"}},
			"endpoint":        obj{"type": "string", "description": "queue name, URL or function name"},
			"filterPolicy":    obj{"type": "object", "description": "SNS filter policy"},
			"filterScope":     obj{"type": "string", "enum": []string{"body", "attributes"}},
			"raw":             boolean(),
			"deadLetterQueue": obj{"type": "string", "description": "queue name"},
			"deliveryPolicy":  obj{"type": "object", "description": "SNS delivery policy"},
			"webhookSecret":   str(),
		}),
		"UpdateSubscriptionRequest": object(nil, obj{
			"filterPolicy":    obj{"type": "object", "nullable": true, "description": "SNS filter policy; null or {} removes it; absent: unchanged"},
			"filterScope":     obj{"type": "string", "enum": []string{"body", "attributes"}},
			"raw":             boolean(),
			"deadLetterQueue": obj{"type": "string", "description": "queue name; \"\" removes the redrive policy"},
			"deliveryPolicy":  obj{"type": "object", "nullable": true, "description": "SNS delivery policy; null removes it"},
			"webhookSecret":   obj{"type": "string", "description": "Standard Webhooks secret (whsec_...); \"\" removes it"},
		}),
		"Subscription": object(nil, obj{
			"arn": str(), "topic": str(),
			"protocol": obj{"type": "string", "enum": []string{"queue", "http", "https", "function"}},
			"endpoint": str(), "pending": boolean(), "attributes": ref("StringMap"),
		}),
		"Subscriptions": object([]string{"subscriptions"}, obj{"subscriptions": arrayOf(ref("Subscription"))}),
		"Topics":        object([]string{"topics"}, obj{"topics": arrayOf(ref("Topic"))}),
		"Attempts":      obj{"type": "object", "description": "recent delivery attempts, counters (delivered, failed, retried, deadLettered, dropped), backlog and in flight; breaker (circuit state) for http, https and function subscriptions only"},
		"Queue": object(nil, obj{
			"name": str(), "arn": str(), "attributes": ref("StringMap"), "tags": ref("StringMap"),
		}),
		"Queues": object([]string{"queues"}, obj{"queues": arrayOf(ref("Queue"))}),
		"CreateQueueRequest": object([]string{"name"}, obj{
			"name": str(), "attributes": ref("StringMap"), "tags": ref("StringMap"),
			"deadLetterQueue": object([]string{"name", "maxReceiveCount"}, obj{"name": str(), "maxReceiveCount": integer()}),
		}),
		"SendRequest": object(nil, obj{"body": str(), "attributes": ref("MessageAttributes"), "delaySeconds": integer()}),
		"SendBatchRequest": object([]string{"messages"}, obj{"messages": arrayOf(object([]string{"id"}, obj{
			"id": str(), "body": str(), "attributes": ref("MessageAttributes"), "delaySeconds": integer(),
		}))}),
		"SendResult": object([]string{"messageId", "md5OfBody"}, obj{"messageId": str(), "md5OfBody": str()}),
		"Messages": object([]string{"messages"}, obj{"messages": arrayOf(object(nil, obj{
			"messageId": str(), "receiptHandle": str(), "body": str(), "attributes": ref("MessageAttributes"),
			"receiveCount": integer(), "sentAt": obj{"type": "string", "format": "date-time"},
		}))}),
		"PeekedMessages": object([]string{"messages"}, obj{"messages": arrayOf(object(nil, obj{
			"messageId": str(), "sequence": integer(),
			"state":                 obj{"type": "string", "enum": []string{"visible", "inflight", "delayed"}},
			"receiveCount":          obj{"type": "integer", "description": "approximate: exact for receives through this server process, else 1 for a message received at least once"},
			"sentAt":                obj{"type": "string", "format": "date-time"},
			"visibleAt":             obj{"type": "string", "format": "date-time", "description": "when an in-flight or delayed message becomes visible, when known"},
			"firstReceivedAt":       obj{"type": "string", "format": "date-time"},
			"deadLetterSourceQueue": obj{"type": "string", "description": "for messages moved to a dead-letter queue: the queue they came from"},
			"body":                  str(), "attributes": ref("MessageAttributes"),
		}))}),
		"VisibilityRequest": object([]string{"visibilityTimeout"}, obj{"visibilityTimeout": integer()}),
		"RedriveRequest": object(nil, obj{
			"destination":          obj{"type": "string", "description": "queue name; absent: back to the source queues"},
			"maxMessagesPerSecond": obj{"type": "integer", "description": "1 to 500; absent or 0: as fast as the server can"},
		}),
		"TaskHandle": object([]string{"taskHandle"}, obj{"taskHandle": str()}),
		"RedriveTask": object([]string{"status", "movedMessages", "messagesToMove", "startedAt"}, obj{
			"taskHandle":           obj{"type": "string", "description": "in a listing, given for running tasks only"},
			"status":               obj{"type": "string", "enum": []string{"RUNNING", "COMPLETED", "CANCELLING", "CANCELLED", "FAILED"}},
			"destination":          obj{"type": "string", "description": "queue name; absent: back to the source queues"},
			"maxMessagesPerSecond": obj{"type": "integer", "description": "the pace asked for; absent: unbounded"},
			"movedMessages":        integer(),
			"messagesToMove":       obj{"type": "integer", "description": "messages in the queue when the task started"},
			"failureReason":        str(),
			"startedAt":            obj{"type": "string", "format": "date-time"},
		}),
		"RedriveTasks":  object([]string{"tasks"}, obj{"tasks": arrayOf(ref("RedriveTask"))}),
		"MovedMessages": object([]string{"movedMessages"}, obj{"movedMessages": integer()}),
		"Function": object(nil, obj{
			"name": str(), "arn": str(), "runtime": str(), "handler": str(), "timeout": integer(),
			"memorySize": integer(), "codeSha256": str(), "codeSize": integer(), "lastModified": str(),
			"reservedConcurrency": integer(), "environment": ref("StringMap"),
		}),
		"CreateFunctionRequest": object([]string{"name", "code"}, obj{
			"name":                str(),
			"runtime":             obj{"type": "string", "description": "a custom runtime (default provided.al2023)"},
			"handler":             obj{"type": "string", "description": "default bootstrap"},
			"timeout":             obj{"type": "integer", "description": "seconds, 1 to 900 (default 3)"},
			"memorySize":          obj{"type": "integer", "description": "MB, 128 to 10240 (default 128)"},
			"environment":         ref("StringMap"),
			"reservedConcurrency": obj{"type": "integer", "description": "concurrent executions reserved, 0 to 1000 (default: none)"},
			"code":                obj{"type": "string", "format": "byte", "description": "zip archive with an executable bootstrap at its root, base64"},
		}),
		"FunctionCodeRequest": object([]string{"code"}, obj{
			"code": obj{"type": "string", "format": "byte", "description": "zip archive with an executable bootstrap at its root, base64"},
		}),
		"UpdateFunctionRequest": object(nil, obj{
			"runtime": str(), "handler": str(), "timeout": integer(), "memorySize": integer(),
			"environment":               obj{"type": "object", "additionalProperties": str(), "description": "replaces every variable; absent: unchanged"},
			"reservedConcurrency":       obj{"type": "integer", "nullable": true, "description": "absent or null: unchanged"},
			"removeReservedConcurrency": obj{"type": "boolean", "description": "remove the reservation"},
		}),
		"Functions": object([]string{"functions"}, obj{"functions": arrayOf(ref("Function"))}),
		"InvokeResult": object(nil, obj{
			"payload":       obj{"description": "the function's response: JSON when it is JSON, else a string"},
			"functionError": str(), "logs": str(),
		}),
		"RequestID": object([]string{"requestId"}, obj{"requestId": str()}),
	}
}

func paths() obj {
	return obj{
		"/v1/openapi.json": obj{
			"get": op("getOpenAPI", "This document", nil, nil, jsonResponse("the OpenAPI document", obj{"type": "object"}), "200"),
		},
		"/v1/status": obj{
			"get": op("getStatus", "Version, engine, resource counts and the busiest subscriptions", nil, nil,
				jsonResponse("the status", ref("Status")), "200"),
		},
		"/v1/topics": obj{
			"post": op("createTopic", "Create a topic (or return the same one)", nil, jsonBody(ref("CreateTopicRequest")),
				jsonResponse("the topic", ref("Topic")), "201", "400"),
			"get": op("listTopics", "List topics", nil, nil, jsonResponse("every topic", ref("Topics")), "200"),
		},
		"/v1/topics/{name}": obj{
			"get": op("getTopic", "Get a topic", []obj{topicName}, nil, jsonResponse("the topic", ref("Topic")), "200", "400", "404"),
			"patch": op("updateTopic", "Set topic attributes", []obj{topicName}, jsonBody(ref("AttributesRequest")),
				jsonResponse("the topic", ref("Topic")), "200", "400", "404"),
			"delete": op("deleteTopic", "Delete a topic and its subscriptions", []obj{topicName}, nil, noContent("deleted (or absent)"), "204", "400"),
		},
		"/v1/topics/{name}/messages": obj{
			"post": op("publish", "Publish a message", []obj{topicName}, jsonBody(ref("PublishRequest")),
				jsonResponse("stored", ref("MessageID")), "201", "400", "404", "413"),
		},
		"/v1/topics/{name}/messages:batch": obj{
			"post": op("publishBatch", "Publish up to 10 messages", []obj{topicName}, jsonBody(ref("PublishBatchRequest")),
				jsonResponse("one result per entry", ref("BatchResults")), "200", "400", "404", "413"),
		},
		"/v1/topics/{name}/subscriptions": obj{
			"post": op("subscribe", "Subscribe a queue, URL or function", []obj{topicName}, jsonBody(ref("SubscribeRequest")),
				jsonResponse("the subscription", ref("Subscription")), "201", "400", "404"),
		},
		"/v1/subscriptions": obj{
			"get": op("listSubscriptions", "List subscriptions", []obj{queryParam("topic", "only this topic's", str())}, nil,
				jsonResponse("the subscriptions", ref("Subscriptions")), "200", "400", "404"),
		},
		"/v1/subscriptions/{arn}": obj{
			"get": op("getSubscription", "Get a subscription", []obj{subARN}, nil, jsonResponse("the subscription", ref("Subscription")), "200", "400", "404"),
			"patch": op("updateSubscription", "Change a subscription's options (absent fields stay; on a rejected one nothing changes)",
				[]obj{subARN}, jsonBody(ref("UpdateSubscriptionRequest")), jsonResponse("the subscription", ref("Subscription")), "200", "400", "404"),
			"delete": op("unsubscribe", "Delete a subscription", []obj{subARN}, nil, noContent("deleted (or absent)"), "204", "400"),
		},
		"/v1/subscriptions/{arn}/attempts": obj{
			"get": op("getAttempts", "Delivery attempts of a subscription (for a queue subscription: the copies stored in its queue)", []obj{subARN}, nil,
				jsonResponse("attempts and counters", ref("Attempts")), "200", "400", "404"),
		},
		"/v1/queues": obj{
			"post": op("createQueue", "Create a queue (or return the same one)", nil, jsonBody(ref("CreateQueueRequest")),
				jsonResponse("the queue", ref("Queue")), "201", "400", "409"),
			"get": op("listQueues", "List queues", []obj{queryParam("prefix", "only names starting with it", str())}, nil,
				jsonResponse("the queues", ref("Queues")), "200"),
		},
		"/v1/queues/{name}": obj{
			"get": op("getQueue", "Get a queue", []obj{queueName}, nil, jsonResponse("the queue", ref("Queue")), "200", "404"),
			"patch": op("updateQueue", "Set queue attributes", []obj{queueName}, jsonBody(ref("AttributesRequest")),
				jsonResponse("the queue", ref("Queue")), "200", "400", "404"),
			"delete": op("deleteQueue", "Delete a queue and its messages", []obj{queueName}, nil, noContent("deleted"), "204", "404"),
		},
		"/v1/queues/{name}/purge": obj{
			"post": op("purgeQueue", "Delete every message of a queue", []obj{queueName}, nil, noContent("purged"), "204", "404", "429"),
		},
		"/v1/queues/{name}/messages": obj{
			"post": op("sendMessage", "Send a message", []obj{queueName}, jsonBody(ref("SendRequest")),
				jsonResponse("stored", ref("SendResult")), "201", "400", "404", "413"),
			"get": op("receiveMessages", "Receive messages (long polling)", []obj{queueName,
				queryParam("max", "1 to 10 (default 1)", integer()),
				queryParam("wait", "seconds to wait for a message, 0 to 20", integer()),
				queryParam("visibility", "visibility timeout in seconds", integer()),
				queryParam("delete", "delete the messages before answering", boolean()),
			}, nil, jsonResponse("the messages", ref("Messages")), "200", "400", "404"),
		},
		"/v1/queues/{name}/messages:peek": obj{
			"get": op("peekMessages", "Look at a queue's messages without receiving them: visible first, then in flight, then delayed; "+
				"receive counts, visibility and receipt handles are untouched (at most the first 1000 stored messages are looked at)",
				[]obj{queueName, queryParam("max", "1 to 100 (default 10)", integer())}, nil,
				jsonResponse("the messages, each with its state", ref("PeekedMessages")), "200", "400", "404"),
		},
		"/v1/queues/{name}/messages:batch": obj{
			"post": op("sendMessageBatch", "Send up to 10 messages", []obj{queueName}, jsonBody(ref("SendBatchRequest")),
				jsonResponse("one result per entry", ref("BatchResults")), "200", "400", "404", "413"),
		},
		"/v1/queues/{name}/messages/{receiptHandle}": obj{
			"delete": op("deleteMessage", "Delete a received message", []obj{queueName, receipt}, nil, noContent("deleted"), "204", "400", "404"),
			"patch": op("changeVisibility", "Change a received message's visibility timeout", []obj{queueName, receipt},
				jsonBody(ref("VisibilityRequest")), noContent("changed"), "204", "400", "404"),
		},
		"/v1/queues/{name}/redrive": obj{
			"post": op("redrive", "Move a dead-letter queue's messages", []obj{queueName}, obj{
				"required": false, "content": obj{"application/json": obj{"schema": ref("RedriveRequest")}},
			}, jsonResponse("started", ref("TaskHandle")), "202", "400", "404"),
			"get": op("listRedriveTasks", "A dead-letter queue's most recent redrive tasks, newest first (handles of running tasks only)",
				[]obj{queueName, queryParam("max", "1 to 10 (default 10)", integer())}, nil,
				jsonResponse("the tasks", ref("RedriveTasks")), "200", "400", "404"),
		},
		"/v1/queues/{name}/redrive/{taskHandle}": obj{
			"get": op("getRedriveTask", "A redrive task, whatever its status", []obj{queueName, taskHandle}, nil,
				jsonResponse("the task", ref("RedriveTask")), "200", "404"),
			"delete": op("cancelRedrive", "Cancel a running redrive task (the messages not moved stay)", []obj{queueName, taskHandle}, nil,
				jsonResponse("cancelled", ref("MovedMessages")), "200", "400", "404"),
		},
		"/v1/functions": obj{
			"post": op("createFunction", "Create a function from a zip archive", nil, jsonBody(ref("CreateFunctionRequest")),
				jsonResponse("the function", ref("Function")), "201", "400", "409", "413"),
			"get": op("listFunctions", "List functions", nil, nil, jsonResponse("the functions", ref("Functions")), "200"),
		},
		"/v1/functions/{name}": obj{
			"get": op("getFunction", "Get a function", []obj{functionName}, nil, jsonResponse("the function", ref("Function")), "200", "400", "404"),
			"patch": op("updateFunction", "Change a function's configuration (absent fields stay)", []obj{functionName},
				jsonBody(ref("UpdateFunctionRequest")), jsonResponse("the function", ref("Function")), "200", "400", "404"),
			"delete": op("deleteFunction", "Delete a function", []obj{functionName}, nil, noContent("deleted"), "204", "400", "404"),
		},
		"/v1/functions/{name}/code": obj{
			"put": op("updateFunctionCode", "Replace a function's code", []obj{functionName}, jsonBody(ref("FunctionCodeRequest")),
				jsonResponse("the function", ref("Function")), "200", "400", "404", "413"),
		},
		"/v1/functions/{name}/invocations": obj{
			"post": func() obj {
				o := op("invokeFunction", "Invoke a function with the request body as payload", []obj{functionName,
					queryParam("type", "invocation type", obj{"type": "string", "enum": []string{"RequestResponse", "Event", "DryRun"}}),
				}, obj{"required": false, "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}},
					jsonResponse("the result (RequestResponse)", ref("InvokeResult")), "200", "400", "404", "413", "429")
				r := o["responses"].(obj)
				r["202"] = jsonResponse("queued (Event)", ref("RequestID"))
				r["204"] = noContent("the call would succeed (DryRun)")
				return o
			}(),
		},
		"/v1/functions/{name}/logs": obj{
			"get": op("getFunctionLogs", "Tail of a function's captured log", []obj{functionName,
				queryParam("bytes", "at most this many bytes", integer()),
			}, nil, obj{"description": "the log tail", "content": obj{"text/plain": obj{"schema": str()}}}, "200", "400", "404"),
		},
	}
}

// openAPIDocument builds the OpenAPI 3.0.3 description of the API.
func openAPIDocument() obj {
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Abanico native API",
			"version":     "1",
			"description": "Topics, subscriptions, queues and functions by name (subscriptions by ARN), as JSON.",
		},
		"paths":      paths(),
		"components": obj{"schemas": schemas()},
	}
}

var openAPIJSON = sync.OnceValues(func() ([]byte, error) { return json.Marshal(openAPIDocument()) })

func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	b, err := openAPIJSON()
	if err != nil {
		h.writeError(w, err, "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
