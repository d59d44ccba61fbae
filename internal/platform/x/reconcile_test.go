package x

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	xsim "github.com/sns-os/snsos/internal/sim/x"
)

// findEnv is the simulator without rate limits (a busy account posts more
// than X's 100 per 15 minutes allow one client to post in a test), behind a
// loopback server that counts timeline pages.
type findEnv struct {
	sim   *xsim.Sim
	srv   *httptest.Server
	c     *Client
	user  xsim.User
	auth  platform.Auth
	pages atomic.Int64
}

func newFindEnv(t *testing.T) *findEnv {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	e := &findEnv{sim: xsim.New(xsim.Options{ClientID: "sim-client", ClientSecret: testSecret, Unlimited: true,
		Now: func() time.Time { return start }})}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/tweets") && strings.HasPrefix(r.URL.Path, "/2/users/") {
			e.pages.Add(1)
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.sim.Close)
	e.c = New(Config{
		ClientID: "sim-client", ClientSecret: testSecret, RedirectURL: simRedirect, BaseURL: e.srv.URL,
		HTTP:  platform.NewHTTPClient(platform.HTTPOptions{Now: e.sim.Now, Timeout: 10 * time.Second}),
		Now:   e.sim.Now,
		Sleep: func(_ context.Context, d time.Duration) error { e.sim.Advance(d); return nil },
	})
	e.user = e.sim.AddUser("busy_account", "Busy")
	e.token()
	return e
}

// token issues a fresh access token (the simulator's expire after 2 hours
// of its clock).
func (e *findEnv) token() {
	access, _ := e.sim.IssueTokens(e.user.ID, nil)
	e.auth = platform.Auth{UserID: e.user.ID, Handle: e.user.Username, AccessToken: snsos.Secret(access)}
}

// post publishes text through the simulator's POST /2/tweets and returns
// the new id.
func (e *findEnv) post(t *testing.T, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/2/tweets", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(e.auth.AccessToken))
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("post %q: %d %v", text, resp.StatusCode, err)
	}
	return out.Data.ID
}

func (e *findEnv) fill(t *testing.T, prefix string, n int) {
	t.Helper()
	for i := range n {
		e.post(t, fmt.Sprintf("%s %d", prefix, i))
	}
}

// notProven checks that err says "undecided": transient, not ErrNotFound,
// with a reason naming the search's reach.
func notProven(t *testing.T, err error, reach string) {
	t.Helper()
	if err == nil || errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("err = %v, want a transient error that is not ErrNotFound", err)
	}
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != platform.KindTransient || !errors.Is(err, platform.ErrTransient) {
		t.Fatalf("err = %#v, want *platform.Error of kind transient", err)
	}
	if want := fmt.Sprintf("did not reach back to %s within %d pages", reach, maxTimelinePages); !strings.Contains(pe.Reason, want) {
		t.Fatalf("reason %q, want it to contain %q", pe.Reason, want)
	}
}

// TestFindPostBusyAccount: more posts in the window than the page bound
// holds. Not finding the post is no proof that it is absent.
func TestFindPostBusyAccount(t *testing.T) {
	t.Parallel()
	e := newFindEnv(t)
	since := e.sim.Now()
	e.sim.Advance(time.Minute)
	e.post(t, "the needle")
	e.sim.Advance(time.Minute)
	e.fill(t, "busy", maxTimelinePages*timelinePageSize) // the needle is on the page after the bound

	_, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "the needle", Since: since})
	notProven(t, err, "2026-11-28T09:00:00Z")
	if n := e.pages.Load(); n != maxTimelinePages {
		t.Errorf("%d pages read, want %d", n, maxTimelinePages)
	}
	_, err = e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "never posted", Since: since})
	notProven(t, err, "2026-11-28T09:00:00Z")
	_, err = e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "never posted"})
	notProven(t, err, "the account's oldest post")
}

// TestFindPostLatePage: the match is on a page past the old bound of five.
func TestFindPostLatePage(t *testing.T) {
	t.Parallel()
	e := newFindEnv(t)
	since := e.sim.Now()
	e.sim.Advance(90 * time.Minute)
	id := e.post(t, "posted & then buried")
	posted := e.sim.Now()
	e.sim.Advance(time.Hour)
	e.token()
	e.fill(t, "later", 7*timelinePageSize+50) // the match is on page 8

	got, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "posted & then buried", Since: since})
	if err != nil {
		t.Fatalf("FindPost: %v", err)
	}
	if got.ID != id || got.URL != "https://x.com/busy_account/status/"+id {
		t.Errorf("found %+v, want id %s", got, id)
	}
	// CreatedAt is X's created_at: the publication time, not the search's.
	if !got.CreatedAt.Equal(posted) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, posted)
	}
	if n := e.pages.Load(); n != 8 {
		t.Errorf("%d pages read, want 8", n)
	}
}

