package web

import "net/http"

// settingsRoutes mounts the settings pages.
func (h *Handler) settingsRoutes(mux *http.ServeMux) {}
