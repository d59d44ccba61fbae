package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// contactNow is the inbox tests' clock: a fixed instant, never today.
var contactNow = time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)

func TestInbox(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return contactNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		plain := &snsos.ContactMessage{Name: "Ann", Email: "ann@example.com", Subject: "Hello", Body: "こんにちは\n2行目", Lang: "ja"}
		if err := s.CreateContact(ctx, plain, nil); err != nil {
			t.Fatal(err)
		}
		del := &snsos.ContactMessage{Name: "Ben", Email: "Ben@Example.com", Subject: "Data Deletion Request", Body: "Please delete", Lang: "en"}
		req := &snsos.DeletionRequest{ConfirmationCode: "form-code-1"}
		if err := s.CreateContact(ctx, del, req); err != nil {
			t.Fatal(err)
		}
		if del.DeletionCode != "form-code-1" || req.ID == 0 || req.Status != snsos.DeletionUnconfirmed || !req.DueAt.Equal(contactNow.Add(30*24*time.Hour)) {
			t.Fatalf("message %+v, request %+v", del, req)
		}
		got, err := s.FindDeletionRequestByCode(ctx, "form-code-1")
		if err != nil || got.Platform != "" || got.Status != snsos.DeletionUnconfirmed || !got.ConfirmedAt.IsZero() {
			t.Fatalf("request as stored = %+v, %v", got, err)
		}
		// A code already used: neither the request nor the message is kept.
		again := &snsos.ContactMessage{Name: "Cy", Email: "cy@example.com", Subject: "x", Body: "y"}
		wantCode(t, s.CreateContact(ctx, again, &snsos.DeletionRequest{ConfirmationCode: "form-code-1"}), snsos.ECONFLICT)

		list, err := s.ListInbox(ctx, store.ContactFilter{})
		if err != nil || len(list) != 2 || list[0].ID != del.ID || list[1].Body != "こんにちは\n2行目" || list[1].DeletionCode != "" {
			t.Fatalf("inbox = %+v, %v", list, err)
		}
		if n, err := s.CountUnhandledContactMessages(ctx); err != nil || n != 2 {
			t.Fatalf("unhandled = %d, %v", n, err)
		}
		if err := s.MarkContactRead(ctx, plain.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetContactHandled(ctx, plain.ID, true); err != nil {
			t.Fatal(err)
		}
		m, err := s.FindContactMessage(ctx, plain.ID)
		if err != nil || !m.ReadAt.Equal(contactNow) || !m.HandledAt.Equal(contactNow) {
			t.Fatalf("handled message = %+v, %v", m, err)
		}
		open, err := s.ListUnhandledContactMessages(ctx, 10)
		if err != nil || len(open) != 1 || open[0].ID != del.ID {
			t.Fatalf("unhandled = %+v, %v", open, err)
		}
		if err := s.SetContactHandled(ctx, plain.ID, false); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountUnhandledContactMessages(ctx); n != 2 {
			t.Fatalf("after unhandling, %d unhandled", n)
		}
		wantCode(t, s.SetContactHandled(ctx, 999, true), snsos.ENOTFOUND)
		_, err = s.FindContactMessage(ctx, 999)
		wantCode(t, err, snsos.ENOTFOUND)

		// Confirming deletes every message of the sender (any case) and
		// completes the request; a second confirmation changes nothing.
		more := &snsos.ContactMessage{Name: "Ben", Email: "ben@example.com", Subject: "Also", Body: "again"}
		if err := s.CreateContact(ctx, more, nil); err != nil {
			t.Fatal(err)
		}
		n, err := s.CompleteContactDeletion(ctx, "form-code-1", "BEN@example.com")
		if err != nil || n != 2 {
			t.Fatalf("CompleteContactDeletion = %d, %v", n, err)
		}
		got, err = s.FindDeletionRequestByCode(ctx, "form-code-1")
		if err != nil || got.Status != snsos.DeletionCompleted || !got.CompletedAt.Equal(contactNow) || !got.ConfirmedAt.Equal(contactNow) {
			t.Fatalf("completed request = %+v, %v", got, err)
		}
		_, err = s.CompleteContactDeletion(ctx, "form-code-1", "ann@example.com")
		wantCode(t, err, snsos.ECONFLICT)
		if list, _ := s.ListInbox(ctx, store.ContactFilter{}); len(list) != 1 || list[0].ID != plain.ID {
			t.Fatalf("after the deletion the inbox holds %+v", list)
		}
		if err := s.DeleteContactMessage(ctx, plain.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteContactMessage(ctx, plain.ID), snsos.ENOTFOUND)
	})
}

// TestContactDeletionKeepsOpenRequests: a sender with two deletion
// requests. Settling one as "the sender's messages only" deletes their
// other messages but not the one carrying the second request, still
// unconfirmed (nothing could confirm it without its message); nor does
// deleting that message by hand go through while its request is open —
// unconfirmed, or confirmed and waiting for its purge. Once the request
// is completed, the message may go.
func TestContactDeletionKeepsOpenRequests(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return contactNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		first := &snsos.ContactMessage{Name: "A", Email: "a@example.com", Subject: "delete my messages", Body: "x", Lang: "en"}
		second := &snsos.ContactMessage{Name: "A", Email: "A@example.com", Subject: "delete my Instagram data", Body: "y", Lang: "en"}
		plain := &snsos.ContactMessage{Name: "A", Email: "a@example.com", Subject: "hello", Body: "z", Lang: "en"}
		if err := s.CreateContact(ctx, first, &snsos.DeletionRequest{ConfirmationCode: "CODEONE12345678"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateContact(ctx, second, &snsos.DeletionRequest{ConfirmationCode: "CODETWO12345678"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateContact(ctx, plain, nil); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteContactMessage(ctx, second.ID), snsos.ECONFLICT)

		n, err := s.CompleteContactDeletion(ctx, "CODEONE12345678", first.Email)
		if err != nil || n != 2 {
			t.Fatalf("CompleteContactDeletion = %d, %v; want the first request's message and the plain one", n, err)
		}
		for _, id := range []int64{first.ID, plain.ID} {
			_, err := s.FindContactMessage(ctx, id)
			wantCode(t, err, snsos.ENOTFOUND)
		}
		if m, err := s.FindContactMessage(ctx, second.ID); err != nil || m.DeletionCode != "CODETWO12345678" {
			t.Fatalf("the message of the open request: %+v, %v", m, err)
		}

		// The operator confirms the second one as about an account: pending
		// until the purge, and its message stays meanwhile.
		a := mustAccount(t, s, snsos.PlatformInstagram, "55")
		d, err := s.FindDeletionRequestByCode(ctx, "CODETWO12345678")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmDeletionRequest(ctx, d.ID, []int64{a.ID}, store.AccessRemoval{Source: store.RemovedByConfirmation,
			Actor: "operator", Reason: "confirmed"}, nil); err != nil {
			t.Fatal(err)
		}
		err = s.DeleteContactMessage(ctx, second.ID)
		wantCode(t, err, snsos.ECONFLICT)
		if !strings.Contains(snsos.ErrorMessage(err), "still open") {
			t.Fatalf("refusal %q", snsos.ErrorMessage(err))
		}
		if err := s.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContactMessage(ctx, second.ID); err != nil {
			t.Fatalf("deleting the message of a completed request: %v", err)
		}
		wantCode(t, s.DeleteContactMessage(ctx, second.ID), snsos.ENOTFOUND)
	})
}