// TestFindPostWindowCovered: the search reached past q.Since, so not
// finding the post proves its absence.
func TestFindPostWindowCovered(t *testing.T) {
	t.Parallel()
	e := newFindEnv(t)
	// Many posts, all before the window, which opens after X's duplicate
	// window (one of them is posted again in it).
	e.fill(t, "old", 3*maxTimelinePages*timelinePageSize/2)
	e.sim.Advance(25 * time.Hour)
	e.token()
	since := e.sim.Now()
	e.sim.Advance(time.Minute)
	e.fill(t, "recent", 250)
	e.post(t, "old 7") // the same text as an old post, inside the window

	_, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "never posted", Since: since})
	if !errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("window covered: err = %v, want ErrNotFound", err)
	}
	if n := e.pages.Load(); n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
	got, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "old 7", Since: since})
	if err != nil || !got.CreatedAt.After(since) {
		t.Fatalf("FindPost old 7 = %+v, %v; want the post in the window", got, err)
	}
}

// timelineFake serves pages of a timeline that ignores start_time, as a
// stand-in for an X that returns older posts than asked: page i (from 1)
// holds the posts pages[i-1] and a next_token unless it is the last.
func timelineFake(t *testing.T, pages [][]string, created func(page, i int) time.Time) (*Client, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 1
		if tok := r.URL.Query().Get("pagination_token"); tok != "" {
			fmt.Sscanf(tok, "page%d", &n)
		}
		served.Add(1)
		var data []map[string]any
		for i, text := range pages[n-1] {
			data = append(data, map[string]any{"id": fmt.Sprintf("19%02d%015d", n, i), "text": text,
				"created_at": created(n, i).UTC().Format("2006-01-02T15:04:05.000Z")})
		}
		meta := map[string]any{"result_count": len(data)}
		if n < len(pages) {
			meta["next_token"] = fmt.Sprintf("page%d", n+1)
		}
		b, _ := json.Marshal(map[string]any{"data": data, "meta": meta})
		writeJSON(w, http.StatusOK, b)
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL)
	return c, &served
}

func TestFindPostPagesFake(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	many := func(n int) [][]string {
		out := make([][]string, n)
		for i := range out {
			out[i] = []string{"a", "b", "c"}
		}
		return out
	}
	// Newest first: page p, post i is (p*3+i) minutes before testNow.
	minutesBack := func(p, i int) time.Time { return testNow.Add(-time.Duration((p-1)*3+i) * time.Minute) }

	t.Run("older posts reached", func(t *testing.T) {
		t.Parallel()
		// Page 2 holds posts older than since: everything after them is
		// older still, so the window is covered.
		old := func(p, i int) time.Time {
			if p >= 2 {
				return since.Add(-time.Duration(i+1) * time.Hour)
			}
			return minutesBack(p, i)
		}
		c, served := timelineFake(t, many(maxTimelinePages+5), old)
		_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "absent", Since: since})
		if !errors.Is(err, platform.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if n := served.Load(); n != 2 {
			t.Errorf("%d pages read, want 2", n)
		}
		// An old post with the wanted text is outside the window.
		if _, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "b", Since: testNow}); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("old match: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("last page at the bound", func(t *testing.T) {
		t.Parallel()
		c, served := timelineFake(t, many(maxTimelinePages), minutesBack)
		_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "absent", Since: since})
		if !errors.Is(err, platform.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if n := served.Load(); n != maxTimelinePages {
			t.Errorf("%d pages read, want %d", n, maxTimelinePages)
		}
	})
	t.Run("one page more than the bound", func(t *testing.T) {
		t.Parallel()
		c, served := timelineFake(t, many(maxTimelinePages+1), minutesBack)
		_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "absent", Since: since})
		notProven(t, err, "2026-11-28T10:00:00Z")
		if n := served.Load(); n != maxTimelinePages {
			t.Errorf("%d pages read, want %d", n, maxTimelinePages)
		}
	})
}
