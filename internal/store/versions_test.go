package store_test

import (
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// versionsOf returns the stored version of each target of post id: what
// UpdatePost compares.
func versionsOf(t *testing.T, s *store.Store, id int64) map[int64]snsos.TargetVersion {
	t.Helper()
	p, err := s.FindPostByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]snsos.TargetVersion{}
	for _, tg := range p.Targets {
		out[tg.ID] = snsos.TargetVersion{State: tg.State, UpdatedAt: tg.UpdatedAt}
	}
	return out
}
