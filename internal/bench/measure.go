package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// route is one measured path; {post} and {target} are filled in from the
// data set.
type route struct {
	path    string
	samples []time.Duration
	first   time.Duration
	size    int64
	errs    int   // requests that failed
	lastErr error // the last failure
}

// cost is a route's median, or its first time when every timed request
// failed.
func (r *route) cost() time.Duration {
	if len(r.samples) == 0 {
		return r.first
	}
	return quantile(r.samples, 0.5)
}

// routePaths are the pages and API routes the benchmark measures.
var routePaths = []string{
	"/", "/posts", "/posts/{post}", "/calendar", "/calendar?view=week",
	"/analytics?range=90d", "/analytics?range=all", "/analytics.csv?range=90d",
	"/accounts", "/settings", "/compose", "/inbox",
	"/api/v1/posts", "/api/v1/posts/{post}", "/api/v1/targets/{target}", "/api/v1/accounts",
}

// measureRoutes requests every route once to warm it, then up to
// o.Requests times, stopping early (after at least 3) once o.Budget has
// passed: on the unoptimised server some pages take most of a minute.
func (c *client) measureRoutes(ctx context.Context, o RunOptions, rep *report) error {
	post := int64(o.Posts / 2) // mid-history: published on three or four accounts
	target, err := c.firstTarget(ctx, post)
	if err != nil {
		return err
	}
	for _, p := range routePaths {
		r := &route{path: p}
		path := strings.NewReplacer("{post}", fmt.Sprint(post), "{target}", fmt.Sprint(target)).Replace(p)
		start := time.Now()
		r.first, r.size, err = c.get(ctx, path)
		if err != nil {
			r.first, r.errs, r.lastErr = time.Since(start), 1, err
		}
		start = time.Now()
		for tries := 0; tries < o.Requests && (tries < 3 || time.Since(start) < o.Budget); tries++ {
			t0 := time.Now()
			d, n, err := c.get(ctx, path)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				// A failed request (the server's own deadline, say) is
				// counted and shown, not timed.
				r.errs, r.lastErr = r.errs+1, fmt.Errorf("%w after %s", err, ms(time.Since(t0)))
				continue
			}
			r.samples, r.size = append(r.samples, d), n
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "bench run: %-28s %3d requests, p50 %s, %d failed\n", p, len(r.samples), ms(quantile(r.samples, 0.5)), r.errs)
		}
		rep.routes = append(rep.routes, r)
	}
	return nil
}

// firstTarget returns the id of post's first target, from the API.
func (c *client) firstTarget(ctx context.Context, post int64) (int64, error) {
	var p struct {
		Targets []struct {
			ID int64 `json:"id"`
		} `json:"targets"`
	}
	if err := c.api(ctx, http.MethodGet, fmt.Sprintf("/api/v1/posts/%d", post), nil, &p); err != nil {
		return 0, err
	}
	if len(p.Targets) == 0 {
		return 0, fmt.Errorf("bench run: post %d has no targets: is this a bench data set?", post)
	}
	return p.Targets[0].ID, nil
}

