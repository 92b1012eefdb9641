package sqsapi

import "github.com/abanico/abanico/internal/awsproto"

// Short names for the response model shared with the other AWS front ends.
type (
	obj       = awsproto.Obj
	list      = awsproto.List
	strMap    = awsproto.StrMap
	attrMap   = awsproto.AttrMap
	attrValue = awsproto.AttrValue
	emptyList = awsproto.EmptyList
	xmlBuf    = awsproto.XMLBuf
)

var (
	f          = awsproto.F
	fx         = awsproto.FX
	encodeJSON = awsproto.EncodeJSON
)

// xmlns is the SQS query protocol's XML namespace.
const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/"

func encodeXML(action string, result obj, requestID string) []byte {
	return awsproto.EncodeXML(xmlns, action, result, requestID)
}

func appendJSONString(b []byte, s string) []byte { return awsproto.AppendJSONString(b, s) }
