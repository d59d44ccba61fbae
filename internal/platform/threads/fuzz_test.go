package threads

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// addFixtures seeds f with every recorded answer in testdata.
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

func fuzzResponse(status int, ct string, body []byte, mutating bool) *platform.Response {
	return platform.NewResponse(status, http.Header{"Content-Type": {ct}}, body,
		&platform.Request{Op: "fuzz", Token: testToken, Mutating: mutating, Redact: []string{testSecret}})
}

// checkErr fails on an unclassified error or one that shows a secret.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if platform.KindOf(err) == 0 {
		t.Fatalf("unclassified error: %v", err)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("secret in error: %v", err)
	}
}

// FuzzRefusal runs any answer through the Graph check and the plain-words
// rewrite: every refusal is classified, has a reason and shows no secret.
func FuzzRefusal(f *testing.F) {
	addFixtures(f, func(b []byte) {
		f.Add(400, "application/json", b, true)
		f.Add(200, "text/javascript", b, false)
	})
	f.Add(400, "application/json", []byte(`{"error":{"message":"bad `+testToken+`","error_user_title":"THREADS_API__LINK_LIMIT_EXCEEDED","code":100}}`), false)
	g := &meta.Graph{HTTP: platform.NewHTTPClient(platform.HTTPOptions{}), Now: func() time.Time { return testNow }}
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, mutating bool) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		resp := fuzzResponse(status, ct, body, mutating)
		err := g.Decode(resp, nil)
		if err == nil {
			if !resp.OK() {
				t.Fatalf("HTTP %d accepted", status)
			}
			return
		}
		err = plainWords(err, meta.ParseError(body))
		checkErr(t, err)
		if pe, ok := err.(*platform.Error); !ok || pe.Reason == "" {
			t.Fatalf("no reason: %v", err)
		}
	})
}

func FuzzDecodeContainer(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		ct, err := decodeContainer(fuzzResponse(200, "application/json", body, false), "18000000000000001")
		checkErr(t, err)
		if err != nil {
			return
		}
		switch ct.Status {
		case meta.InProgress, meta.Finished, meta.Published:
		case meta.Failed, meta.Expired:
			// Every failed container is either retried with new containers
			// or refused with a reason.
			e := containerFailed(&spec{n: 1, parts: 1}, ct, "")
			if _, again := e.(*newGeneration); !again {
				checkErr(t, e)
			}
			if e.Error() == "" {
				t.Fatal("no reason")
			}
		default:
			t.Fatalf("undocumented status %q accepted", ct.Status)
		}
	})
}

func FuzzDecodeID(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b, true) })
	f.Fuzz(func(t *testing.T, body []byte, mutating bool) {
		id, err := decodeID(fuzzResponse(200, "application/json", body, mutating))
		checkErr(t, err)
		if err == nil && !validID(id) {
			t.Fatalf("invalid id %q accepted", id)
		}
		if err != nil && mutating && platform.KindOf(err) != platform.KindOutcomeUnknown {
			t.Fatalf("a bad answer to a publish must be outcome-unknown: %v", err)
		}
	})
}

func FuzzDecodePosts(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := decodePosts(fuzzResponse(200, "application/json", body, false))
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, p := range l.Data {
			if !validID(string(p.ID)) {
				t.Fatalf("invalid id %q kept", p.ID)
			}
			_ = p.remote()
		}
		for _, want := range []lookFor{{text: "Part two", reply: true, inReplyTo: "1", root: "2"}, {text: "Hello", since: testNow}} {
			if p, _ := want.match(l.Data); p != nil && !meta.SameText(want.text, p.Text) {
				t.Fatalf("matched %q for %q", p.Text, want.text)
			}
		}
		l.Paging.More()
	})
}

func FuzzDecodeQuotas(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := decodeQuotas(fuzzResponse(200, "application/json", body, false))
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, x := range []*platform.Quota{&q.Posts, q.Replies} {
			if x != nil && (x.Used < 0 || x.Total <= 0 || x.Window <= 0 || x.Left() < 0) {
				t.Fatalf("quota %+v", x)
			}
		}
	})
}

func FuzzDecodeProfile(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeProfile(fuzzResponse(200, "application/json", body, false))
		checkErr(t, err)
		if err == nil && (!validID(p.RemoteID) || p.Handle == "") {
			t.Fatalf("bad profile accepted: %+v", p)
		}
	})
}

func FuzzInsights(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := meta.DecodeInsights(body)
		if err != nil {
			return
		}
		v, notes := metricValues(raw)
		if v == nil {
			if notes != nil {
				t.Fatal("notes without values")
			}
			return
		}
		if len(v) == 0 || len(notes) > len(insightMetrics) {
			t.Fatalf("values %v notes %v", v, notes)
		}
		if r, ok := v["replies"]; ok && v["comments"] != r {
			t.Fatalf("comments %d, replies %d", v["comments"], r)
		}
	})
}
