package nativeapi

import "net/http"

// RoutePatterns returns the ServeMux pattern of every route.
func RoutePatterns() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.pattern()
	}
	return out
}

// MuxPattern returns the pattern the handler's mux matches r with.
func (h *Handler) MuxPattern(r *http.Request) string {
	_, p := h.mux.Handler(r)
	return p
}

// OpenAPIDocument exposes the OpenAPI document as served.
func OpenAPIDocument() ([]byte, error) { return openAPIJSON() }
