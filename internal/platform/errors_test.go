package platform

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorIs(t *testing.T) {
	t.Parallel()
	retry := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		err   *Error
		is    []error
		isNot []error
	}{
		{"transient", &Error{Kind: KindTransient}, []error{ErrTransient}, []error{ErrOutcomeUnknown, ErrRejected, ErrDuplicate}},
		{"unknown", &Error{Kind: KindOutcomeUnknown}, []error{ErrOutcomeUnknown}, []error{ErrTransient}},
		{"rate", &Error{Kind: KindRateLimited, RetryAt: retry}, []error{ErrRateLimited}, []error{ErrQuotaExhausted}},
		{"auth", &Error{Kind: KindAuth}, []error{ErrAuth}, []error{ErrRejected}},
		{"duplicate", &Error{Kind: KindRejected, Duplicate: true}, []error{ErrRejected, ErrDuplicate}, []error{ErrQuotaExhausted}},
		{"quota", &Error{Kind: KindRejected, Quota: true}, []error{ErrRejected, ErrQuotaExhausted}, []error{ErrRateLimited}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wrapped := fmt.Errorf("publish: %w", tt.err)
			for _, target := range tt.is {
				if !errors.Is(wrapped, target) {
					t.Errorf("errors.Is(%v, %v) = false", wrapped, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(wrapped, target) {
					t.Errorf("errors.Is(%v, %v) = true", wrapped, target)
				}
			}
			var e *Error
			if !errors.As(wrapped, &e) || e != tt.err {
				t.Fatal("errors.As failed")
			}
			if KindOf(wrapped) != tt.err.Kind {
				t.Errorf("KindOf = %v", KindOf(wrapped))
			}
		})
	}
	if at, ok := RetryAt(fmt.Errorf("x: %w", &Error{Kind: KindRateLimited, RetryAt: retry})); !ok || !at.Equal(retry) {
		t.Errorf("RetryAt = %v, %v", at, ok)
	}
	if _, ok := RetryAt(errors.New("plain")); ok {
		t.Error("RetryAt of a plain error")
	}
	if KindOf(nil) != 0 || KindOf(errors.New("x")) != 0 {
		t.Error("KindOf of unclassified errors")
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &Error{Kind: KindRateLimited, Platform: "x", Op: "post", Status: 429, Reason: "Too Many Requests",
		RetryAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Err: errors.New("cause")}
	want := "x: post: Too Many Requests (rate_limited, HTTP 429, retry at 2026-01-02T03:04:05Z): cause"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrRateLimited) || !e.Retryable() {
		t.Error("rate limited error is retryable")
	}
	if (&Error{Kind: KindOutcomeUnknown}).Retryable() {
		t.Error("outcome unknown must not be retryable")
	}
}

func TestStatusKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   int
		mutating bool
		want     Kind
	}{
		{200, false, 0}, {400, true, KindRejected}, {401, false, KindAuth}, {403, false, KindRejected},
		{404, false, KindRejected}, {408, false, KindTransient}, {408, true, KindOutcomeUnknown},
		{429, true, KindRateLimited}, {500, false, KindTransient}, {502, true, KindOutcomeUnknown},
		{503, false, KindTransient}, {504, true, KindOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.mutating), func(t *testing.T) {
			t.Parallel()
			if got := StatusKind(tt.status, tt.mutating); got != tt.want {
				t.Errorf("StatusKind(%d, %v) = %v, want %v", tt.status, tt.mutating, got, tt.want)
			}
		})
	}
}
