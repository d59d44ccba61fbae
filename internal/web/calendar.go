package web

import "net/http"

// calendarRoutes mounts the calendar pages.
func (h *Handler) calendarRoutes(mux *http.ServeMux) {}
