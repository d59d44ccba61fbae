package x

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
)

// addFixtures seeds f with every recorded response in testdata.
func addFixtures(f *testing.F, add func(body []byte)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

func fuzzResponse(status int, body []byte, mutating bool) *platform.Response {
	return platform.NewResponse(status, http.Header{"Content-Type": {"application/json"}}, body,
		&platform.Request{Op: "fuzz", Token: testToken, Mutating: mutating})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if platform.KindOf(err) == 0 {
		t.Fatalf("unclassified error: %v", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Fatalf("token in error: %v", err)
	}
}

func FuzzDecodeError(f *testing.F) {
	addFixtures(f, func(b []byte) {
		f.Add(403, "application/json", b, true)
		f.Add(502, "text/html", b, false)
	})
	f.Add(401, "application/problem+json", []byte(`{"detail":"`+testToken+`"}`), false)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, mutating bool) {
		if status < 400 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		resp := platform.NewResponse(status, http.Header{"Content-Type": {ct}}, body,
			&platform.Request{Op: "fuzz", Token: testToken, Mutating: mutating})
		e := ClassifyResponse(resp)
		if e.Kind < platform.KindTransient || e.Kind > platform.KindRejected {
			t.Fatalf("kind %v", e.Kind)
		}
		if e.Reason == "" {
			t.Fatal("empty reason")
		}
		checkErr(t, e)
	})
}

func FuzzDecodeCreated(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := decodeCreated(fuzzResponse(201, body, true))
		checkErr(t, err)
		if err == nil && !platform.ValidNumericID(id) {
			t.Fatalf("invalid id %q accepted", id)
		}
		if err != nil && platform.KindOf(err) != platform.KindOutcomeUnknown {
			t.Fatalf("a bad 201 to a post must be outcome-unknown: %v", err)
		}
	})
}

func FuzzDecodeMedia(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		id, _, err := decodeMedia(fuzzResponse(200, body, false))
		checkErr(t, err)
		if err == nil && !platform.ValidNumericID(id) {
			t.Fatalf("invalid id %q accepted", id)
		}
	})
}

func FuzzDecodeTweets(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := decodeTweets(fuzzResponse(200, body, false))
		checkErr(t, err)
		if err != nil {
			return
		}
		ids := []string{"1", "1234567890"}
		for _, tw := range l.Data {
			ids = append(ids, string(tw.ID))
			_ = normalizeText(tw.Text)
			_, _ = tw.created(), tw.inReplyTo()
		}
		m := metricsFromList(l, ids)
		for _, id := range ids {
			r, ok := m[id]
			if !ok || (r.Err == nil) == (r.Values == nil) {
				t.Fatalf("id %s: %+v", id, r)
			}
		}
	})
}

func FuzzDecodeProfile(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeProfile(fuzzResponse(200, body, false))
		checkErr(t, err)
		if err == nil && (!platform.ValidNumericID(p.RemoteID) || p.Handle == "") {
			t.Fatalf("bad profile accepted: %+v", p)
		}
	})
}
