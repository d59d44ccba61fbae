package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// toNeedsOperator drives a draft target through an attempt whose outcome
// stayed unknown to needs_operator, with progress (nil for none).
func toNeedsOperator(t *testing.T, st *store.Store, targetID int64, progress map[string]string) {
	t.Helper()
	schedule(t, st, targetID)
	endIn(t, st, targetID, snsos.StateUnknown)
	if _, err := st.TransitionTarget(ctx, store.Transition{TargetID: targetID, From: snsos.StateUnknown, To: snsos.StateNeedsOperator,
		Mutate: func(t *snsos.Target) {
			t.Error = "sns-os could not find out whether the post went live. Look at the account: if the post is there, mark it published (with its link); if it is not, mark it not published, then Retry."
			t.Progress = progress
		}}); err != nil {
		t.Fatalf("to needs_operator: %v", err)
	}
}

func (e *env) resolvePath(targetID int64) string {
	return fmt.Sprintf("/api/v1/targets/%d/resolve", targetID)
}

// TestResolveTarget walks both answers of the operator on each database:
// published with the post's link, and not published (then Retry works).
func TestResolveTarget(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, senv *storetest.Env) {
		e := newEnv(t, senv.Store)
		post := e.draft(t, snsos.PlatformX, snsos.PlatformThreads)
		ts := targetsOf(t, post)
		live, absent := idOf(ts[0]), idOf(ts[1])
		toNeedsOperator(t, e.st, live, nil)
		toNeedsOperator(t, e.st, absent, nil)

		// It is live: the link is recorded and the id read from it.
		link := "https://x.com/me_x/status/1790000000000000009"
		r := e.post(t, e.resolvePath(live), map[string]any{"outcome": "published", "remote_url": link})
		wantStatus(t, r, http.StatusOK)
		got := r.JSON(t)
		wantKeys(t, "resolved target", got, "id", "state", "remote_id", "remote_url", "error", "partial", "attempts", "metrics")
		if got["state"] != "published" || got["remote_url"] != link || got["remote_id"] != "1790000000000000009" || got["error"] != "" ||
			got["partial"] != false {
			t.Fatalf("resolved as published = %s", r.Body)
		}
		wantTime(t, got, "published_at")
		if _, ok := got["parts"]; ok {
			t.Fatalf("a target of one part lists parts: %s", r.Body)
		}

		// It is not there: the target fails, with the operator's words,
		// and Retry schedules it again.
		r = e.post(t, e.resolvePath(absent), map[string]any{"outcome": "not_published"})
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["state"] != "failed" || got["error"] != "confirmed by the operator: not published" {
			t.Fatalf("resolved as not published = %s", r.Body)
		}
		r = e.post(t, fmt.Sprintf("/api/v1/targets/%d/retry", absent), nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["state"] != "scheduled" {
			t.Fatalf("retried after not published = %s", r.Body)
		}

		// The post shows both, and a second answer is a conflict.
		r = e.get(t, fmt.Sprintf("/api/v1/posts/%d", idOf(post)))
		wantStatus(t, r, http.StatusOK)
		ts = targetsOf(t, r.JSON(t))
		if ts[0]["state"] != "published" || ts[0]["remote_id"] != "1790000000000000009" || ts[1]["state"] != "scheduled" {
			t.Fatalf("post after resolving = %s", r.Body)
		}
		p := wantProblem(t, e.post(t, e.resolvePath(live), map[string]any{"outcome": "not_published"}), http.StatusConflict)
		if p.Type != "https://sns-os.dev/problems/conflict" || !strings.Contains(p.Detail, "only a target waiting for the operator") {
			t.Fatalf("second answer = %+v", p)
		}
		wantNoSecrets(t, e)
	})
}

