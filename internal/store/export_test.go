package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestExportReadersPageEverythingOnce: paging with the export readers at a
// small page size visits every post, medium, message and request exactly
// once, oldest first, each post as FindPostByID reads it; attempts come
// back per target in order; settings leave out the sealed link keys; the
// counts agree.
func TestExportReadersPageEverythingOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "exp-1")
		for i := range 5 {
			m := &snsos.MediaRef{SHA256: fmt.Sprintf("exp%d", i), Key: fmt.Sprintf("ke%d", i), Mime: "image/png", Size: int64(i + 1)}
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		var postIDs, targetIDs []int64
		for i := range 7 {
			p := &snsos.Post{Body: fmt.Sprintf("export %d", i), ScheduledAt: time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC)}
			if i%2 == 0 {
				p.Targets = []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}
			}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			postIDs = append(postIDs, p.ID)
			for _, tg := range p.Targets {
				targetIDs = append(targetIDs, tg.ID)
			}
		}
		// Two attempts on the first target, none on the others.
		first := targetIDs[0]
		startAttempt(t, s, first, snsos.StateScheduled, snsos.StatePublishing, "try 1")
		finishAs(t, s, first, snsos.StatePublishing, snsos.StateRetryWait)
		startAttempt(t, s, first, snsos.StateRetryWait, snsos.StatePublishing, "try 2")
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: first, Checkpoint: snsos.Checkpoint1h, Values: map[string]int64{"views": 3}}); err != nil {
			t.Fatal(err)
		}

		var seen []int64
		for after := int64(0); ; {
			page, err := s.PostsAfter(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > 3 {
				t.Fatalf("page of %d posts, limit 3", len(page))
			}
			for _, p := range page {
				want, err := s.FindPostByID(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(p, want) {
					t.Fatalf("post %d paged:\n%+v\nfound:\n%+v", p.ID, p, want)
				}
				seen = append(seen, p.ID)
			}
			after = page[len(page)-1].ID
		}
		if !reflect.DeepEqual(seen, postIDs) {
			t.Fatalf("paged posts %v, want %v", seen, postIDs)
		}

		att, err := s.AttemptsOfTargets(ctx, targetIDs)
		if err != nil {
			t.Fatal(err)
		}
		if len(att) != 1 || len(att[first]) != 2 || att[first][0].Number != 1 || att[first][1].Number != 2 ||
			att[first][0].Outcome != snsos.StateRetryWait || att[first][1].Detail != "try 2" {
			t.Fatalf("attempts = %+v", att)
		}
		if none, err := s.AttemptsOfTargets(ctx, nil); err != nil || len(none) != 0 {
			t.Fatalf("attempts of no targets = %v, %v", none, err)
		}

		media := pageAll(t, func(after int64) ([]int64, error) {
			ms, err := s.MediaAfter(ctx, after, 2)
			return idsOf(ms, func(m *snsos.MediaRef) int64 { return m.ID }), err
		})
		if len(media) != 5 {
			t.Fatalf("paged media %v", media)
		}
		checkContactAndRequests(t, s)
		checkSettingsAndCounts(t, s)
	})
}

// checkSettingsAndCounts: the sealed link key is not listed among the
// settings; the counts agree with what the test stored.
func checkSettingsAndCounts(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.PutSetting(ctx, "ui.lang", "ja"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DerivedKey(ctx, "media-links"); err != nil {
		t.Fatal(err)
	}
	settings, err := s.ListSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(settings) != 1 || settings[0].Key != "ui.lang" || settings[0].Value != "ja" || settings[0].UpdatedAt.IsZero() {
		t.Fatalf("settings = %+v (the sealed link key must not be listed)", settings)
	}
	c, err := s.CountExport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ExportCounts{Accounts: 1, Posts: 7, Media: 5, ContactMessages: 3, DeletionRequests: 1}); c != want || c.Total() != 17 {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
}

// checkContactAndRequests stores three messages, one asking for deletion,
// and pages through them and the request.
func checkContactAndRequests(t *testing.T, s *store.Store) {
	t.Helper()
	for i := range 3 {
		m := &snsos.ContactMessage{Name: fmt.Sprint("n", i), Email: fmt.Sprintf("p%d@example.com", i), Subject: "s", Body: "b", Lang: "en"}
		var d *snsos.DeletionRequest
		if i == 1 {
			d = &snsos.DeletionRequest{ConfirmationCode: "EXPORTCODE1"}
		}
		if err := s.CreateContact(ctx, m, d); err != nil {
			t.Fatal(err)
		}
	}
	msgs := pageAll(t, func(after int64) ([]int64, error) {
		ms, err := s.ContactMessagesAfter(ctx, after, 2)
		return idsOf(ms, func(m *snsos.ContactMessage) int64 { return m.ID }), err
	})
	if len(msgs) != 3 {
		t.Fatalf("paged messages %v", msgs)
	}
	reqs, err := s.DeletionRequestsAfter(ctx, 0, 10)
	if err != nil || len(reqs) != 1 || reqs[0].ConfirmationCode != "EXPORTCODE1" {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
	if rest, err := s.DeletionRequestsAfter(ctx, reqs[0].ID, 10); err != nil || len(rest) != 0 {
		t.Fatalf("requests after the last = %+v, %v", rest, err)
	}
}

// pageAll pages with next until it returns nothing, checking that ids
// only grow, and returns them all.
func pageAll(t *testing.T, next func(after int64) ([]int64, error)) []int64 {
	t.Helper()
	var all []int64
	for after := int64(0); ; {
		ids, err := next(after)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			return all
		}
		for _, id := range ids {
			if id <= after {
				t.Fatalf("id %d after %d: pages must go forward", id, after)
			}
			after = id
		}
		all = append(all, ids...)
	}
}

func idsOf[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func startAttempt(t *testing.T, s *store.Store, id int64, from, to snsos.TargetState, detail string) {
	t.Helper()
	if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: id, From: from, To: to, Attempt: &snsos.Attempt{Detail: detail}, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
}

// finishAs ends the target's owning attempt with the move from → to.
func finishAs(t *testing.T, s *store.Store, id int64, from, to snsos.TargetState) {
	t.Helper()
	tg, err := s.FindTargetByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	fin := &snsos.Attempt{ID: tg.OwnerAttempt, Error: "boom"}
	if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: id, From: from, To: to, Owner: tg.OwnerAttempt, Finish: fin}); err != nil {
		t.Fatal(err)
	}
}
