package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

type preflightWorker struct {
	river.WorkerDefaults[PreflightArgs]
	e *Engine
}

// Work checks a scheduled target ahead of its time and records what would
// stop it, so the operator can act before the time.
func (w *preflightWorker) Work(ctx context.Context, job *river.Job[PreflightArgs]) error {
	e := w.e
	t, err := e.cfg.Store.FindTargetByID(ctx, job.Args.TargetID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.State != snsos.StateScheduled || !t.ScheduledAt.Equal(dbTime(job.Args.At)) {
		return nil
	}
	problems, err := e.Preflight(ctx, t)
	if err != nil {
		return err
	}
	return e.cfg.Store.SetTargetPreflight(ctx, t.ID, strings.Join(problems, "\n"))
}

// Preflight lists what would stop target t from publishing now: the
// account's state and token, missing media, and the platform's rules.
func (e *Engine) Preflight(ctx context.Context, t *snsos.Target) ([]string, error) {
	var problems []string
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return nil, err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return nil, err
	}
	if _, ok := e.cfg.Platforms[t.Platform]; !ok {
		problems = append(problems, t.Platform.DisplayName()+" is not configured in this sns-os")
	}
	if acct.Status != snsos.AccountConnected {
		problems = append(problems, fmt.Sprintf("the account @%s needs to be connected again", acct.Handle))
	} else if _, err := e.cfg.Tokens.Credential(ctx, acct.ID); err != nil {
		problems = append(problems, "the account's token does not work: "+message(err))
	}
	var refs []snsos.MediaRef
	for _, id := range post.MediaIDs {
		m, err := e.cfg.Store.FindMediaByID(ctx, id)
		if err != nil {
			problems = append(problems, fmt.Sprintf("media %d is missing", id))
			continue
		}
		refs = append(refs, *m)
		if e.cfg.Media != nil {
			if pm, err := e.cfg.Media.PlatformMedia(ctx, id); err != nil {
				problems = append(problems, fmt.Sprintf("media %d cannot be read: %s", id, message(err)))
			} else if pm.Open != nil {
				if rc, err := pm.Open(ctx); err != nil {
					problems = append(problems, fmt.Sprintf("media %d cannot be read: %s", id, message(err)))
				} else {
					rc.Close()
				}
			}
		}
	}
	parts, err := Parts(post, t)
	if err != nil {
		problems = append(problems, snsos.ErrorMessage(err))
	}
	for i, text := range parts {
		for _, fe := range rules.Check(t.Platform, text, rules.Options{HasMedia: i == 0 && len(refs) > 0}).Errors {
			problems = append(problems, fe.Message)
		}
	}
	for _, fe := range rules.CheckMedia(t.Platform, refs, rules.Options{HasMedia: len(refs) > 0}) {
		problems = append(problems, fe.Message)
	}
	return problems, nil
}
