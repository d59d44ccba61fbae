package store_test

import (
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestAPITokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		tok, err := s.CreateAPIToken(ctx, "script", "hash-1", "snsos_abc")
		if err != nil || tok.ID == 0 {
			t.Fatalf("CreateAPIToken: %v", err)
		}
		got, err := s.FindAPITokenByHash(ctx, "hash-1")
		if err != nil || got.Name != "script" || got.Hash != "hash-1" || !got.RevokedAt.IsZero() {
			t.Fatalf("FindAPITokenByHash = %+v, %v", got, err)
		}
		_, err = s.FindAPITokenByHash(ctx, "nope")
		wantCode(t, err, snsos.ENOTFOUND)
		again, err := s.EnsureAPIToken(ctx, "bootstrap", "hash-1", "x")
		if err != nil || again.ID != tok.ID {
			t.Fatalf("EnsureAPIToken on an existing hash made %+v, %v", again, err)
		}
		if err := s.TouchAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = s.FindAPITokenByHash(ctx, "hash-1")
		if got.RevokedAt.IsZero() || got.LastUsedAt.IsZero() {
			t.Fatalf("after revoke: %+v", got)
		}
		wantCode(t, s.RevokeAPIToken(ctx, 999), snsos.ENOTFOUND)
		list, err := s.ListAPITokens(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListAPITokens = %d, %v", len(list), err)
		}
		_, err = s.CreateAPIToken(ctx, "dup", "hash-1", "")
		wantCode(t, err, snsos.ECONFLICT)
	})
}
