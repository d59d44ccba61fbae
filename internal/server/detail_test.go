package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestReadyzDetail: a detail appears in /readyz's body and never changes
// its verdict, whether it works, fails, or the server is not ready.
func TestReadyzDetail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		ready     error
		detailErr error
		want      int
		wantValue any
	}{
		{"ready", nil, nil, http.StatusOK, map[string]any{"last_commit": "0123456789ab"}},
		{"detail fails", nil, errors.New("dial tcp 10.0.0.9: refused"), http.StatusOK, "unavailable"},
		{"not ready", errors.New("db down"), nil, http.StatusServiceUnavailable, map[string]any{"last_commit": "0123456789ab"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(Options{
				Ready: []Check{{Name: "database", Func: func(context.Context) error { return tt.ready }}},
				Details: []Detail{{Name: "archive", Func: func(context.Context) (any, error) {
					return map[string]string{"last_commit": "0123456789ab"}, tt.detailErr
				}}},
			})
			w := do(t, s.Handler(), "GET", "/readyz", nil)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if strings.Contains(w.Body.String(), "10.0.0.9") {
				t.Fatal("readyz shows the detail's error")
			}
			var body struct {
				Detail map[string]any `json:"detail"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(body.Detail["archive"])
			want, _ := json.Marshal(tt.wantValue)
			if string(got) != string(want) {
				t.Fatalf("detail %s, want %s", got, want)
			}
		})
	}
	// Without details, the body has none.
	s := New(Options{})
	if w := do(t, s.Handler(), "GET", "/readyz", nil); strings.Contains(w.Body.String(), "detail") {
		t.Fatalf("body %s", w.Body)
	}
}
