package instagram

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// addFixtures seeds f with every recorded answer in testdata.
func addFixtures(f *testing.F, add func(body []byte)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
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
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("secret in error: %v", err)
	}
}

func FuzzClassify(f *testing.F) {
	addFixtures(f, func(b []byte) {
		f.Add(400, b, true)
		f.Add(200, b, false)
	})
	f.Add(400, []byte(`{"error":{"message":"`+testToken+`","code":190}}`), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, mutating bool) {
		if status < 200 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		resp := fuzzResponse(status, body, mutating)
		err := refine(resp, meta.Classify(resp, testNow))
		checkErr(t, err)
		if k := platform.KindOf(err); k < platform.KindTransient || k > platform.KindRejected {
			t.Fatalf("kind %v", k)
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

func FuzzDecodeID(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b, true) })
	f.Fuzz(func(t *testing.T, body []byte, mutating bool) {
		id, err := decodeID(fuzzResponse(200, body, mutating))
		checkErr(t, err)
		if err == nil && !platform.ValidNumericID(id) {
			t.Fatalf("invalid id %q accepted", id)
		}
		if err != nil && mutating && platform.KindOf(err) != platform.KindOutcomeUnknown {
			t.Fatalf("an unreadable answer to a publish must be outcome-unknown: %v", err)
		}
	})
}

func FuzzDecodeStatus(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		ct, err := decodeStatus(fuzzResponse(200, body, false), fixtureContainer)
		checkErr(t, err)
		if err != nil {
			return
		}
		switch ct.Status {
		case meta.InProgress, meta.Finished, meta.Failed, meta.Expired, meta.Published:
		default:
			t.Fatalf("status %q accepted", ct.Status)
		}
		if e := failed("the post", ct); e == nil {
			t.Fatal("no error for a container that cannot be published")
		}
	})
}

func FuzzDecodeMediaList(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := decodeMediaList(fuzzResponse(200, body, false))
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, m := range l.Data {
			if !platform.ValidNumericID(string(m.ID)) {
				t.Fatalf("invalid id %q", m.ID)
			}
			_ = m.created()
			_ = remotePost(&m)
		}
		_, _ = l.Paging.More()
	})
}

func FuzzDecodeQuota(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := decodeQuota(fuzzResponse(200, body, false))
		checkErr(t, err)
		if err == nil && (q.Used < 0 || q.Total <= 0 || q.Window <= 0 || q.Left() < 0) {
			t.Fatalf("bad quota %+v", q)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	addFixtures(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := decodeToken(fuzzResponse(200, body, true))
		checkErr(t, err)
		if err == nil && tok.AccessToken == "" {
			t.Fatal("empty token accepted")
		}
	})
}

func FuzzMetricValues(f *testing.F) {
	for _, fields := range []string{"media_fields_feed.json", "media_fields_story.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", fields))
		addFixtures(f, func(ins []byte) { f.Add(b, ins, 200) })
		f.Add(b, []byte(`{"error":{"message":"(#10) Not enough viewers","code":10}}`), 400)
	}
	f.Fuzz(func(t *testing.T, fields, insights []byte, status int) {
		m, err := decodeMedia(fuzzResponse(200, fields, false))
		checkErr(t, err)
		if err != nil {
			return
		}
		story := strings.EqualFold(m.ProductType, "STORY")
		var vals map[string]int64
		var ierr error
		if status >= 400 && status < 600 {
			resp := fuzzResponse(status, insights, false)
			ierr = refine(resp, meta.Classify(resp, testNow))
		} else if vals, ierr = meta.DecodeInsights(insights); ierr != nil {
			ierr = fuzzResponse(200, insights, false).BadResponse(ierr.Error())
		}
		v, _, err := metricValues(m, story, vals, nil, ierr)
		checkErr(t, err)
		if (err == nil) == (v == nil) {
			t.Fatalf("values %v with error %v", v, err)
		}
		if err == nil && len(vals) == 0 && ierr == nil {
			t.Fatal("an empty answer gave numbers")
		}
	})
}

// TestFuzzSeeds keeps the seed corpus honest: every file in testdata/fuzz
// belongs to a fuzz target of this package.
func TestFuzzSeeds(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*"))
	targets := map[string]bool{"FuzzClassify": true, "FuzzDecodeProfile": true, "FuzzDecodeID": true, "FuzzDecodeStatus": true,
		"FuzzDecodeMediaList": true, "FuzzDecodeQuota": true, "FuzzDecodeToken": true, "FuzzMetricValues": true}
	if len(dirs) == 0 {
		t.Fatal("no seed corpus")
	}
	for _, d := range dirs {
		if !targets[filepath.Base(d)] {
			t.Errorf("seeds for unknown target %s", d)
		}
	}
}
