package publish_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// scheduleOften and eventually are storetest's, named as these tests call
// them.
func scheduleOften(t testing.TB, s *store.Store) { storetest.ScheduleOften(t, s) }

func eventually(t testing.TB, limit time.Duration, cond func() bool, fail func() string) {
	t.Helper()
	storetest.Eventually(t, limit, 10*time.Millisecond, cond, fail)
}
