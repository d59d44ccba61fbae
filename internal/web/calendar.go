package web

import (
	"context"
	"net/http"
)

// calendarRoutes mounts the calendar pages and the iCal feed.
func (h *Handler) calendarRoutes(mux *http.ServeMux) {}

// feedURL returns the secret URL of the iCal feed ("" when the feed is
// disabled). The settings page shows it.
func (h *Handler) feedURL(ctx context.Context) (string, error) { return "", nil }
