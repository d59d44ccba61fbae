package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestSettings(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return leaseNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		if _, err := s.Setting(ctx, "k"); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("missing setting: %v", err)
		}
		for _, v := range []string{"v1", "v2"} {
			if err := s.PutSetting(ctx, "k", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := s.Setting(ctx, "k"); err != nil || v != "v2" {
			t.Fatalf("Setting = %q, %v", v, err)
		}
	})
}