// TestResolveTargetErrors checks each refusal: a bad body or outcome (400
// with field errors), a bad link (400 on remote_url, from the engine), a
// target in another state (409) and an unknown one (404). A refused answer
// changes nothing.
func TestResolveTargetErrors(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	waiting := e.draft(t, snsos.PlatformX)
	waitingID := idOf(targetsOf(t, waiting)[0])
	toNeedsOperator(t, e.st, waitingID, nil)
	scheduled := e.draft(t, snsos.PlatformX)
	scheduledID := idOf(targetsOf(t, scheduled)[0])
	schedule(t, e.st, scheduledID)
	published := e.draft(t, snsos.PlatformX)
	publishedID := idOf(targetsOf(t, published)[0])
	publish(t, e.st, publishedID)

	type field struct{ name, rule string }
	path := e.resolvePath(waitingID)
	tests := []struct {
		name       string
		req        req
		status     int
		detailPart string
		fields     []field
	}{
		{name: "empty body", req: req{Method: "POST", Path: path, ContentType: "application/json"}, status: 400, detailPart: "empty"},
		{name: "malformed JSON", req: req{Method: "POST", Path: path, Raw: `{"outcome":`}, status: 400},
		{name: "not JSON", req: req{Method: "POST", Path: path, Raw: `outcome=published`, ContentType: "application/x-www-form-urlencoded"}, status: 415},
		{name: "unknown field", req: req{Method: "POST", Path: path, Raw: `{"outcome":"published","url":"https://x.com/a/status/1"}`},
			status: 400, fields: []field{{"url", "unknown"}}},
		{name: "no outcome", req: req{Method: "POST", Path: path, JSON: map[string]any{}}, status: 400, fields: []field{{"outcome", "required"}}},
		{name: "unknown outcome", req: req{Method: "POST", Path: path, JSON: map[string]any{"outcome": "maybe"}},
			status: 400, fields: []field{{"outcome", "enum"}}},
		{name: "outcome of the wrong type", req: req{Method: "POST", Path: path, Raw: `{"outcome":true}`},
			status: 400, fields: []field{{"outcome", "type"}}},
		{name: "published without a link", req: req{Method: "POST", Path: path, JSON: map[string]any{"outcome": "published", "remote_url": "  "}},
			status: 400, fields: []field{{"remote_url", "required"}}},
		{name: "not published with a link", req: req{Method: "POST", Path: path, JSON: map[string]any{"outcome": "not_published", "remote_url": "https://x.com/a/status/1"}},
			status: 400, fields: []field{{"remote_url", "absent"}}},
		{name: "a link that is not http", req: req{Method: "POST", Path: path, JSON: map[string]any{"outcome": "published", "remote_url": "javascript:alert(1)"}},
			status: 400, fields: []field{{"remote_url", "url"}}},
		{name: "a link that is not a post", req: req{Method: "POST", Path: path, JSON: map[string]any{"outcome": "published", "remote_url": "https://x.com/me_x"}},
			status: 400, fields: []field{{"remote_url", "post_link"}}},
		{name: "a scheduled target", req: req{Method: "POST", Path: e.resolvePath(scheduledID), JSON: map[string]any{"outcome": "not_published"}},
			status: 409, detailPart: "is scheduled"},
		{name: "a published target", req: req{Method: "POST", Path: e.resolvePath(publishedID), JSON: map[string]any{"outcome": "published", "remote_url": "https://x.com/a/status/1"}},
			status: 409, detailPart: "is published"},
		{name: "unknown target", req: req{Method: "POST", Path: e.resolvePath(999999), JSON: map[string]any{"outcome": "not_published"}}, status: 404},
		{name: "target id not a number", req: req{Method: "POST", Path: "/api/v1/targets/abc/resolve", JSON: map[string]any{"outcome": "not_published"}}, status: 404},
		{name: "wrong method", req: req{Method: "GET", Path: path}, status: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.req)
			p := wantProblem(t, r, tc.status)
			if tc.detailPart != "" && !strings.Contains(p.Detail, tc.detailPart) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detailPart)
			}
			for _, f := range tc.fields {
				wantField(t, p, f.name, f.rule)
			}
			if len(tc.fields) > 0 && (len(p.Errors) != len(tc.fields) || p.Type != "https://sns-os.dev/problems/validation") {
				t.Errorf("problem = %+v, want exactly %d field errors", p, len(tc.fields))
			}
		})
	}
	for _, id := range []int64{waitingID, scheduledID, publishedID} {
		tg, err := e.st.FindTargetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int64]snsos.TargetState{waitingID: snsos.StateNeedsOperator, scheduledID: snsos.StateScheduled, publishedID: snsos.StatePublished}[id]; tg.State != want {
			t.Errorf("target %d is %s after refused answers, want %s", id, tg.State, want)
		}
	}
}

