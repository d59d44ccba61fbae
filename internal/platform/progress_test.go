package platform

import (
	"context"
	"errors"
	"testing"
)

func TestProgress(t *testing.T) {
	t.Parallel()
	saved := map[string]string{"a": "1"}
	var persisted []string
	p := NewProgress(saved, func(_ context.Context, k, v string) error {
		if k == "bad" {
			return errors.New("disk full")
		}
		persisted = append(persisted, k+"="+v)
		return nil
	})
	saved["a"] = "changed" // NewProgress copies
	if v, ok := p.Get("a"); !ok || v != "1" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	if err := p.Set(context.Background(), "b", "2"); err != nil {
		t.Fatal(err)
	}
	err := p.Set(context.Background(), "bad", "3")
	if !errors.Is(err, ErrProgressNotSaved) {
		t.Fatalf("Set(bad) = %v", err)
	}
	if _, ok := p.Get("bad"); ok {
		t.Error("a value that was not persisted must not be remembered")
	}
	if got := p.Values(); len(got) != 2 || got["b"] != "2" {
		t.Errorf("Values = %v", got)
	}
	if len(persisted) != 1 || persisted[0] != "b=2" {
		t.Errorf("persisted = %v", persisted)
	}
	var nilp *Progress
	if _, ok := nilp.Get("a"); ok || nilp.Set(context.Background(), "a", "b") != nil || len(nilp.Values()) != 0 {
		t.Error("nil progress")
	}
}

func TestNewVerifier(t *testing.T) {
	t.Parallel()
	a, b := NewVerifier(), NewVerifier()
	if len(a) != 43 || a == b {
		t.Errorf("verifiers %q %q", a, b)
	}
}
