package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// Progress carries the intermediate ids of one publication between the
// engine and a client. The engine fills it with the values persisted by
// earlier attempts (snsos.Target.Progress) and sets SaveFunc to persist a new
// value durably; the client calls Set as soon as an id exists and Get to skip
// steps an earlier attempt finished.
//
// Keys are chosen by each client and documented there; values are ids as
// strings. A nil *Progress is valid: it remembers nothing and saves nothing.
type Progress struct {
	mu     sync.Mutex
	values map[string]string
	save   func(ctx context.Context, key, value string) error
}

// NewProgress returns a Progress starting from saved (copied; may be nil)
// that calls save for every new value. save may be nil (nothing persisted,
// as in a dry run or a test).
func NewProgress(saved map[string]string, save func(ctx context.Context, key, value string) error) *Progress {
	return &Progress{values: maps.Clone(saved), save: save}
}

// Get returns the saved value of key.
func (p *Progress) Get(key string) (string, bool) {
	if p == nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.values[key]
	return v, ok
}

// Set records key=value and persists it through the save function before it
// returns. A client must stop publishing when Set fails: the id would be lost
// on a crash.
func (p *Progress) Set(ctx context.Context, key, value string) error {
	if p == nil {
		return nil
	}
	if p.save != nil {
		if err := p.save(ctx, key, value); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrProgressNotSaved, key, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.values == nil {
		p.values = map[string]string{}
	}
	p.values[key] = value
	return nil
}

// Values returns a copy of everything saved so far.
func (p *Progress) Values() map[string]string {
	if p == nil {
		return map[string]string{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m := maps.Clone(p.values)
	if m == nil {
		m = map[string]string{}
	}
	return m
}

// PartIDKey is the progress key under which every client records the remote
// id of part n (counted from 1) of a publication the moment it exists. The
// engine relies on it to reconcile threads part by part.
func PartIDKey(n int) string { return fmt.Sprintf("part%d.post_id", n) }

// ErrProgressNotSaved matches every failure of Progress.Set.
var ErrProgressNotSaved = errors.New("platform: progress not saved")