// api makes one API call with the token, decoding a 2xx answer into out.
func (c *client) api(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("bench run: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("bench run: %s %s answered %s: %.300s", method, path, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// latePost is one post of the lateness measure, as the API shows it.
type latePost struct {
	ID      int64 `json:"id"`
	Targets []struct {
		State       string    `json:"state"`
		ScheduledAt time.Time `json:"scheduled_at"`
		PublishedAt time.Time `json:"published_at"`
	} `json:"targets"`
}

// measureLateness schedules o.LatePosts posts to the simulator's X
// account, one a second from 20 s ahead, then requests the heaviest page
// (the slowest median above, see cost) in a loop until every one is published (or
// 3 minutes after the last was due), and records each one's lateness:
// published_at − scheduled_at as the server recorded them.
func (c *client) measureLateness(ctx context.Context, o RunOptions, pp Prepared, rep *report) error {
	if o.LatePosts < 1 {
		return nil
	}
	heavy := rep.routes[0]
	for _, r := range rep.routes {
		if r.cost() > heavy.cost() && !strings.HasPrefix(r.path, "/api/") {
			heavy = r
		}
	}
	rep.heavy = heavy.path
	rep.lateWanted = o.LatePosts
	first := time.Now().Add(20 * time.Second).Truncate(time.Second)
	ids := make([]int64, 0, o.LatePosts)
	for i := range o.LatePosts {
		at := first.Add(time.Duration(i) * time.Second)
		in := map[string]any{"body": fmt.Sprintf("Bench lateness %d, due %s", i+1, at.Format(time.RFC3339)),
			"targets": []map[string]any{{"account_id": pp.LateAccountID}}, "approve": true, "scheduled_at": at.Format(time.RFC3339)}
		var p latePost
		if err := c.api(ctx, http.MethodPost, "/api/v1/posts", in, &p); err != nil {
			return err
		}
		ids = append(ids, p.ID)
	}
	last := first.Add(time.Duration(o.LatePosts-1) * time.Second)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for loadCtx.Err() == nil {
			if d, _, err := c.get(loadCtx, heavy.path); err == nil {
				rep.underLoad = append(rep.underLoad, d)
			}
		}
	}()
	err := c.collectLateness(ctx, ids, last.Add(3*time.Minute), rep)
	stopLoad()
	wg.Wait()
	return err
}

// collectLateness waits until each post's target has an outcome, or
// deadline, reading them through the API.
func (c *client) collectLateness(ctx context.Context, ids []int64, deadline time.Time, rep *report) error {
	pending := slices.Clone(ids)
	for len(pending) > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		var still []int64
		for _, id := range pending {
			var p latePost
			if err := c.api(ctx, http.MethodGet, fmt.Sprintf("/api/v1/posts/%d", id), nil, &p); err != nil {
				return err
			}
			switch t := p.Targets[0]; t.State {
			case "published":
				rep.lateness = append(rep.lateness, t.PublishedAt.Sub(t.ScheduledAt))
			case "failed", "canceled", "needs_operator":
				rep.lateFailed++
			default:
				still = append(still, id)
			}
		}
		pending = still
	}
	rep.lateMissing = len(pending)
	return nil
}

// report is what Run prints.
type report struct {
	posts                   int
	startup                 time.Duration
	idleRSS, peakRSS        int64
	routes                  []*route
	heavy                   string
	underLoad, lateness     []time.Duration
	lateFailed, lateMissing int
	lateWanted              int
}

func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nbench-scale: %d posts; server ready in %s; RSS after start %.1f MiB, peak (VmHWM) %.1f MiB\n\n",
		rep.posts, ms(rep.startup), mib(rep.idleRSS), mib(rep.peakRSS))
	fmt.Fprintf(w, "| route | requests | failed | first | p50 | p95 | max | size |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.routes {
		fmt.Fprintf(w, "| `%s` | %d | %d | %s | %s | %s | %s | %s |\n", r.path, len(r.samples), r.errs, ms(r.first),
			ms(quantile(r.samples, 0.5)), ms(quantile(r.samples, 0.95)), ms(quantile(r.samples, 1)), size(r.size))
	}
	for _, r := range rep.routes {
		if r.lastErr != nil {
			fmt.Fprintf(w, "\n%s: %d failed, the last: %v", r.path, r.errs, r.lastErr)
		}
	}
	fmt.Fprintln(w)
	if rep.heavy == "" {
		return
	}
	n := len(rep.lateness)
	if n+rep.lateFailed+rep.lateMissing == 0 {
		fmt.Fprintf(w, "\nlateness: not measured (the %d posts could not be scheduled, see the error below)\n", rep.lateWanted)
		return
	}
	fmt.Fprintf(w, "\nlateness (published_at − scheduled_at) of %d posts due while `%s` was requested in a loop (%d requests, p50 %s):\n",
		n+rep.lateFailed+rep.lateMissing, rep.heavy, len(rep.underLoad), ms(quantile(rep.underLoad, 0.5)))
	fmt.Fprintf(w, "published %d, failed %d, not done after 3 min %d; p50 %s, p95 %s, p99 %s, max %s\n",
		n, rep.lateFailed, rep.lateMissing, ms(quantile(rep.lateness, 0.5)), ms(quantile(rep.lateness, 0.95)),
		ms(quantile(rep.lateness, 0.99)), ms(quantile(rep.lateness, 1)))
}

// quantile is the nearest-rank q-quantile of ds (0 for none).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
	default:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	default:
		return fmt.Sprintf("%d B", n)
	}
}
