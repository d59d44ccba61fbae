package archive

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// Readiness is the archive's part of /readyz's body. /readyz needs no
// sign-in, so it says what state the archive is in but not the error's
// text (which names paths and the remote): Settings and the log have it.
type Readiness struct {
	LastCommit   string    `json:"last_commit,omitempty"` // abbreviated
	LastCommitAt time.Time `json:"last_commit_at,omitzero"`
	LastPushAt   time.Time `json:"last_push_at,omitzero"`
	PushFailures int       `json:"push_failures,omitempty"`
	// Problem is "" when all is well, else "blocked" (the guard refuses
	// to commit), "push_failing" or "error" (the last pass failed).
	Problem string    `json:"problem,omitempty"`
	ErrorAt time.Time `json:"error_at,omitzero"`
	// Failing is Status.Failing: the dashboard lists the archive.
	Failing bool `json:"failing"`
}

// Readiness returns what /readyz shows of s at now.
func (s Status) Readiness(now time.Time) Readiness {
	r := Readiness{LastCommit: s.LastCommit, LastCommitAt: s.LastCommitAt, LastPushAt: s.LastPushAt,
		PushFailures: s.PushFailures, Failing: s.Failing(now)}
	if len(r.LastCommit) > 12 {
		r.LastCommit = r.LastCommit[:12]
	}
	switch {
	case s.Blocked:
		r.Problem = "blocked"
	case s.PushFailures > 0:
		r.Problem = "push_failing"
	case s.LastError != "":
		r.Problem = "error"
	}
	if r.Problem != "" {
		r.ErrorAt = s.ErrorAt
	}
	return r
}

// SettingReader reads the status the writer saved. *store.Store
// implements it.
type SettingReader interface {
	Setting(ctx context.Context, key string) (string, error)
}

// ReadyDetail returns the /readyz detail hook: the status saved by the
// elected writer, which may run in another process, read from the
// database so that every process says the same. Before the first pass it
// is {"state": "starting"}.
func ReadyDetail(st SettingReader, now func() time.Time) func(ctx context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		v, err := st.Setting(ctx, StatusKey)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			return map[string]string{"state": "starting"}, nil
		} else if err != nil {
			return nil, err
		}
		s, err := ParseStatus(v)
		if err != nil {
			return nil, err
		}
		return s.Readiness(now()), nil
	}
}
