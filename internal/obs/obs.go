// Package obs is what an operator watches: the process's metrics, served
// at /metrics in the Prometheus text format (see docs/ARCHITECTURE.md,
// "Metrics", for every name).
//
// The packages that do the work do not import this one: each takes a small
// hook in its config (publish.Config.OnApplied, platform.HTTPOptions.OnCall,
// oauth.Config.OnRefresh, collect.Config.OnCollected), and the wiring hands
// it the matching method of *Metrics. Counters and histograms count what
// this process did since it started; with several processes on PostgreSQL
// each exposes its own and Prometheus sums them. The jobs waiting are read
// from River's table at each scrape, so every process shows the same queue.
//
// The library is VictoriaMetrics' metrics package, not the Prometheus
// client: docs/benchmarks.md has the binary size and idle memory of both.
// Labels carry only closed sets (platforms, states, error classes, job
// kinds, checkpoint names): never a handle, an id or anything secret.
package obs

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sns-os/snsos"
)

// Histogram bounds, in seconds. Lateness is what the goals speak
// of (p99 under 250 ms), up to the hours a post waits behind a platform's
// rate limit; a checkpoint is late by the jobs ahead of it, up to a day
// when a platform had no numbers yet.
var (
	latenessBuckets   = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600}
	callBuckets       = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	checkpointBuckets = []float64{1, 10, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600}
)

// scrapeTimeout bounds the database work of one scrape: a slow count must
// not pile scrapes up behind each other.
const scrapeTimeout = 2 * time.Second

// JobCounter counts River's unfinished jobs by state and kind.
type JobCounter func(ctx context.Context) ([]JobCount, error)

// JobCount is how many jobs of one kind wait in one state.
type JobCount struct {
	State string
	Kind  string
	N     int64
}

// Options configures New.
type Options struct {
	// Jobs counts the jobs waiting at each scrape; nil leaves the family out.
	Jobs   JobCounter
	Logger *slog.Logger
}

// Metrics holds the process's metrics. It is safe for concurrent use; a
// nil *Metrics records nothing.
type Metrics struct {
	set  *metrics.Set
	jobs JobCounter
	log  *slog.Logger
}

// New returns an empty set of metrics.
func New(o Options) *Metrics {
	// HELP and TYPE lines: Prometheus then knows the histograms and
	// counters for what they are.
	metrics.ExposeMetadata(true)
	m := &Metrics{set: metrics.NewSet(), jobs: o.Jobs, log: o.Logger}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m
}

// Applied records a decision the publishing engine applied: target t
// (as written) moved from state from to t.State. A publication also gives
// its lateness, published_at − scheduled_at, when the target had a time.
func (m *Metrics) Applied(from snsos.TargetState, t *snsos.Target) {
	if m == nil || t == nil {
		return
	}
	p := label(string(t.Platform))
	m.set.GetOrCreateCounter(fmt.Sprintf(`snsos_publish_outcomes_total{platform=%s,state=%s}`, p, label(string(t.State)))).Inc()
	if t.State != snsos.StatePublished || from == snsos.StatePublished || t.ScheduledAt.IsZero() || t.PublishedAt.IsZero() {
		return
	}
	late := max(t.PublishedAt.Sub(t.ScheduledAt), 0)
	m.set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`snsos_publish_lateness_seconds{platform=%s}`, p), latenessBuckets).Update(late.Seconds())
}

// Call records one call to a platform's API: how long it took and its
// class ("ok", or the platform.Kind name of its failure).
func (m *Metrics) Call(p snsos.Platform, took time.Duration, class string) {
	if m == nil {
		return
	}
	pl := label(string(p))
	m.set.GetOrCreateCounter(fmt.Sprintf(`snsos_platform_calls_total{platform=%s,class=%s}`, pl, label(class))).Inc()
	m.set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`snsos_platform_call_duration_seconds{platform=%s}`, pl), callBuckets).Update(took.Seconds())
}

// Refresh records one token refresh at platform p; err is its failure.
func (m *Metrics) Refresh(p snsos.Platform, err error) {
	if m == nil {
		return
	}
	pl := label(string(p))
	m.set.GetOrCreateCounter(fmt.Sprintf(`snsos_token_refreshes_total{platform=%s}`, pl)).Inc()
	if err != nil {
		m.set.GetOrCreateCounter(fmt.Sprintf(`snsos_token_refresh_failures_total{platform=%s}`, pl)).Inc()
	}
}

// Collected records a checkpoint snapshot stored delay after it was due.
func (m *Metrics) Collected(p snsos.Platform, cp snsos.Checkpoint, delay time.Duration) {
	if m == nil {
		return
	}
	name := fmt.Sprintf(`snsos_checkpoint_delay_seconds{platform=%s,checkpoint=%s}`, label(string(p)), label(string(cp)))
	m.set.GetOrCreatePrometheusHistogramExt(name, checkpointBuckets).Update(max(delay, 0).Seconds())
}

// Write writes every metric in the Prometheus text format: the jobs
// waiting (counted now), the recorded ones, then the Go runtime's and the
// process's.
func (m *Metrics) Write(ctx context.Context, w io.Writer) error {
	var b bytes.Buffer
	if m.jobs != nil {
		ctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
		counts, err := m.jobs(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("count jobs: %w", err)
		}
		b.WriteString("# HELP snsos_jobs_waiting Jobs not finished yet, by state and kind, read from River's table at this scrape.\n")
		b.WriteString("# TYPE snsos_jobs_waiting gauge\n")
		for _, c := range counts {
			fmt.Fprintf(&b, "snsos_jobs_waiting{state=%s,kind=%s} %d\n", label(c.State), label(c.Kind), c.N)
		}
	}
	m.set.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// Handler serves the metrics. It does no authentication: the caller puts
// it behind an API token or on a listener of its own.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
			return
		}
		var b bytes.Buffer
		if err := m.Write(r.Context(), &b); err != nil {
			m.log.Error("metrics scrape failed", "err", err)
			http.Error(w, "The metrics could not be read; see the log.", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b.Bytes())
	})
}

// RiverJobs counts the unfinished jobs in River's table on db. The
// (state, …) index River keeps makes it a range read of those states.
func RiverJobs(db *sql.DB) JobCounter {
	return func(ctx context.Context) ([]JobCount, error) {
		rows, err := db.QueryContext(ctx, `SELECT state, kind, COUNT(*) FROM river_job
			WHERE state IN ('available', 'running', 'retryable', 'scheduled') GROUP BY state, kind ORDER BY state, kind`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []JobCount
		for rows.Next() {
			var c JobCount
			if err := rows.Scan(&c.State, &c.Kind, &c.N); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
}

// label quotes a label value as the text format wants it.
func label(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
