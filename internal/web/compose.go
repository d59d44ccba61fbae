package web

import "net/http"

// composeRoutes mounts the compose pages.
func (h *Handler) composeRoutes(mux *http.ServeMux) {}
