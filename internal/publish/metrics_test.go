package publish_test

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/obs"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestMetricsAfterPublish publishes a scheduled post through the engine
// with the metrics hooked in as serve wires them: the outcome is counted
// under its platform and state, and its lateness is in the histogram.
func TestMetricsAfterPublish(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		m := obs.New(obs.Options{})
		published := make(chan *snsos.Target, 1)
		h := newHarness(t, env, func(c *publish.Config) {
			c.OnApplied = func(from snsos.TargetState, tg *snsos.Target) {
				m.Applied(from, tg)
				if tg.State == snsos.StatePublished {
					published <- tg
				}
			}
		})
		p := h.schedule(t, "counted by the metrics", time.Now().Add(time.Second), nil)
		var tg *snsos.Target
		select {
		case tg = <-published:
		case <-time.After(30 * time.Second):
			t.Fatal("the target was never published")
		}
		if tg.ID != p.Targets[0].ID {
			t.Fatalf("published target %d, want %d", tg.ID, p.Targets[0].ID)
		}
		var b bytes.Buffer
		if err := m.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !regexp.MustCompile(`(?m)^snsos_publish_outcomes_total\{platform="x",state="published"\} 1$`).MatchString(out) {
			t.Fatalf("no published outcome:\n%s", out)
		}
		count := regexp.MustCompile(`(?m)^snsos_publish_lateness_seconds_count\{platform="x"\} 1$`)
		sum := regexp.MustCompile(`(?m)^snsos_publish_lateness_seconds_sum\{platform="x"\} (\S+)$`).FindStringSubmatch(out)
		if !count.MatchString(out) || sum == nil {
			t.Fatalf("no lateness observation:\n%s", out)
		}
		got, _ := strconv.ParseFloat(sum[1], 64)
		want := tg.PublishedAt.Sub(tg.ScheduledAt).Seconds()
		if d := got - want; d > 1e-6 || d < -1e-6 {
			t.Fatalf("lateness %v s, want published_at − scheduled_at = %v s", got, want)
		}
	})
}
