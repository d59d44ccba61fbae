package platform

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		ct       string
		body     string
		mutating bool
		wantKind Kind // 0: success
	}{
		{"ok", 200, "application/json", `{"id":"1"}`, false, 0},
		{"problem json", 400, "application/problem+json", `{"id":"1"}`, false, 0},
		{"no content type", 200, "", `{"id":"1"}`, false, 0},
		{"html on 200 get", 200, "text/html", `<html>oops</html>`, false, KindTransient},
		{"html on 200 post", 200, "text/html; charset=utf-8", `<html>oops</html>`, true, KindOutcomeUnknown},
		{"html on 503", 503, "text/html", `<html>oops</html>`, false, KindTransient},
		{"html on 403", 403, "text/html", `<html>denied</html>`, false, KindRejected},
		{"truncated", 200, "application/json", `{"id":"1`, true, KindOutcomeUnknown},
		{"empty", 200, "application/json", ``, false, KindTransient},
		{"trailing", 200, "application/json", `{"id":"1"} {}`, false, KindTransient},
		{"float id", 200, "application/json", `{"id":1.5}`, false, KindTransient},
		{"exp id", 200, "application/json", `{"id":1e30}`, false, KindTransient},
		{"object id", 200, "application/json", `{"id":{}}`, false, KindTransient},
		{"xml", 200, "application/xml", `<a/>`, false, KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.ct != "" {
				h.Set("Content-Type", tt.ct)
			}
			resp := NewResponse(tt.status, h, []byte(tt.body), &Request{Op: "t", Mutating: tt.mutating})
			var v struct {
				ID ID `json:"id"`
			}
			err := DecodeJSON(resp, &v)
			if tt.wantKind == 0 {
				if err != nil || v.ID != "1" {
					t.Fatalf("DecodeJSON = %v, %+v", err, v)
				}
				return
			}
			if KindOf(err) != tt.wantKind || !errors.Is(err, ErrBadResponse) {
				t.Fatalf("DecodeJSON = %v (kind %v), want kind %v", err, KindOf(err), tt.wantKind)
			}
			if strings.Contains(tt.ct, "html") && !strings.Contains(err.Error(), "HTML") {
				t.Errorf("message should name the HTML page: %v", err)
			}
		})
	}
}

func TestIDBeyondFloat(t *testing.T) {
	t.Parallel()
	var v struct{ A, B, C ID }
	if err := Unmarshal([]byte(`{"A":18446744073709551615,"B":"1880028106020515840","C":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "18446744073709551615" || v.B != "1880028106020515840" || v.C != "" {
		t.Errorf("%+v", v)
	}
	for _, s := range []string{"", "01234567890123456789", "12a", "-1"} {
		if ValidNumericID(s) == (s != "" && len(s) <= 19 && !strings.ContainsAny(s, "a-")) {
			continue
		}
		t.Errorf("ValidNumericID(%q) wrong", s)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"id":"1","n":18446744073709551615}`))
	f.Add(502, "text/html", []byte(`<html>`))
	f.Add(200, "", []byte(`{"id":`))
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ct)
		resp := NewResponse(status, h, body, &Request{Mutating: status%2 == 0, Token: "tok-fuzz-secret"})
		var v struct {
			ID ID             `json:"id"`
			M  map[string]any `json:"m"`
		}
		if err := DecodeJSON(resp, &v); err != nil {
			if KindOf(err) == 0 {
				t.Fatalf("unclassified error %v", err)
			}
			_ = err.Error()
		}
	})
}
