package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestOnCollectedHook: the metrics hear of each checkpoint snapshot a job
// stored, late by its time less the publication's plus the offset; a
// second run that finds it stored already is not heard again.
func TestOnCollectedHook(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		type heard struct {
			p     snsos.Platform
			cp    snsos.Checkpoint
			delay time.Duration
		}
		got := make(chan heard, 4)
		const after = time.Second
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{{Name: "1h", After: after}},
			onCollected: func(p snsos.Platform, cp snsos.Checkpoint, delay time.Duration) { got <- heard{p, cp, delay} }})
		ctx := context.Background()
		tg := h.publish(t, "heard by the metrics", "")
		snaps := h.waitSnapshots(t, tg.ID, 1)
		var first heard
		select {
		case first = <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("the hook never heard of the snapshot")
		}
		want := snaps[0].FetchedAt.Sub(tg.PublishedAt.Add(after))
		if first.p != snsos.PlatformX || first.cp != "1h" || (first.delay-want).Abs() > time.Millisecond {
			t.Fatalf("hook heard %+v, want x 1h %v", first, want)
		}
		res, err := h.jobs.Insert(ctx, collect.CheckpointArgs{TargetID: tg.ID, Checkpoint: "1h"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if row := h.waitJob(t, res.Job.ID); row.State != rivertype.JobStateCompleted {
			t.Fatalf("second run ended %s", row.State)
		}
		select {
		case again := <-got:
			t.Fatalf("a run that stored nothing was heard: %+v", again)
		default:
		}
	})
}
