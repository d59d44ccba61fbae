package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var ctx = context.Background()

// jst is the operator's zone in these tests: every output time must carry
// its offset.
var jst = time.FixedZone("JST", 9*60*60)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one API over a real store, served on loopback.
type env struct {
	st       *store.Store
	srv      *httptest.Server
	token    string // a valid API token
	logs     *syncBuffer
	engine   *fakeEngine
	media    *fakeMedia
	accounts map[snsos.Platform]*snsos.Account

	mu        sync.Mutex
	responses bytes.Buffer // every response, headers and body, for leak checks
}

type option func(*api.Config)

func newEnv(t *testing.T, st *store.Store, opts ...option) *env {
	t.Helper()
	e := &env{st: st, logs: &syncBuffer{}, accounts: map[snsos.Platform]*snsos.Account{}}
	e.engine = &fakeEngine{st: st}
	e.media = &fakeMedia{st: st, max: 64 << 10}
	cfg := api.Config{
		Store: st, Engine: e.engine, Connector: fakeConnector{}, Metrics: fakeMetrics{st: st}, Media: e.media,
		Logger:   slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Location: jst,
	}
	for _, o := range opts {
		o(&cfg)
	}
	mux := http.NewServeMux()
	api.New(cfg).Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.token = mustToken(t, st, "test")
	for i, p := range snsos.Platforms {
		a := &snsos.Account{Platform: p, RemoteID: fmt.Sprint(1000 + i), Handle: "me_" + string(p), DisplayName: "Me on " + p.DisplayName()}
		if err := st.UpsertAccount(ctx, a); err != nil {
			t.Fatalf("UpsertAccount: %v", err)
		}
		e.accounts[p] = a
	}
	return e
}

func sqliteEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	return newEnv(t, storetest.New(t, store.SQLite).Store, opts...)
}

// newToken returns a new API token, made as the CLI and the web page make
// them.
func newToken() string { return auth.NewToken(api.TokenTag, api.TokenBytes) }

func mustToken(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	tok := newToken()
	if _, err := st.CreateAPIToken(ctx, name, auth.HashToken(tok), api.TokenPrefix(tok)); err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	return tok
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

func (r *response) Items(t *testing.T) []map[string]any {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &l); err != nil || l.Items == nil {
		t.Fatalf("response is not {\"items\": [...]}: %v\n%s", err, r.Body)
	}
	return l.Items
}

// req describes a request; zero fields take defaults (the env's token,
// JSON content type when there is a body).
type req struct {
	Method, Path string
	JSON         any    // marshalled as the body
	Raw          string // sent as is
	ContentType  string
	Auth         *string // nil: the env's valid token; "" sends no header
}

func (e *env) do(t *testing.T, q req) *response {
	t.Helper()
	var body io.Reader
	ct := q.ContentType
	switch {
	case q.JSON != nil:
		b, err := json.Marshal(q.JSON)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	case q.Raw != "":
		body = strings.NewReader(q.Raw)
		if ct == "" {
			ct = "application/json"
		}
	}
	r, err := http.NewRequestWithContext(ctx, q.Method, e.srv.URL+q.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	switch {
	case q.Auth == nil:
		r.Header.Set("Authorization", "Bearer "+e.token)
	case *q.Auth != "":
		r.Header.Set("Authorization", *q.Auth)
	}
	return e.send(t, r)
}

func (e *env) send(t *testing.T, r *http.Request) *response {
	t.Helper()
	res, err := e.srv.Client().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	res.Header.Write(&e.responses)
	e.responses.Write(b)
	e.mu.Unlock()
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (e *env) get(t *testing.T, path string) *response {
	return e.do(t, req{Method: "GET", Path: path})
}

func (e *env) post(t *testing.T, path string, body any) *response {
	return e.do(t, req{Method: "POST", Path: path, JSON: body})
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d\n%s", r.Status, status, r.Body)
	}
	want := "application/json"
	if status >= 400 {
		want = "application/problem+json"
	}
	if status != http.StatusNoContent && r.Header.Get("Content-Type") != want {
		t.Fatalf("Content-Type = %q, want %q", r.Header.Get("Content-Type"), want)
	}
}

// wantKeys fails unless m has every key.
func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			got := make([]string, 0, len(m))
			for k := range m {
				got = append(got, k)
			}
			sort.Strings(got)
			t.Fatalf("%s has no %q field; fields: %v", what, k, got)
		}
	}
}

// problem is the error document as a test reads it.
type problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []snsos.FieldError `json:"errors"`
}

func wantProblem(t *testing.T, r *response, status int) problem {
	t.Helper()
	wantStatus(t, r, status)
	wantKeys(t, "problem", r.JSON(t), "type", "title", "status", "detail", "errors")
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" || p.Type == "" {
		t.Fatalf("problem = %+v, want status %d with title and detail", p, status)
	}
	return p
}

// wantField fails unless the problem lists field with rule.
func wantField(t *testing.T, p problem, field, rule string) {
	t.Helper()
	for _, f := range p.Errors {
		if f.Field == field && f.Rule == rule && f.Message != "" {
			return
		}
	}
	t.Fatalf("problem errors %+v lack field %q rule %q", p.Errors, field, rule)
}

var jstTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$`)

// wantTime fails unless m[key] is an RFC 3339 time in the operator's zone.
func wantTime(t *testing.T, m map[string]any, key string) time.Time {
	t.Helper()
	s, _ := m[key].(string)
	if !jstTime.MatchString(s) {
		t.Fatalf("%s = %q, want RFC 3339 with +09:00", key, m[key])
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

var pngSeq atomic.Int64

// pngBytes returns a distinct small PNG each call.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	n := pngSeq.Add(1)
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(0, 0, color.RGBA{R: uint8(n), G: uint8(n >> 8), B: uint8(n >> 16), A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (e *env) uploadMultipart(t *testing.T, field, filename string, data []byte) *response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "ignored")
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v1/media", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Authorization", "Bearer "+e.token)
	return e.send(t, r)
}

func (e *env) uploadPNG(t *testing.T) int64 {
	t.Helper()
	r := e.uploadMultipart(t, "file", "pic.png", pngBytes(t))
	wantStatus(t, r, http.StatusCreated)
	return int64(r.JSON(t)["id"].(float64))
}

// createPost creates a post through the API and returns its JSON.
func (e *env) createPost(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	r := e.post(t, "/api/v1/posts", body)
	wantStatus(t, r, http.StatusCreated)
	return r.JSON(t)
}

func (e *env) draft(t *testing.T, platforms ...snsos.Platform) map[string]any {
	t.Helper()
	var targets []map[string]any
	for _, p := range platforms {
		targets = append(targets, map[string]any{"account_id": e.accounts[p].ID})
	}
	return e.createPost(t, map[string]any{"body": "hello", "targets": targets})
}

func targetsOf(t *testing.T, post map[string]any) []map[string]any {
	t.Helper()
	raw, ok := post["targets"].([]any)
	if !ok {
		t.Fatalf("post targets = %#v, want a list", post["targets"])
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

func idOf(m map[string]any) int64 { return int64(m["id"].(float64)) }

// publish drives a draft target through the store to published, with one
// finished attempt.
func publish(t *testing.T, st *store.Store, targetID int64) {
	t.Helper()
	steps := []struct{ from, to snsos.TargetState }{
		{snsos.StateDraft, snsos.StateApproved},
		{snsos.StateApproved, snsos.StateScheduled},
	}
	for _, s := range steps {
		mutate := func(t *snsos.Target) { t.ScheduledAt = time.Now().Add(time.Minute) }
		if _, err := st.TransitionTarget(ctx, store.Transition{TargetID: targetID, From: s.from, To: s.to, Mutate: mutate}); err != nil {
			t.Fatalf("transition %s→%s: %v", s.from, s.to, err)
		}
	}
	endIn(t, st, targetID, snsos.StatePublished)
}

// endIn starts an attempt on a scheduled target and ends it in state to.
func endIn(t *testing.T, st *store.Store, targetID int64, to snsos.TargetState) {
	t.Helper()
	att := &snsos.Attempt{Detail: "POST /2/tweets"}
	if _, err := st.TransitionTarget(ctx, store.Transition{TargetID: targetID, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: att}); err != nil {
		t.Fatalf("to publishing: %v", err)
	}
	mutate := func(t *snsos.Target) {
		if to == snsos.StatePublished {
			t.RemoteID, t.RemoteURL = "1790000000000000001", "https://x.com/me_x/status/1790000000000000001"
		} else {
			t.Error = "the platform said no"
		}
	}
	att.Detail = "201 Created"
	if _, err := st.TransitionTarget(ctx, store.Transition{TargetID: targetID, From: snsos.StatePublishing, To: to, Mutate: mutate, Finish: att}); err != nil {
		t.Fatalf("to %s: %v", to, err)
	}
}

func schedule(t *testing.T, st *store.Store, targetID int64) {
	t.Helper()
	for _, s := range [][2]snsos.TargetState{{snsos.StateDraft, snsos.StateApproved}, {snsos.StateApproved, snsos.StateScheduled}} {
		if _, err := st.TransitionTarget(ctx, store.Transition{TargetID: targetID, From: s[0], To: s[1],
			Mutate: func(t *snsos.Target) { t.ScheduledAt = time.Now().Add(time.Minute) }}); err != nil {
			t.Fatal(err)
		}
	}
}

func strp(s string) *string { return &s }

// ---- tests ----

func TestAuth(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	revoked := mustToken(t, e.st, "old")
	toks, _ := e.st.ListAPITokens(ctx)
	for _, tk := range toks {
		if tk.Name == "old" {
			if err := e.st.RevokeAPIToken(ctx, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	unknown := newToken()

	tests := []struct {
		name       string
		auth       *string
		status     int
		challenge  string
		detailPart string
	}{
		{"valid", nil, http.StatusOK, "", ""},
		{"scheme is case-insensitive", strp("bearer " + e.token), http.StatusOK, "", ""},
		{"missing", strp(""), http.StatusUnauthorized, "Bearer", "needs a token"},
		{"basic scheme", strp("Basic dXNlcjpwYXNz"), http.StatusUnauthorized, `Bearer error="invalid_request"`, "not valid"},
		{"bearer without token", strp("Bearer"), http.StatusUnauthorized, `Bearer error="invalid_request"`, "not valid"},
		{"bearer blank token", strp("Bearer    "), http.StatusUnauthorized, `Bearer error="invalid_request"`, "not valid"},
		{"two tokens", strp("Bearer " + e.token + " " + e.token), http.StatusUnauthorized, `Bearer error="invalid_request"`, "not valid"},
		{"oversized", strp("Bearer " + strings.Repeat("a", 600)), http.StatusUnauthorized, `Bearer error="invalid_request"`, "not valid"},
		{"unknown", strp("Bearer " + unknown), http.StatusUnauthorized, `Bearer error="invalid_token"`, "not valid"},
		{"token with a character changed", strp("Bearer " + changeLast(e.token)), http.StatusUnauthorized, `Bearer error="invalid_token"`, "not valid"},
		{"revoked", strp("Bearer " + revoked), http.StatusUnauthorized, `Bearer error="invalid_token"`, "revoked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, path := range []string{"/api/v1/accounts", "/api/v1/posts/1", "/api/v1/no-such-route"} {
				r := e.do(t, req{Method: "GET", Path: path, Auth: tc.auth})
				if tc.status == http.StatusOK {
					if r.Status == http.StatusUnauthorized {
						t.Fatalf("%s: 401 with a valid token: %s", path, r.Body)
					}
					continue
				}
				p := wantProblem(t, r, tc.status)
				if got := r.Header.Get("WWW-Authenticate"); got != tc.challenge {
					t.Fatalf("%s: WWW-Authenticate = %q, want %q", path, got, tc.challenge)
				}
				if !strings.Contains(p.Detail, tc.detailPart) {
					t.Fatalf("detail %q lacks %q", p.Detail, tc.detailPart)
				}
			}
		})
	}

	t.Run("use is recorded", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, e.get(t, "/api/v1/accounts"), http.StatusOK)
		toks, err := e.st.ListAPITokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			if tk.Name == "test" && tk.LastUsedAt.IsZero() {
				t.Fatal("last_used_at not set after a request")
			}
		}
	})
	t.Run("every route needs a token", func(t *testing.T) {
		t.Parallel()
		for _, rt := range []string{"GET /api/v1/accounts", "POST /api/v1/accounts/connect", "GET /api/v1/media", "POST /api/v1/media",
			"GET /api/v1/media/1", "DELETE /api/v1/media/1", "GET /api/v1/posts", "POST /api/v1/posts", "GET /api/v1/posts/1",
			"PUT /api/v1/posts/1", "POST /api/v1/posts/1/approve", "POST /api/v1/posts/1/schedule", "POST /api/v1/posts/1/cancel", "GET /api/v1/targets/1",
			"POST /api/v1/targets/1/retry", "POST /api/v1/targets/1/reconcile", "POST /api/v1/targets/1/resolve", "POST /api/v1/targets/1/metrics/refresh"} {
			method, path, _ := strings.Cut(rt, " ")
			r := e.do(t, req{Method: method, Path: path, Auth: strp(""), Raw: "{}"})
			wantProblem(t, r, http.StatusUnauthorized)
		}
	})
}

func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	const boot = "my-own-bootstrap-token-from-the-environment"
	for range 2 { // idempotent
		if _, err := api.EnsureBootstrapToken(ctx, e.st, boot); err != nil {
			t.Fatal(err)
		}
	}
	toks, _ := e.st.ListAPITokens(ctx)
	n := 0
	for _, tk := range toks {
		if tk.Name == api.BootstrapTokenName {
			n++
			if tk.Prefix != boot[:api.TokenPrefixLen] {
				t.Fatalf("prefix = %q", tk.Prefix)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d bootstrap tokens, want 1", n)
	}
	wantStatus(t, e.do(t, req{Method: "GET", Path: "/api/v1/accounts", Auth: strp("Bearer " + boot)}), http.StatusOK)
	if _, err := api.EnsureBootstrapToken(ctx, e.st, "  "); snsos.ErrorCode(err) != snsos.EINVALID {
		t.Fatalf("empty bootstrap token: %v", err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	re := regexp.MustCompile(`^snsos_[A-Za-z0-9_-]{43}$`)
	for range 50 {
		tok := newToken()
		prefix := api.TokenPrefix(tok)
		if !re.MatchString(tok) || prefix != tok[:12] || seen[tok] {
			t.Fatalf("new token = %q, %q", tok, prefix)
		}
		seen[tok] = true
	}
}

// TestRoutes walks every route's happy path on each database and checks
// the JSON shapes of the contract.
func TestRoutes(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, senv *storetest.Env) {
		e := newEnv(t, senv.Store)

		// Accounts.
		r := e.get(t, "/api/v1/accounts")
		wantStatus(t, r, http.StatusOK)
		accts := r.Items(t)
		if len(accts) != 4 {
			t.Fatalf("%d accounts, want 4", len(accts))
		}
		for _, a := range accts {
			wantKeys(t, "account", a, "id", "platform", "handle", "remote_id", "display_name", "status")
			if a["status"] != "connected" || !snsos.Platform(a["platform"].(string)).Valid() {
				t.Fatalf("account = %v", a)
			}
			if _, ok := a["remote_id"].(string); !ok {
				t.Fatalf("remote_id is not a string: %v", a)
			}
			wantTime(t, a, "created_at")
		}

		r = e.post(t, "/api/v1/accounts/connect", map[string]any{"platform": "tiktok"})
		wantStatus(t, r, http.StatusOK)
		if u, _ := r.JSON(t)["authorize_url"].(string); !strings.HasPrefix(u, "https://tiktok.example/oauth/authorize?") {
			t.Fatalf("authorize_url = %q", u)
		}

		// Media: multipart and raw.
		data := pngBytes(t)
		r = e.uploadMultipart(t, "file", `C:\Users\me\cat.png`, data)
		wantStatus(t, r, http.StatusCreated)
		m := r.JSON(t)
		wantKeys(t, "media", m, "id", "mime", "size", "width", "height", "duration_ms", "sha256")
		if m["mime"] != "image/png" || m["size"] != float64(len(data)) || m["width"] != 4.0 || m["height"] != 3.0 || m["duration_ms"] != 0.0 {
			t.Fatalf("media = %v", m)
		}
		if m["filename"] != "cat.png" {
			t.Fatalf("filename = %v, want the base name", m["filename"])
		}
		// Conversion to JPEG makes a new item; asking for anything else, or
		// converting a JPEG, is a 400.
		cr := e.post(t, fmt.Sprintf("/api/v1/media/%v/convert", m["id"]), map[string]any{"to": "jpeg"})
		wantStatus(t, cr, http.StatusCreated)
		conv := cr.JSON(t)
		if conv["mime"] != "image/jpeg" || conv["id"] == m["id"] {
			t.Fatalf("converted = %v", conv)
		}
		wantStatus(t, e.post(t, fmt.Sprintf("/api/v1/media/%v/convert", conv["id"]), map[string]any{"to": "jpeg"}), http.StatusBadRequest)
		wantStatus(t, e.post(t, fmt.Sprintf("/api/v1/media/%v/convert", m["id"]), map[string]any{"to": "gif"}), http.StatusBadRequest)
		wantStatus(t, e.post(t, "/api/v1/media/999/convert", map[string]any{"to": "jpeg"}), http.StatusNotFound)
		wantStatus(t, e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/media/%v", conv["id"])}), http.StatusNoContent)
		mediaID := idOf(m)
		if loc := r.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/media/%d", mediaID) {
			t.Fatalf("Location = %q", loc)
		}
		raw := e.do(t, req{Method: "POST", Path: "/api/v1/media?filename=raw.png", Raw: string(pngBytes(t)), ContentType: "image/png"})
		wantStatus(t, raw, http.StatusCreated)
		if raw.JSON(t)["filename"] != "raw.png" {
			t.Fatalf("raw upload = %s", raw.Body)
		}
		r = e.get(t, "/api/v1/media")
		wantStatus(t, r, http.StatusOK)
		if items := r.Items(t); len(items) != 2 || idOf(items[0]) != idOf(raw.JSON(t)) {
			t.Fatalf("media list = %s", r.Body)
		}
		r = e.get(t, fmt.Sprintf("/api/v1/media/%d", mediaID))
		wantStatus(t, r, http.StatusOK)
		if r.JSON(t)["sha256"] != m["sha256"] {
			t.Fatalf("media = %s", r.Body)
		}

		// Create a scheduled post with media and two targets.
		at := time.Now().Add(48 * time.Hour).In(time.FixedZone("", -5*60*60)).Truncate(time.Second)
		post := e.createPost(t, map[string]any{
			"body":      "Merry Christmas",
			"media_ids": []int64{mediaID},
			"media_alt": map[string]string{fmt.Sprint(mediaID): "A tree with lights", "999": ""},
			"targets": []map[string]any{
				{"account_id": e.accounts[snsos.PlatformX].ID},
				{"account_id": e.accounts[snsos.PlatformTikTok].ID, "body": "Merry Christmas on TikTok", "options": map[string]any{"privacy_level": "SELF_ONLY"}},
			},
			"scheduled_at": at.Format(time.RFC3339),
			"approve":      true,
		})
		wantKeys(t, "post", post, "id", "status", "body", "media_ids", "scheduled_at", "created_at", "targets")
		if post["status"] != "scheduled" || post["body"] != "Merry Christmas" {
			t.Fatalf("post = %v", post)
		}
		if got := wantTime(t, post, "scheduled_at"); !got.Equal(at) {
			t.Fatalf("scheduled_at = %v, want %v", got, at)
		}
		wantTime(t, post, "created_at")
		if ids := post["media_ids"].([]any); len(ids) != 1 || ids[0] != float64(mediaID) {
			t.Fatalf("media_ids = %v", post["media_ids"])
		}
		ts := targetsOf(t, post)
		if len(ts) != 2 {
			t.Fatalf("targets = %v", ts)
		}
		for _, tg := range ts {
			wantKeys(t, "target", tg, "id", "post_id", "account_id", "platform", "state", "remote_id", "remote_url", "error", "preflight",
				"attempt_count", "attempts", "metrics")
			if tg["state"] != "scheduled" {
				t.Fatalf("target = %v", tg)
			}
			if l, ok := tg["attempts"].([]any); !ok || len(l) != 0 {
				t.Fatalf("attempts = %#v, want []", tg["attempts"])
			}
			if l, ok := tg["metrics"].([]any); !ok || len(l) != 0 {
				t.Fatalf("metrics = %#v, want []", tg["metrics"])
			}
			wantTime(t, tg, "scheduled_at")
			if _, ok := tg["published_at"]; ok {
				t.Fatal("unset published_at must be omitted")
			}
		}
		if ts[1]["platform"] != "tiktok" || ts[1]["body"] != "Merry Christmas on TikTok" || ts[1]["options"].(map[string]any)["privacy_level"] != "SELF_ONLY" {
			t.Fatalf("tiktok target = %v", ts[1])
		}
		postID := idOf(post)
		wantAlt := map[string]any{fmt.Sprint(mediaID): "A tree with lights"}
		if alt, _ := post["media_alt"].(map[string]any); !reflect.DeepEqual(alt, wantAlt) {
			t.Fatalf("media_alt = %v, want %v", post["media_alt"], wantAlt)
		}
		r = e.get(t, fmt.Sprintf("/api/v1/posts/%d", postID))
		wantStatus(t, r, http.StatusOK)
		if alt, _ := r.JSON(t)["media_alt"].(map[string]any); !reflect.DeepEqual(alt, wantAlt) {
			t.Fatalf("GET media_alt = %s", r.Body)
		}
		// Alt text for an item the post lacks (platform rules such as X's
		// 1,000 characters are the engine's, tested in internal/publish).
		for _, alt := range []map[string]string{{"999": "not attached"}} {
			r = e.post(t, "/api/v1/posts", map[string]any{"body": "alt", "media_ids": []int64{mediaID}, "media_alt": alt,
				"targets": []map[string]any{{"account_id": e.accounts[snsos.PlatformX].ID}}})
			wantStatus(t, r, http.StatusBadRequest)
			if !strings.Contains(string(r.Body), "media_alt[") {
				t.Fatalf("refused alt text: %s", r.Body)
			}
		}

		// Draft → approve → schedule → cancel.
		d := e.draft(t, snsos.PlatformThreads)
		if d["status"] != "draft" || targetsOf(t, d)[0]["state"] != "draft" {
			t.Fatalf("draft = %v", d)
		}
		if _, ok := d["scheduled_at"]; ok {
			t.Fatal("unset scheduled_at must be omitted")
		}
		dp := fmt.Sprintf("/api/v1/posts/%d", idOf(d))
		r = e.post(t, dp+"/approve", nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["status"] != "approved" || targetsOf(t, got)[0]["state"] != "approved" {
			t.Fatalf("approved = %s", r.Body)
		}
		r = e.post(t, dp+"/schedule", map[string]any{"scheduled_at": "2099-12-24T09:00:00+09:00"})
		wantStatus(t, r, http.StatusOK)
		got := r.JSON(t)
		if got["status"] != "scheduled" || targetsOf(t, got)[0]["scheduled_at"] != "2099-12-24T09:00:00+09:00" {
			t.Fatalf("scheduled = %s", r.Body)
		}
		r = e.post(t, dp+"/cancel", nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["status"] != "canceled" || targetsOf(t, got)[0]["state"] != "canceled" {
			t.Fatalf("canceled = %s", r.Body)
		}

		// Lists: newest first, filter, paging.
		r = e.get(t, "/api/v1/posts")
		wantStatus(t, r, http.StatusOK)
		items := r.Items(t)
		if len(items) != 2 || idOf(items[0]) != idOf(d) || idOf(items[1]) != postID {
			t.Fatalf("posts = %s", r.Body)
		}
		if _, ok := targetsOf(t, items[1])[0]["attempt_count"]; !ok {
			t.Fatalf("listed target lacks attempt_count: %v", items[1])
		}
		r = e.get(t, "/api/v1/posts?state=scheduled")
		if items := r.Items(t); len(items) != 1 || idOf(items[0]) != postID {
			t.Fatalf("posts?state=scheduled = %s", r.Body)
		}
		r = e.get(t, "/api/v1/posts?state=published")
		if items := r.Items(t); len(items) != 0 || !bytes.Contains(r.Body, []byte(`"items":[]`)) {
			t.Fatalf("empty list = %s", r.Body)
		}
		r = e.get(t, "/api/v1/posts?limit=1")
		page := r.JSON(t)
		if items := r.Items(t); len(items) != 1 || page["next_before"] != float64(idOf(d)) {
			t.Fatalf("posts?limit=1 = %s", r.Body)
		}
		r = e.get(t, fmt.Sprintf("/api/v1/posts?limit=1&before=%d", idOf(d)))
		if items := r.Items(t); len(items) != 1 || idOf(items[0]) != postID {
			t.Fatalf("second page = %s", r.Body)
		}

		// A published target with an attempt and metrics.
		x := targetsOf(t, post)[0]
		xID := idOf(x)
		endIn(t, e.st, xID, snsos.StatePublished)
		if err := e.st.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: xID, Checkpoint: snsos.Checkpoint1h,
			Values: map[string]int64{"views": 1234, "likes": 56, "comments": 7, "shares": 8, "bookmarks": 9}}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: xID, Checkpoint: snsos.Checkpoint24h,
			Status: snsos.SnapshotUnavailable, Reason: "the platform has no numbers yet"}); err != nil {
			t.Fatal(err)
		}
		r = e.get(t, fmt.Sprintf("/api/v1/targets/%d", xID))
		wantStatus(t, r, http.StatusOK)
		tg := r.JSON(t)
		if tg["state"] != "published" || tg["remote_id"] != "1790000000000000001" || tg["attempt_count"] != 1.0 {
			t.Fatalf("target = %s", r.Body)
		}
		wantTime(t, tg, "published_at")
		atts := tg["attempts"].([]any)
		if len(atts) != 1 {
			t.Fatalf("attempts = %v", atts)
		}
		att := atts[0].(map[string]any)
		wantKeys(t, "attempt", att, "id", "number", "started_at", "finished_at", "outcome", "detail", "error")
		if att["number"] != 1.0 || att["outcome"] != "published" {
			t.Fatalf("attempt = %v", att)
		}
		wantTime(t, att, "started_at")
		mets := tg["metrics"].([]any)
		if len(mets) != 2 {
			t.Fatalf("metrics = %v", mets)
		}
		m1 := mets[0].(map[string]any)
		wantKeys(t, "metric", m1, "checkpoint", "status", "fetched_at", "values")
		wantTime(t, m1, "fetched_at")
		vals := m1["values"].(map[string]any)
		if m1["checkpoint"] != "1h" || vals["views"] != 1234.0 || vals["likes"] != 56.0 || vals["comments"] != 7.0 || vals["shares"] != 8.0 || vals["bookmarks"] != 9.0 {
			t.Fatalf("1h snapshot = %v", m1)
		}
		m2 := mets[1].(map[string]any)
		if m2["status"] != "unavailable" || m2["reason"] == "" || m2["values"] == nil {
			t.Fatalf("24h snapshot = %v", m2)
		}

		// The post detail shows the same.
		r = e.get(t, fmt.Sprintf("/api/v1/posts/%d", postID))
		wantStatus(t, r, http.StatusOK)
		pt := targetsOf(t, r.JSON(t))[0]
		if len(pt["attempts"].([]any)) != 1 || len(pt["metrics"].([]any)) != 2 {
			t.Fatalf("post target = %v", pt)
		}

		// Manual metrics refresh.
		r = e.post(t, fmt.Sprintf("/api/v1/targets/%d/metrics/refresh", xID), nil)
		wantStatus(t, r, http.StatusOK)
		snap := r.JSON(t)
		wantKeys(t, "snapshot", snap, "checkpoint", "status", "fetched_at", "values")
		sv := snap["values"].(map[string]any)
		if snap["checkpoint"] != "manual" || sv["views"] != 100.0 || sv["comments"] != 0.0 || sv["shares"] != 0.0 || sv["reposts"] != 2.0 {
			t.Fatalf("manual snapshot = %s", r.Body)
		}

		// Cancel after publish is a conflict.
		p := wantProblem(t, e.post(t, fmt.Sprintf("/api/v1/posts/%d/cancel", postID), nil), http.StatusConflict)
		if !strings.Contains(p.Detail, "already published") {
			t.Fatalf("conflict detail = %q", p.Detail)
		}

		// Retry a failed target; reconcile an unknown one.
		tt := targetsOf(t, post)[1]
		endIn(t, e.st, idOf(tt), snsos.StateFailed)
		r = e.post(t, fmt.Sprintf("/api/v1/targets/%d/retry", idOf(tt)), nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["state"] != "scheduled" || len(got["attempts"].([]any)) != 1 {
			t.Fatalf("retried = %s", r.Body)
		}
		endIn(t, e.st, idOf(tt), snsos.StateUnknown)
		r = e.post(t, fmt.Sprintf("/api/v1/targets/%d/reconcile", idOf(tt)), nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.JSON(t); got["state"] != "published" || got["remote_id"] != "r-found" || got["attempt_count"] != 2.0 {
			t.Fatalf("reconciled = %s", r.Body)
		}

		// Media in use cannot be deleted; unused media can.
		p = wantProblem(t, e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/media/%d", mediaID)}), http.StatusConflict)
		if !strings.Contains(p.Detail, "post uses this media") {
			t.Fatalf("delete conflict detail = %q", p.Detail)
		}
		r = e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/media/%d", idOf(raw.JSON(t)))})
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		wantProblem(t, e.get(t, fmt.Sprintf("/api/v1/media/%d", idOf(raw.JSON(t)))), http.StatusNotFound)

		wantNoSecrets(t, e)
	})
}

// TestErrors checks each kind of bad request and its problem document.
func TestErrors(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	xID := e.accounts[snsos.PlatformX].ID
	draft := e.draft(t, snsos.PlatformX)
	draftPath := fmt.Sprintf("/api/v1/posts/%d", idOf(draft))
	published := e.draft(t, snsos.PlatformInstagram)
	publish(t, e.st, idOf(targetsOf(t, published)[0]))
	scheduled := e.draft(t, snsos.PlatformThreads)
	schedule(t, e.st, idOf(targetsOf(t, scheduled)[0]))

	type field struct{ name, rule string }
	tests := []struct {
		name       string
		req        req
		status     int
		typ        string
		detailPart string
		fields     []field
		allow      string
	}{
		{name: "malformed JSON", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body": "hi",}`},
			status: 400, typ: "https://sns-os.dev/problems/invalid", detailPart: "not valid JSON"},
		{name: "truncated JSON", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body": "hi"`},
			status: 400, detailPart: "ends early"},
		{name: "empty body", req: req{Method: "POST", Path: "/api/v1/posts", ContentType: "application/json"},
			status: 400, detailPart: "empty"},
		{name: "not an object", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `[1,2]`},
			status: 400, detailPart: "JSON object"},
		{name: "unknown field", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi","bogus":1}`},
			status: 400, typ: "https://sns-os.dev/problems/validation", fields: []field{{"bogus", "unknown"}}},
		{name: "unknown nested field", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi","targets":[{"account":1}]}`},
			status: 400, fields: []field{{"account", "unknown"}}},
		{name: "wrong type", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi","targets":[{"account_id":"one"}]}`},
			status: 400, fields: []field{{"targets.account_id", "type"}}},
		{name: "wrong type top level", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi","approve":"yes"}`},
			status: 400, fields: []field{{"approve", "type"}}},
		{name: "trailing data", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi"} {"body":"again"}`},
			status: 400, detailPart: "exactly one JSON value"},
		{name: "trailing garbage", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi"}x`},
			status: 400, detailPart: "exactly one JSON value"},
		{name: "oversized body", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"` + strings.Repeat("a", 1<<20) + `"}`},
			status: 413, typ: "https://sns-os.dev/problems/too-large", detailPart: "larger than"},
		{name: "wrong content type", req: req{Method: "POST", Path: "/api/v1/posts", Raw: `{"body":"hi"}`, ContentType: "text/plain"},
			status: 415, detailPart: "application/json"},
		{name: "form content type", req: req{Method: "POST", Path: "/api/v1/accounts/connect", Raw: `platform=x`, ContentType: "application/x-www-form-urlencoded"},
			status: 415},
		{name: "json with charset is fine but schedule needs a time", req: req{Method: "POST", Path: draftPath + "/schedule", Raw: `{}`, ContentType: "application/json; charset=utf-8"},
			status: 400, fields: []field{{"scheduled_at", "required"}}},
		{name: "time without zone", req: req{Method: "POST", Path: draftPath + "/schedule", JSON: map[string]any{"scheduled_at": "2026-12-24T09:00:00"}},
			status: 400, fields: []field{{"scheduled_at", "timezone"}}, detailPart: "time zone"},
		{name: "time without zone on create", req: req{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": "hi", "scheduled_at": "2026-12-24T09:00:00", "targets": []map[string]any{{"account_id": xID}}}},
			status: 400, fields: []field{{"scheduled_at", "timezone"}}},
		{name: "time in another format", req: req{Method: "POST", Path: draftPath + "/schedule", JSON: map[string]any{"scheduled_at": "24/12/2026 9am"}},
			status: 400, fields: []field{{"scheduled_at", "format"}}},
		{name: "schedule in the past", req: req{Method: "POST", Path: draftPath + "/schedule", JSON: map[string]any{"scheduled_at": "2020-01-01T00:00:00Z"}},
			status: 400, typ: "https://sns-os.dev/problems/validation", fields: []field{{"scheduled_at", "future"}}},
		{name: "create scheduled in the past", req: req{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": "hi", "approve": true, "scheduled_at": "2020-01-01T00:00:00+09:00", "targets": []map[string]any{{"account_id": xID}}}},
			status: 400, fields: []field{{"scheduled_at", "future"}}},
		{name: "validation lists every field", req: req{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": " ", "targets": []map[string]any{{"account_id": xID}, {"account_id": 0}, {"account_id": xID}}}},
			status: 400, typ: "https://sns-os.dev/problems/validation",
			fields: []field{{"body", "required"}, {"targets[1].account_id", "required"}, {"targets[2].account_id", "duplicate"}}},
		{name: "unknown account", req: req{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": "hi", "targets": []map[string]any{{"account_id": 999999}}}},
			status: 400, detailPart: "does not exist"},
		{name: "unknown platform", req: req{Method: "POST", Path: "/api/v1/accounts/connect", JSON: map[string]any{"platform": "myspace"}},
			status: 400, fields: []field{{"platform", "enum"}}},
		{name: "missing platform", req: req{Method: "POST", Path: "/api/v1/accounts/connect", JSON: map[string]any{}},
			status: 400, fields: []field{{"platform", "required"}}},
		{name: "cancel after publish", req: req{Method: "POST", Path: fmt.Sprintf("/api/v1/posts/%d/cancel", idOf(published))},
			status: 409, typ: "https://sns-os.dev/problems/conflict", detailPart: "already published"},
		{name: "schedule needs approval", req: req{Method: "POST", Path: fmt.Sprintf("/api/v1/posts/%d/schedule", idOf(scheduled)), JSON: map[string]any{"scheduled_at": "2099-01-01T00:00:00Z"}},
			status: 409, detailPart: "approve"},
		{name: "retry a target that did not fail", req: req{Method: "POST", Path: fmt.Sprintf("/api/v1/targets/%d/retry", idOf(targetsOf(t, published)[0]))},
			status: 409},
		{name: "metrics of an unpublished target", req: req{Method: "POST", Path: fmt.Sprintf("/api/v1/targets/%d/metrics/refresh", idOf(targetsOf(t, draft)[0]))},
			status: 409},
		{name: "unknown post", req: req{Method: "GET", Path: "/api/v1/posts/999999"}, status: 404, typ: "https://sns-os.dev/problems/not-found", detailPart: "not found"},
		{name: "post id not a number", req: req{Method: "GET", Path: "/api/v1/posts/abc"}, status: 404},
		{name: "post id zero", req: req{Method: "GET", Path: "/api/v1/posts/0"}, status: 404},
		{name: "post id negative", req: req{Method: "POST", Path: "/api/v1/posts/-3/approve"}, status: 404},
		{name: "post id overflow", req: req{Method: "GET", Path: "/api/v1/posts/99999999999999999999"}, status: 404},
		{name: "approve unknown post", req: req{Method: "POST", Path: "/api/v1/posts/999999/approve"}, status: 404},
		{name: "unknown target", req: req{Method: "GET", Path: "/api/v1/targets/999999"}, status: 404},
		{name: "retry unknown target", req: req{Method: "POST", Path: "/api/v1/targets/999999/retry"}, status: 404},
		{name: "refresh unknown target", req: req{Method: "POST", Path: "/api/v1/targets/999999/metrics/refresh"}, status: 404},
		{name: "unknown media", req: req{Method: "GET", Path: "/api/v1/media/999999"}, status: 404},
		{name: "delete unknown media", req: req{Method: "DELETE", Path: "/api/v1/media/999999"}, status: 404},
		{name: "unknown route", req: req{Method: "GET", Path: "/api/v1/nothing/here"}, status: 404},
		{name: "wrong method on a list", req: req{Method: "PUT", Path: "/api/v1/posts", Raw: "{}"}, status: 405, allow: "GET, POST, HEAD"},
		{name: "wrong method on an item", req: req{Method: "PATCH", Path: "/api/v1/posts/1"}, status: 405, allow: "GET, PUT, DELETE, HEAD"},
		{name: "wrong method on an action", req: req{Method: "GET", Path: "/api/v1/posts/1/approve"}, status: 405, allow: "POST"},
		{name: "bad state filter", req: req{Method: "GET", Path: "/api/v1/posts?state=lost&limit=0&before=x"},
			status: 400, fields: []field{{"state", "enum"}, {"limit", "range"}, {"before", "positive"}}},
		{name: "limit too high", req: req{Method: "GET", Path: "/api/v1/posts?limit=501"}, status: 400, fields: []field{{"limit", "range"}}},
		{name: "upload as JSON", req: req{Method: "POST", Path: "/api/v1/media", Raw: `{"file":"x"}`}, status: 415},
		{name: "upload without content type", req: req{Method: "POST", Path: "/api/v1/media", Raw: `abc`, ContentType: "-"}, status: 415},
		{name: "upload empty raw body", req: req{Method: "POST", Path: "/api/v1/media", ContentType: "image/png"}, status: 400, fields: []field{{"file", "required"}}},
		{name: "upload unsupported type", req: req{Method: "POST", Path: "/api/v1/media", Raw: "just text", ContentType: "image/png"}, status: 400, detailPart: "not supported"},
		{name: "upload too large for the media layer", req: req{Method: "POST", Path: "/api/v1/media", Raw: strings.Repeat("x", 65<<10), ContentType: "image/png"},
			status: 413, typ: "https://sns-os.dev/problems/too-large", detailPart: "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := tc.req
			if q.ContentType == "-" {
				q.ContentType = ""
				r, _ := http.NewRequestWithContext(ctx, q.Method, e.srv.URL+q.Path, strings.NewReader(q.Raw))
				r.Header.Set("Authorization", "Bearer "+e.token)
				r.Header["Content-Type"] = nil
				wantProblem(t, e.send(t, r), tc.status)
				return
			}
			r := e.do(t, q)
			p := wantProblem(t, r, tc.status)
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if tc.typ != "" && p.Type != tc.typ {
				t.Errorf("type = %q, want %q", p.Type, tc.typ)
			}
			if !strings.HasPrefix(p.Type, "https://sns-os.dev/problems/") {
				t.Errorf("type = %q, want a stable problem URI", p.Type)
			}
			if tc.detailPart != "" && !strings.Contains(p.Detail, tc.detailPart) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detailPart)
			}
			for _, f := range tc.fields {
				wantField(t, p, f.name, f.rule)
			}
			if len(tc.fields) > 0 && len(p.Errors) != len(tc.fields) {
				t.Errorf("errors = %+v, want exactly %d", p.Errors, len(tc.fields))
			}
			if len(tc.fields) == 0 && len(p.Errors) != 0 && tc.status != 400 {
				t.Errorf("errors = %+v, want none", p.Errors)
			}
		})
	}
	t.Run("upload without a file field", func(t *testing.T) {
		t.Parallel()
		p := wantProblem(t, e.uploadMultipart(t, "picture", "a.png", pngBytes(t)), http.StatusBadRequest)
		wantField(t, p, "file", "required")
	})
}

func TestUploadCap(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t, func(c *api.Config) { c.MaxUploadBytes = 4 << 10 })
	e.media.max = 1 << 20 // the request cap must act first
	big := bytes.Repeat([]byte{0x89}, 8<<10)
	p := wantProblem(t, e.uploadMultipart(t, "file", "big.png", big), http.StatusRequestEntityTooLarge)
	if p.Type != "https://sns-os.dev/problems/too-large" {
		t.Fatalf("type = %q", p.Type)
	}
	p = wantProblem(t, e.do(t, req{Method: "POST", Path: "/api/v1/media", Raw: string(big), ContentType: "image/png"}), http.StatusRequestEntityTooLarge)
	wantStatus(t, e.uploadMultipart(t, "file", "small.png", pngBytes(t)), http.StatusCreated)
}

// TestInternalError checks that an unexpected error is a bare 500 whose
// detail is logged, never returned.
func TestInternalError(t *testing.T) {
	t.Parallel()
	const secretDetail = "dial tcp: password=hunter2 refused"
	e := sqliteEnv(t)
	e.engine.CreatePostFunc = func(ctx context.Context, p *snsos.Post, approve bool) error {
		return fmt.Errorf("engine: create post: %w", errors.New(secretDetail))
	}
	e.engine.CancelFunc = func(ctx context.Context, postID int64) (*snsos.Post, error) {
		return nil, snsos.WrapError(snsos.EINTERNAL, errors.New(secretDetail), "")
	}
	tests := []struct {
		name string
		req  req
	}{
		{"plain error", req{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": "hi"}}},
		{"internal code", req{Method: "POST", Path: "/api/v1/posts/1/cancel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, tc.req)
			p := wantProblem(t, r, http.StatusInternalServerError)
			if p.Detail != "Internal error." || p.Type != "about:blank" || len(p.Errors) != 0 {
				t.Fatalf("problem = %+v", p)
			}
			if bytes.Contains(r.Body, []byte("hunter2")) || bytes.Contains(r.Body, []byte("dial tcp")) {
				t.Fatalf("500 leaks the cause: %s", r.Body)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "hunter2") || !strings.Contains(logs, "path="+tc.req.Path) {
				t.Fatalf("the cause and path are not logged:\n%s", logs)
			}
		})
	}
}

// wantNoSecrets fails if the env's token appears in any response or in the
// log output.
func wantNoSecrets(t *testing.T, e *env) {
	t.Helper()
	e.mu.Lock()
	resp := e.responses.String()
	e.mu.Unlock()
	for _, where := range []struct{ name, text string }{{"responses", resp}, {"logs", e.logs.String()}} {
		if strings.Contains(where.text, e.token) || strings.Contains(where.text, auth.HashToken(e.token)) {
			t.Fatalf("the API token (or its hash) appears in the %s", where.name)
		}
	}
}

// TestTokensNeverLeak sends tokens, good and bad, through every path that
// logs or answers, and looks for them in the output.
func TestTokensNeverLeak(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t, func(c *api.Config) {
		c.Engine = &fakeEngine{CreatePostFunc: func(context.Context, *snsos.Post, bool) error { return errors.New("boom") }}
	})
	revoked := mustToken(t, e.st, "revoked")
	toks, _ := e.st.ListAPITokens(ctx)
	for _, tk := range toks {
		if tk.Name == "revoked" {
			e.st.RevokeAPIToken(ctx, tk.ID)
		}
	}
	unknown := newToken()
	auths := []*string{nil, strp("Bearer " + revoked), strp("Bearer " + unknown), strp("Basic " + unknown), strp("Bearer " + unknown + " x")}
	paths := []req{
		{Method: "GET", Path: "/api/v1/accounts"},
		{Method: "POST", Path: "/api/v1/posts", JSON: map[string]any{"body": "hi"}},
		{Method: "POST", Path: "/api/v1/posts", Raw: `{"` + unknown + `":1}`},
		{Method: "GET", Path: "/api/v1/posts/999"},
		{Method: "GET", Path: "/api/v1/nope?token=" + unknown},
	}
	for _, a := range auths {
		for _, q := range paths {
			q.Auth = a
			e.do(t, q)
		}
	}
	e.mu.Lock()
	resp := e.responses.String()
	e.mu.Unlock()
	logs := e.logs.String()
	for _, tok := range []string{e.token, revoked} {
		if strings.Contains(resp, tok) || strings.Contains(logs, tok) {
			t.Fatalf("a token appears in the output:\nlogs:\n%s", logs)
		}
	}
	if strings.Contains(logs, unknown) {
		t.Fatalf("a presented token appears in the logs:\n%s", logs)
	}
	if !strings.Contains(logs, "api token refused") {
		t.Fatalf("refusals are not logged:\n%s", logs)
	}
}

// TestLocation checks that output times follow Config.Location.
func TestLocation(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	e := sqliteEnv(t, func(c *api.Config) { c.Location = ny })
	post := e.createPost(t, map[string]any{"body": "hi", "approve": true, "scheduled_at": "2099-07-04T09:00:00+09:00",
		"targets": []map[string]any{{"account_id": e.accounts[snsos.PlatformX].ID}}})
	if got := post["scheduled_at"]; got != "2099-07-03T20:00:00-04:00" {
		t.Fatalf("scheduled_at = %v, want it in New York time", got)
	}
	if !slices.Contains([]string{"scheduled"}, post["status"].(string)) {
		t.Fatalf("status = %v", post["status"])
	}
}

func TestDeletePostOffersMedia(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	up := e.uploadMultipart(t, "file", "a.png", pngBytes(t))
	wantStatus(t, up, http.StatusCreated)
	mid := idOf(up.JSON(t))
	newPost := func(media ...int64) int64 {
		if media == nil {
			media = []int64{}
		}
		r := e.post(t, "/api/v1/posts", map[string]any{"body": "to delete", "media_ids": media,
			"targets": []any{map[string]any{"account_id": e.accounts[snsos.PlatformX].ID}}})
		wantStatus(t, r, http.StatusCreated)
		return idOf(r.JSON(t))
	}
	// Without the flag the unused media is offered, not deleted.
	id := newPost(mid)
	r := e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/posts/%d", id)})
	wantStatus(t, r, http.StatusOK)
	if got := fmt.Sprint(r.JSON(t)["media_unused"]); got != fmt.Sprintf("[%d]", mid) {
		t.Fatalf("media_unused = %s", got)
	}
	wantStatus(t, e.get(t, fmt.Sprintf("/api/v1/posts/%d", id)), http.StatusNotFound)
	wantStatus(t, e.get(t, fmt.Sprintf("/api/v1/media/%d", mid)), http.StatusOK)
	// With delete_media=true it goes too.
	id = newPost(mid)
	r = e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/posts/%d?delete_media=true", id)})
	wantStatus(t, r, http.StatusOK)
	if got := fmt.Sprint(r.JSON(t)["media_deleted"]); got != fmt.Sprintf("[%d]", mid) {
		t.Fatalf("media_deleted = %s", got)
	}
	wantStatus(t, e.get(t, fmt.Sprintf("/api/v1/media/%d", mid)), http.StatusNotFound)
	wantStatus(t, e.do(t, req{Method: "DELETE", Path: "/api/v1/posts/999"}), http.StatusNotFound)
	wantStatus(t, e.do(t, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/posts/%d?delete_media=maybe", newPost())}), http.StatusBadRequest)
}

// changeLast returns tok with its last character replaced by another one
// (never by itself: a token ending in "A" stays different).
func changeLast(tok string) string {
	c := byte('A')
	if tok[len(tok)-1] == c {
		c = 'B'
	}
	return tok[:len(tok)-1] + string(c)
}
