package web

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/server"
	"github.com/sns-os/snsos/internal/store"
)

// TestPageDeadline503: with every connection of the read pool held by
// reads that do not end, a page waits for a reader only until its
// deadline and then answers 503 in the operator's language, saying what
// to do; once the readers are free the same page loads. (That publishing
// goes on meanwhile is internal/publish's TestPublishWhileReadsHeld.)
func TestPageDeadline503(t *testing.T) {
	e := newTestEnv(t, "pw")
	h := New(Config{Store: e.store, Now: e.clock.Now})
	s := server.New(server.Options{Mount: h.Routes, Context: store.ReadPool, PageTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := e.client(t)
	if resp, _ := do(t, c, "POST", srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}

	held := holdReads(t, e.store)
	for lang, want := range map[string]string{
		"en": "took too long to load",
		"ja": "時間がかかりすぎた",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/posts", nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, want) || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: /posts with the read pool full: %d %q", lang, resp.StatusCode, body)
		}
	}
	for _, r := range held {
		r.Close()
	}
	if resp, body := do(t, c, "GET", srv.URL+"/posts", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("/posts with the pool free: %d\n%s", resp.StatusCode, body)
	}
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
