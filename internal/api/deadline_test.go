package api_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/server"
	"github.com/sns-os/snsos/internal/store"
)

// TestReadDeadline503: behind internal/server's page deadline, an API read
// that cannot get a reader (every connection of the read pool held open)
// answers 503 problem+json with Retry-After, not 500 and not never; with
// the readers free again the same request succeeds.
func TestReadDeadline503(t *testing.T) {
	e := sqliteEnv(t)
	routes := e.srv.Config.Handler
	s := server.New(server.Options{PageTimeout: 200 * time.Millisecond, Context: store.ReadPool,
		Mount: func(mux *http.ServeMux) { mux.Handle("/api/", routes) }})
	e.srv.Config.Handler = s.Handler()

	held := holdReads(t, e.st)
	r := e.get(t, "/api/v1/posts")
	p := wantProblem(t, r, http.StatusServiceUnavailable)
	if !strings.HasSuffix(p.Type, "/timeout") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("problem %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
	}
	for _, rows := range held {
		rows.Close()
	}
	wantStatus(t, e.get(t, "/api/v1/posts"), http.StatusOK)
}

// holdReads opens one never-ending read per connection of the store's
// read pool.
func holdReads(t *testing.T, s *store.Store) []*sql.Rows {
	t.Helper()
	var held []*sql.Rows
	for range store.ReadConns {
		rows, err := s.ReadDB().QueryContext(t.Context(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n`)
		if err != nil || !rows.Next() {
			t.Fatalf("hold a read: %v", err)
		}
		held = append(held, rows)
	}
	t.Cleanup(func() {
		for _, r := range held {
			r.Close()
		}
	})
	return held
}
