package obs_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/obs"
	"github.com/sns-os/snsos/internal/store/storetest"
)

type idleArgs struct{}

func (idleArgs) Kind() string { return "obs_test_idle" }

type idleWorker struct{ river.WorkerDefaults[idleArgs] }

func (idleWorker) Work(context.Context, *river.Job[idleArgs]) error { return nil }

// TestRiverJobsCounted counts the jobs waiting in River's real table, on
// SQLite (through the read pool, as a scrape does) and PostgreSQL.
func TestRiverJobsCounted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		if err := jobs.Migrate(ctx, s.DB(), s.Pool(), nil); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, idleWorker{})
		jc, err := jobs.New(jobs.Config{DB: s.DB(), Pool: s.Pool(), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		// The client is never started: the jobs stay where they were put.
		later := time.Now().Add(time.Hour)
		for _, at := range []time.Time{later, later, {}} {
			if _, err := jc.Insert(ctx, idleArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		m := obs.New(obs.Options{Jobs: obs.RiverJobs(s.ReadDB())})
		var b bytes.Buffer
		if err := m.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"snsos_jobs_waiting{state=\"available\",kind=\"obs_test_idle\"} 1\n",
			"snsos_jobs_waiting{state=\"scheduled\",kind=\"obs_test_idle\"} 2\n",
		} {
			if !strings.Contains(b.String(), want) {
				t.Fatalf("no %q in:\n%s", want, b.String())
			}
		}
	})
}

// TestRecordedMetrics checks the names, labels and types of what the
// hooks record, and that a nil *Metrics records nothing without failing.
func TestRecordedMetrics(t *testing.T) {
	var none *obs.Metrics
	none.Applied(snsos.StatePublishing, &snsos.Target{})
	none.Call(snsos.PlatformX, time.Second, "ok")
	none.Refresh(snsos.PlatformX, nil)
	none.Collected(snsos.PlatformX, "1h", time.Second)

	m := obs.New(obs.Options{})
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	m.Applied(snsos.StatePublishing, &snsos.Target{Platform: snsos.PlatformThreads, State: snsos.StatePublished, ScheduledAt: at, PublishedAt: at.Add(300 * time.Millisecond)})
	m.Applied(snsos.StatePublishing, &snsos.Target{Platform: snsos.PlatformThreads, State: snsos.StateRetryWait})
	m.Call(snsos.PlatformInstagram, 120*time.Millisecond, "ok")
	m.Call(snsos.PlatformInstagram, 2*time.Second, "rate_limited")
	m.Refresh(snsos.PlatformTikTok, nil)
	m.Refresh(snsos.PlatformTikTok, errors.New("refused"))
	m.Collected(snsos.PlatformX, "24h", 90*time.Second)
	var b bytes.Buffer
	if err := m.Write(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# TYPE snsos_publish_outcomes_total counter\n",
		`snsos_publish_outcomes_total{platform="threads",state="published"} 1` + "\n",
		`snsos_publish_outcomes_total{platform="threads",state="retry_wait"} 1` + "\n",
		"# TYPE snsos_publish_lateness_seconds histogram\n",
		`snsos_publish_lateness_seconds_bucket{platform="threads",le="0.25"} 0` + "\n",
		`snsos_publish_lateness_seconds_bucket{platform="threads",le="0.5"} 1` + "\n",
		`snsos_publish_lateness_seconds_sum{platform="threads"} 0.3` + "\n",
		`snsos_platform_calls_total{platform="instagram",class="ok"} 1` + "\n",
		`snsos_platform_calls_total{platform="instagram",class="rate_limited"} 1` + "\n",
		`snsos_platform_call_duration_seconds_count{platform="instagram"} 2` + "\n",
		`snsos_token_refreshes_total{platform="tiktok"} 2` + "\n",
		`snsos_token_refresh_failures_total{platform="tiktok"} 1` + "\n",
		`snsos_checkpoint_delay_seconds_bucket{platform="x",checkpoint="24h",le="300"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "snsos_jobs_waiting") {
		t.Error("jobs waiting written without a counter")
	}
}

// TestHandlerFailures: a scrape whose job count fails answers 503 (and the
// cause only in the log); anything but GET and HEAD is refused.
func TestHandlerFailures(t *testing.T) {
	m := obs.New(obs.Options{Jobs: func(context.Context) ([]obs.JobCount, error) {
		return nil, errors.New("database is closed")
	}})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "closed") {
		t.Fatalf("failed count: %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}
