package x

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   Fault
		status  int    // 0: the client sees a transport error
		body    string // substring of the body
		ctype   string // Content-Type prefix
		stored  bool   // whether the post was stored
		headers map[string]string
	}{
		{name: "500", fault: Fault{Kind: FaultStatus, Status: 500}, status: 500, body: `"title":"Internal Server Error"`, ctype: "application/problem+json"},
		{name: "502", fault: Fault{Kind: FaultStatus, Status: 502}, status: 502, body: `"status":502`},
		{name: "503 default", fault: Fault{Kind: FaultStatus}, status: 503, body: `"status":503`},
		{name: "rate limit", fault: Fault{Kind: FaultRateLimit, Reset: time.Minute}, status: 429, body: `"title":"Too Many Requests"`,
			headers: map[string]string{"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
				"x-rate-limit-reset": strconv.FormatInt(testStart.Add(time.Minute).Unix(), 10)}},
		{name: "usage cap", fault: Fault{Kind: FaultUsageCap}, status: 429,
			body:    `"detail":"Usage cap exceeded: Monthly product cap","period":"Monthly","scope":"Product","title":"UsageCapExceeded","type":"https://api.twitter.com/2/problems/usage-capped"`,
			headers: map[string]string{"x-rate-limit-remaining": "0"}},
		{name: "credits", fault: Fault{Kind: FaultCredits}, status: 402, body: `"title":"CreditsDepleted"`},
		{name: "credits variant", fault: Fault{Kind: FaultCredits, Body: `{"title":"Payment Required","detail":"credits depleted","status":402,"type":"https://api.x.com/2/problems/credits-depleted"}`},
			status: 402, body: `credits-depleted`, ctype: "application/json"},
		{name: "html", fault: Fault{Kind: FaultHTML, Status: 502}, status: 502, body: "<html>", ctype: "text/html"},
		{name: "unauthorized", fault: Fault{Kind: FaultUnauthorized}, status: 401, body: `"detail":"Unauthorized"`},
		{name: "hang", fault: Fault{Kind: FaultHang}},
		{name: "hang after commit", fault: Fault{Kind: FaultHangAfterCommit}, stored: true},
		{name: "503 after commit", fault: Fault{Kind: FaultStatusAfterCommit}, status: 503, stored: true},
		{name: "truncated", fault: Fault{Kind: FaultTruncated}, stored: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			_, at := e.user("faulty")
			tc.fault.Match = "POST /2/tweets"
			e.sim.InjectFault(tc.fault)

			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/2/tweets", strings.NewReader(`{"text":"fault"}`))
			req.Header.Set("Authorization", "Bearer "+at)
			req.Header.Set("Content-Type", "application/json")
			res, err := e.http.Do(req)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
			switch {
			case tc.status == 0 && err == nil:
				t.Fatalf("want a transport error, got %d %s", res.StatusCode, body)
			case tc.status == 0 && tc.fault.Kind == FaultTruncated:
				if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasPrefix(body, []byte(`{"data":{"`)) {
					t.Fatalf("truncated: err %v body %q", err, body)
				}
			case tc.status == 0:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("want deadline exceeded, got %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case res.StatusCode != tc.status || !bytes.Contains(body, []byte(tc.body)):
				t.Fatalf("got %d %s, want %d containing %s", res.StatusCode, body, tc.status, tc.body)
			case tc.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype):
				t.Fatalf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			for k, v := range tc.headers {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := len(e.sim.Posts()); got != map[bool]int{true: 1, false: 0}[tc.stored] {
				t.Fatalf("stored posts = %d, want stored=%v", got, tc.stored)
			}
			// The fault fired once; the next request is normal. After a
			// committed post the retry is refused as a duplicate.
			want := http.StatusCreated
			if tc.stored {
				want = http.StatusForbidden
			}
			e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "fault"}), want)
		})
	}
}

func TestFaultTimesAndMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("counted")
	e.sim.InjectFault(Fault{Match: "POST /2/media/upload/{id}/append", Kind: FaultStatus, Status: 503, Times: 2})
	e.sim.InjectFault(Fault{Match: "GET /2/users/me", Kind: FaultStatus, Status: 500, Times: -1})
	r := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{"media_type": "video/mp4", "total_bytes": 3}), 200)
	path := "/2/media/upload/" + r.str("data", "id") + "/append"
	seg := multipartOf(map[string]string{"segment_index": "0"}, "media", []byte("abc"))
	e.expect(e.do(http.MethodPost, path, at, seg), 503)
	e.expect(e.do(http.MethodPost, path, at, seg), 503)
	e.expect(e.do(http.MethodPost, path, at, seg), 200)
	for range 3 {
		e.expect(e.do(http.MethodGet, "/2/users/me", at, nil), 500)
	}
	e.sim.ClearFaults()
	e.expect(e.do(http.MethodGet, "/2/users/me", at, nil), 200)

	defer func() {
		if recover() == nil {
			t.Fatal("bad Match did not panic")
		}
	}()
	e.sim.InjectFault(Fault{Match: "/2/tweets", Kind: FaultStatus})
}

func TestFaultMediaFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("broken")
	r := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{"media_type": "video/mp4", "total_bytes": 3, "media_category": "tweet_video"}), 200)
	id := r.str("data", "id")
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/append", at, multipartOf(map[string]string{"segment_index": "0"}, "media", []byte("abc"))), 200)
	e.sim.InjectFault(Fault{Match: "POST /2/media/upload/{id}/finalize", Kind: FaultMediaFailed, Message: "Video too long"})
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/finalize", at, nil), 200)
	e.clock.Advance(time.Minute)
	s := e.expect(e.do(http.MethodGet, "/2/media/upload?command=STATUS&media_id="+id, at, nil), 200)
	if s.str("data", "processing_info", "state") != "failed" || s.str("data", "processing_info", "error", "name") != "InvalidMedia" ||
		s.str("data", "processing_info", "error", "message") != "Video too long" || s.str("data", "processing_info", "error", "code") != "1" {
		t.Fatalf("status %s", s.raw)
	}
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"media": map[string]any{"media_ids": []string{id}}}), 400)
}

func BenchmarkCreateTweet(b *testing.B) {
	e := newEnv(b, Options{Unlimited: true})
	_, at := e.user("bench")
	h := e.sim
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest(http.MethodPost, "/2/tweets", strings.NewReader(`{"text":"bench `+strconv.Itoa(i)+`"}`))
		req.Header.Set("Authorization", "Bearer "+at)
		req.Header.Set("Content-Type", "application/json")
		w := &recorder{header: make(http.Header)}
		h.ServeHTTP(w, req)
		if w.statusCode() != http.StatusCreated {
			b.Fatalf("status %d: %s", w.statusCode(), w.body.String())
		}
	}
}

func TestConcurrentPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Unlimited: true})
	const workers, each = 8, 10
	tokens := make([]string, workers)
	for i := range tokens {
		_, tokens[i] = e.user("c" + strconv.Itoa(i))
	}
	errc := make(chan error, workers)
	for i := range workers {
		go func() {
			for j := range each {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/2/tweets",
					strings.NewReader(`{"text":"same text `+strconv.Itoa(j)+`"}`))
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				req.Header.Set("Content-Type", "application/json")
				res, err := e.http.Do(req)
				if err != nil {
					errc <- err
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					errc <- errors.New("status " + res.Status)
					return
				}
			}
			errc <- nil
		}()
	}
	for range workers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	posts := e.sim.Posts()
	seen := map[string]bool{}
	for i, p := range posts {
		if seen[p.ID] || (i > 0 && !idLess(posts[i-1].ID, p.ID)) {
			t.Fatalf("ids not unique and increasing at %d", i)
		}
		seen[p.ID] = true
	}
	if len(posts) != workers*each {
		t.Fatalf("posts = %d", len(posts))
	}
}
