package web

import "net/http"

// analyticsRoutes mounts the analytics pages.
func (h *Handler) analyticsRoutes(mux *http.ServeMux) {}
