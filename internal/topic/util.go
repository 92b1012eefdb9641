package topic

import (
	"encoding/base64"
	"sort"

	"github.com/abanico/abanico/internal/awsproto"
)

func appendJSONString(b []byte, s string) []byte { return awsproto.AppendJSONString(b, s) }

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sortedAttrNames(attrs map[string]MessageAttribute) []string {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