// TestPartialThread: a thread target says whether it is a partial
// publication, and lists its parts — published with the id, not published,
// or unknown while it may be live unrecorded. A target of one part has no
// parts list.
func TestPartialThread(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	thread := []string{"one", "two", "three"}
	post := e.createPost(t, map[string]any{"body": "one", "targets": []map[string]any{
		{"account_id": e.accounts[snsos.PlatformX].ID, "options": map[string]any{"parts": thread}},
		{"account_id": e.accounts[snsos.PlatformThreads].ID},
	}})
	ts := targetsOf(t, post)
	xID, thID := idOf(ts[0]), idOf(ts[1])
	// Parts 1 and 2 went out, part 3 did not: a partial publication.
	schedule(t, e.st, xID)
	att := &snsos.Attempt{Detail: "POST /2/tweets"}
	if _, err := e.st.TransitionTarget(ctx, store.Transition{TargetID: xID, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: att}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.TransitionTarget(ctx, store.Transition{TargetID: xID, From: snsos.StatePublishing, To: snsos.StatePublished, Finish: att,
		Mutate: func(t *snsos.Target) {
			t.Partial = true
			t.RemoteID, t.RemoteURL = "1790000000000000011", "https://x.com/me_x/status/1790000000000000011"
			t.Progress = map[string]string{platform.PartIDKey(1): "1790000000000000011", platform.PartIDKey(2): "1790000000000000012"}
			t.Error = "only parts 1–2 of 3 went out: X refused part 3"
		}}); err != nil {
		t.Fatal(err)
	}
	publish(t, e.st, thID)

	wantParts := []any{
		map[string]any{"n": 1.0, "remote_id": "1790000000000000011", "state": "published"},
		map[string]any{"n": 2.0, "remote_id": "1790000000000000012", "state": "published"},
		map[string]any{"n": 3.0, "state": "not_published"},
	}
	r := e.get(t, fmt.Sprintf("/api/v1/posts/%d", idOf(post)))
	wantStatus(t, r, http.StatusOK)
	ts = targetsOf(t, r.JSON(t))
	if ts[0]["state"] != "published" || ts[0]["partial"] != true || !reflect.DeepEqual(ts[0]["parts"], wantParts) {
		t.Fatalf("partial thread target = %v", ts[0])
	}
	if _, ok := ts[1]["parts"]; ok || ts[1]["partial"] != false {
		t.Fatalf("single target = %v, want partial false and no parts", ts[1])
	}
	// The target itself and the post list say the same.
	r = e.get(t, fmt.Sprintf("/api/v1/targets/%d", xID))
	wantStatus(t, r, http.StatusOK)
	if got := r.JSON(t); got["partial"] != true || !reflect.DeepEqual(got["parts"], wantParts) {
		t.Fatalf("GET target = %s", r.Body)
	}
	r = e.get(t, "/api/v1/posts")
	if got := targetsOf(t, r.Items(t)[0])[0]; got["partial"] != true || !reflect.DeepEqual(got["parts"], wantParts) {
		t.Fatalf("listed target = %v", got)
	}

	// A thread waiting for the operator with part 1 confirmed: the other
	// parts may be live, so they are unknown, not "not published".
	waiting := e.createPost(t, map[string]any{"body": "one", "targets": []map[string]any{
		{"account_id": e.accounts[snsos.PlatformX].ID, "options": map[string]any{"parts": thread}}}})
	wID := idOf(targetsOf(t, waiting)[0])
	toNeedsOperator(t, e.st, wID, map[string]string{platform.PartIDKey(1): "1790000000000000021"})
	r = e.get(t, fmt.Sprintf("/api/v1/targets/%d", wID))
	wantStatus(t, r, http.StatusOK)
	want := []any{
		map[string]any{"n": 1.0, "remote_id": "1790000000000000021", "state": "published"},
		map[string]any{"n": 2.0, "state": "unknown"},
		map[string]any{"n": 3.0, "state": "unknown"},
	}
	if got := r.JSON(t); got["partial"] != false || !reflect.DeepEqual(got["parts"], want) {
		t.Fatalf("waiting thread target = %s", r.Body)
	}
}
