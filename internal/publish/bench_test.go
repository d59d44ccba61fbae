package publish_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

const (
	benchPending  = 10_000                 // targets scheduled a day ahead, never due during the run
	benchMeasured = 200                    // measured targets per round
	benchLead     = 6 * time.Second        // first measured target's time after the round starts
	benchSpacing  = 100 * time.Millisecond // between measured targets
)

// arrivals records when each POST /2/tweets reaches the simulator, by text.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (a *arrivals) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				Text string `json:"text"`
			}
			if err == nil && json.Unmarshal(body, &req) == nil {
				a.mu.Lock()
				if _, seen := a.at[req.Text]; !seen { // a retry is not the arrival
					a.at[req.Text] = now
				}
				a.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (a *arrivals) get(text string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[text]
	return t, ok
}

// BenchmarkSchedulingLateness measures how late a scheduled target reaches
// the platform: from its scheduled time to the moment POST /2/tweets
// arrives at the X simulator, with benchPending other targets (each with
// its publish and preflight job) waiting on SQLite. The whole path is real:
// the SQLite file store, River with the engine's workers (the test
// harness), the X client over loopback HTTP. Run it with -benchtime=1x;
// each iteration is one round of benchMeasured targets.
func BenchmarkSchedulingLateness(b *testing.B) {
	setupStart := time.Now()
	env := storetest.New(b, store.SQLite)

	// A simulator of our own: without rate limits, and with the arrival
	// recorder in front. The harness's own simulator stays unused.
	rec := &arrivals{at: map[string]time.Time{}}
	sim := xsim.New(xsim.Options{ClientID: "cid", ClientSecret: "csecret", Unlimited: true})
	srv := httptest.NewServer(rec.wrap(sim))
	b.Cleanup(func() { sim.Close(); srv.Close() })
	client := x.New(x.Config{ClientID: "cid", ClientSecret: "csecret", BaseURL: srv.URL,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Timeout: 2 * time.Second})})

	h := newHarnessWith(b, env, harnessOptions{leaderOnly: true}, func(c *publish.Config) {
		c.Platforms = map[snsos.Platform]platform.Platform{snsos.PlatformX: client}
		// One account carries every target: lift the 24-hour quota.
		c.Quotas = map[snsos.Platform]int{snsos.PlatformX: 0}
	})
	s := env.Store
	user := sim.AddUser("bench", "Bench")
	access, refresh := sim.IssueTokens(user.ID, nil)
	acct := &snsos.Account{Platform: snsos.PlatformX, RemoteID: user.ID, Handle: user.Username}
	if err := s.UpsertAccount(ctx, acct); err != nil {
		b.Fatal(err)
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: acct.ID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
		ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	create := func(text string, at time.Time) *snsos.Post {
		p := &snsos.Post{Body: text, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: acct.ID}}}
		if err := h.engine.CreatePost(ctx, p, true); err != nil {
			b.Fatalf("CreatePost: %v", err)
		}
		if p.Targets[0].State != snsos.StateScheduled {
			b.Fatalf("target state %s, want scheduled", p.Targets[0].State)
		}
		return p
	}

	// The pending load: a day ahead, one every 5 s, so that their preflight
	// jobs (an hour before) are not due either.
	tomorrow := time.Now().Add(24 * time.Hour)
	loadStart := time.Now()
	for i := range benchPending {
		create(fmt.Sprintf("pending post %d", i), tomorrow.Add(time.Duration(i)*5*time.Second))
	}
	loadTime := time.Since(loadStart)

	// River's leader runs the scheduler that makes scheduled jobs available:
	// start the clock only once there is one.
	leaderStart := time.Now()
	for {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM river_leader`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Since(leaderStart) > 30*time.Second {
			b.Fatal("no River leader after 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	leaderWait := time.Since(leaderStart)
	b.Logf("setup %s: %d pending targets created in %s (%.2f ms each), River leader after a further %s",
		time.Since(setupStart).Round(time.Millisecond), benchPending, loadTime.Round(time.Millisecond),
		float64(loadTime)/float64(time.Millisecond)/benchPending, leaderWait.Round(time.Millisecond))

	var late []time.Duration
	b.ResetTimer()
	for round := range b.N {
		base := time.Now().Add(benchLead)
		type measured struct {
			text string
			at   time.Time
			tid  int64
		}
		ms := make([]measured, benchMeasured)
		for i := range ms {
			at := base.Add(time.Duration(i) * benchSpacing).UTC().Truncate(time.Microsecond)
			text := fmt.Sprintf("measured post %d/%d", round, i)
			p := create(text, at)
			ms[i] = measured{text: text, at: at, tid: p.Targets[0].ID}
		}
		if slack := time.Until(base); slack < time.Second {
			b.Logf("round %d: scheduling the measured targets left only %s before the first was due", round, slack.Round(time.Millisecond))
		}
		last := ms[len(ms)-1].at
		deadline := last.Add(30 * time.Second)
		for {
			n := 0
			for _, m := range ms {
				if _, ok := rec.get(m.text); ok {
					n++
				}
			}
			if n == len(ms) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("round %d: only %d of %d measured targets reached the platform 30 s after the last was due", round, n, len(ms))
			}
			time.Sleep(20 * time.Millisecond)
		}
		worst, worstI := time.Duration(math.MinInt64), 0
		for i, m := range ms {
			arr, _ := rec.get(m.text)
			l := arr.Sub(m.at)
			late = append(late, l)
			if l > worst {
				worst, worstI = l, i
			}
		}
		b.Logf("round %d: latest was measured target %d (due %s after the first): %s late",
			round, worstI, (time.Duration(worstI) * benchSpacing), worst.Round(time.Millisecond))
		// Every arrival should end as a publication.
		for _, m := range ms {
			tg := h.waitPublished(b, m.tid, deadline)
			if tg.RemoteID == "" {
				b.Fatalf("target %d published without a remote id", m.tid)
			}
		}
	}
	b.StopTimer()

	slices.Sort(late)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(p float64) time.Duration { // nearest rank
		i := int(math.Ceil(p*float64(len(late)))) - 1
		return late[max(i, 0)]
	}
	b.ReportMetric(ms(pct(0.50)), "p50-ms")
	b.ReportMetric(ms(pct(0.90)), "p90-ms")
	b.ReportMetric(ms(pct(0.99)), "p99-ms")
	b.ReportMetric(ms(late[len(late)-1]), "max-ms")
	b.Logf("lateness over %d targets: min %s p50 %s p90 %s p99 %s max %s", len(late),
		late[0].Round(time.Millisecond), pct(0.50).Round(time.Millisecond), pct(0.90).Round(time.Millisecond),
		pct(0.99).Round(time.Millisecond), late[len(late)-1].Round(time.Millisecond))
}

// waitPublished polls target id until it is published, failing on another
// terminal state or after deadline.
func (h *harness) waitPublished(b *testing.B, id int64, deadline time.Time) *snsos.Target {
	b.Helper()
	for {
		tg, err := h.env.Store.FindTargetByID(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if tg.State == snsos.StatePublished {
			return tg
		}
		if tg.State.Terminal() || time.Now().After(deadline) {
			b.Fatalf("target %d is %s (%s), want published", id, tg.State, tg.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
