package store_test

import (
	"bytes"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestAccountAvatars(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "111")
		b := mustAccount(t, s, snsos.PlatformX, "222")
		_, err := s.FindAccountAvatar(ctx, a.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		ids, err := s.ListAccountAvatarIDs(ctx)
		if err != nil || len(ids) != 0 {
			t.Fatalf("ListAccountAvatarIDs = %v, %v; want none", ids, err)
		}

		png := []byte("\x89PNG\r\n\x1a\n\x00\x01\x02\xff")
		av := &store.Avatar{AccountID: a.ID, ContentType: "image/png", Data: png}
		if err := s.PutAccountAvatar(ctx, av); err != nil {
			t.Fatal(err)
		}
		if len(av.ETag) != 64 || av.FetchedAt.IsZero() {
			t.Fatalf("PutAccountAvatar did not fill the etag and time: %+v", av)
		}
		got, err := s.FindAccountAvatar(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, png) || got.ContentType != "image/png" || got.ETag != av.ETag || !got.FetchedAt.Equal(av.FetchedAt) {
			t.Fatalf("FindAccountAvatar = %+v, want %+v", got, av)
		}

		// A reconnect replaces the picture and its etag.
		jpeg := []byte("\xff\xd8\xff\xe0 other picture")
		if err := s.PutAccountAvatar(ctx, &store.Avatar{AccountID: a.ID, ContentType: "image/jpeg", Data: jpeg}); err != nil {
			t.Fatal(err)
		}
		got, err = s.FindAccountAvatar(ctx, a.ID)
		if err != nil || !bytes.Equal(got.Data, jpeg) || got.ContentType != "image/jpeg" || got.ETag == av.ETag {
			t.Fatalf("after replacing: %+v, %v", got, err)
		}

		ids, err = s.ListAccountAvatarIDs(ctx)
		if err != nil || len(ids) != 1 || !ids[a.ID] || ids[b.ID] {
			t.Fatalf("ListAccountAvatarIDs = %v, %v; want only %d", ids, err, a.ID)
		}

		wantCode(t, s.PutAccountAvatar(ctx, &store.Avatar{AccountID: 9999, ContentType: "image/png", Data: png}), snsos.ENOTFOUND)
		wantCode(t, s.PutAccountAvatar(ctx, &store.Avatar{AccountID: b.ID, ContentType: "image/png"}), snsos.EINVALID)
		wantCode(t, s.PutAccountAvatar(ctx, &store.Avatar{AccountID: b.ID, Data: png}), snsos.EINVALID)
		wantCode(t, s.PutAccountAvatar(ctx, &store.Avatar{AccountID: b.ID, ContentType: "image/png",
			Data: make([]byte, store.MaxAvatarBytes+1)}), snsos.EINVALID)

		// Deleting the account deletes its avatar.
		if err := s.DeleteAccount(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindAccountAvatar(ctx, a.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		if ids, err := s.ListAccountAvatarIDs(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("after delete ListAccountAvatarIDs = %v, %v", ids, err)
		}
	})
}
