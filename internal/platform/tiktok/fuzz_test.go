package tiktok

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
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

func fuzzResponse(status int, body []byte, mutating bool) *platform.Response {
	return platform.NewResponse(status, http.Header{"Content-Type": {"application/json"}}, body,
		&platform.Request{Op: "fuzz", Token: testToken, Mutating: mutating, Redact: []string{testSecret}})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if platform.KindOf(err) == 0 {
		t.Fatalf("unclassified error: %v", err)
	}
	for _, s := range []string{testToken, testSecret} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("secret in error: %v", err)
		}
	}
}

func FuzzClassify(f *testing.F) {
	addFixtures(f, func(b []byte) {
		f.Add(403, "application/json", b, true)
		f.Add(200, "application/json", b, false)
		f.Add(502, "text/html", b, false)
	})
	f.Add(401, "application/json", []byte(`{"error":{"code":"`+testToken+`","message":"`+testSecret+`","log_id":"L"}}`), false)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, mutating bool) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		resp := platform.NewResponse(status, http.Header{"Content-Type": {ct}}, body,
			&platform.Request{Op: "fuzz", Token: testToken, Mutating: mutating, Redact: []string{testSecret}})
		e := ClassifyResponse(resp, testNow)
		if e.Kind < platform.KindTransient || e.Kind > platform.KindRejected || e.Reason == "" {
			t.Fatalf("kind %v reason %q", e.Kind, e.Reason)
		}
		if e.Kind == platform.KindRateLimited && e.RetryAt.Before(testNow) {
			t.Fatalf("RetryAt %v", e.RetryAt)
		}
		checkErr(t, e)
		_, err := answer(resp, testNow)
		checkErr(t, err)
		if err == nil && status >= 300 {
			t.Fatalf("HTTP %d taken as a success", status)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(200, b) })
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"`+testSecret+`"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			status = 200
		}
		tok, err := decodeToken(fuzzResponse(status, body, true), testNow)
		checkErr(t, err)
		if err == nil && (tok.AccessToken == "" || status >= 300) {
			t.Fatalf("token accepted from HTTP %d: %+v", status, tok)
		}
		if err != nil && platform.KindOf(err) == platform.KindTransient {
			t.Fatalf("a token call is mutating, never merely transient: %v", err)
		}
	})
}

// decodeVia runs an answer through the envelope, then dec.
func decodeVia(t *testing.T, body []byte, dec func(*platform.Response, []byte) error) {
	resp := fuzzResponse(200, body, false)
	data, err := answer(resp, testNow)
	checkErr(t, err)
	if err != nil {
		return
	}
	checkErr(t, dec(resp, data))
}

func FuzzDecodeStatus(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"data":{"status":"PUBLISH_COMPLETE","publicaly_available_post_id":[1.5e18]},"error":{"code":"ok"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeVia(t, body, func(resp *platform.Response, data []byte) error {
			st, err := decodeStatus(resp, data)
			if err == nil && (st.Status == "" || st.PostID != "" && !platform.ValidNumericID(st.PostID) || st.UploadedBytes < 0) {
				t.Fatalf("bad status accepted: %+v", st)
			}
			if err == nil && st.Status == StatusFailed {
				checkErr(t, failure("fuzz", st))
			}
			return err
		})
	})
}

func FuzzDecodeVideos(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeVia(t, body, func(resp *platform.Response, data []byte) error {
			vs, err := decodeVideos(resp, data)
			for _, v := range vs {
				if !platform.ValidNumericID(v.ID) || len(v.values()) != 4 {
					t.Fatalf("bad video accepted: %+v", v)
				}
			}
			return err
		})
	})
}

func FuzzDecodeCreator(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeVia(t, body, func(resp *platform.Response, data []byte) error {
			ci, err := decodeCreator(resp, data)
			if err == nil {
				if len(ci.PrivacyLevelOptions) == 0 || ci.MaxVideoDuration < 0 {
					t.Fatalf("bad creator accepted: %+v", ci)
				}
				p := &post{mode: ModeDirect, privacy: PrivacySelfOnly, video: &platform.Media{}}
				checkErr(t, checkCreator(p, ci))
			}
			return err
		})
	})
}

func FuzzDecodeUser(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeVia(t, body, func(resp *platform.Response, data []byte) error {
			p, err := decodeUser(resp, data)
			if err == nil && strings.TrimSpace(p.RemoteID) == "" {
				t.Fatalf("profile without id accepted: %+v", p)
			}
			return err
		})
	})
}

func FuzzPostIDFromURL(f *testing.F) {
	for _, s := range []string{"https://www.tiktok.com/@a/video/7446543212345678901", "m.tiktok.com/v/1.html", "https://vm.tiktok.com/x", ""} {
		f.Add(s)
	}
	c := New(Config{})
	f.Fuzz(func(t *testing.T, s string) {
		id, err := c.PostIDFromURL(s)
		if err == nil && !platform.ValidNumericID(id) {
			t.Fatalf("invalid id %q from %q", id, s)
		}
		if err != nil && id != "" {
			t.Fatalf("id with an error")
		}
	})
}

func FuzzRangeOffset(f *testing.F) {
	f.Add("bytes 0-5242879/15728640", int64(15728640))
	f.Add("bytes 0-0/*", int64(1))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		off, ok := rangeOffset(h, size)
		if ok && (off <= 0 || off > size) {
			t.Fatalf("offset %d of %d from %q", off, size, h)
		}
	})
}
