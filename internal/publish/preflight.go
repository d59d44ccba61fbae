package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
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
// account's state and token, missing media, the platform's rules for the
// target's own media and options, and — for a platform that fetches media
// by link — every link answering, and — for one that reports it — a
// publishing quota left.
func (e *Engine) Preflight(ctx context.Context, t *snsos.Target) ([]string, error) {
	post, err := e.cfg.Store.FindPostByID(ctx, t.PostID)
	if err != nil {
		return nil, err
	}
	acct, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return nil, err
	}
	var problems []string
	client, configured := e.cfg.Platforms[t.Platform]
	if !configured {
		problems = append(problems, t.Platform.DisplayName()+" is not configured in this sns-os")
	}
	var cred *snsos.Credential
	if acct.Status != snsos.AccountConnected {
		problems = append(problems, fmt.Sprintf("the account @%s needs to be connected again", acct.Handle))
	} else if cred, err = e.cfg.Tokens.Credential(ctx, acct.ID); err != nil {
		problems = append(problems, "the account's token does not work: "+message(err))
	}
	refs, media, mediaProblems := e.preflightMedia(ctx, post, t)
	problems = append(problems, mediaProblems...)
	for _, fe := range checkRules(post, t, t.Platform, refs) {
		problems = append(problems, fe.Message)
	}
	for _, fe := range checkAccountRules(t, acct) { // a TikTok Direct Post's audience
		problems = append(problems, fe.Message)
	}
	if !configured {
		return problems, nil
	}
	problem, err := e.checkMediaLinks(ctx, client, []platform.Part{{Media: media}})
	if err != nil {
		return nil, err
	}
	if problem != "" {
		problems = append(problems, problem)
	}
	if cred != nil {
		auth := platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}
		if why := e.quotaUsedUp(ctx, client, acct, auth); why != "" {
			problems = append(problems, why+"; the post waits until the window has room")
		}
	}
	return problems, nil
}

// preflightMedia reads the media target t of post p publishes: their
// records (for the rules), the platform's view of each (readable, with its
// link) and what is wrong with them.
func (e *Engine) preflightMedia(ctx context.Context, p *snsos.Post, t *snsos.Target) ([]snsos.MediaRef, []platform.Media, []string) {
	var (
		refs     []snsos.MediaRef
		media    []platform.Media
		problems []string
	)
	for _, id := range p.MediaFor(t) {
		m, err := e.cfg.Store.FindMediaByID(ctx, id)
		if err != nil {
			problems = append(problems, fmt.Sprintf("media %d is missing", id))
			continue
		}
		refs = append(refs, *m)
		if e.cfg.Media == nil {
			continue
		}
		pm, err := e.cfg.Media.PlatformMedia(ctx, id)
		if err != nil {
			problems = append(problems, fmt.Sprintf("media %d cannot be read: %s", id, message(err)))
			continue
		}
		if pm.Open != nil {
			rc, err := pm.Open(ctx)
			if err != nil {
				problems = append(problems, fmt.Sprintf("media %d cannot be read: %s", id, message(err)))
				continue
			}
			rc.Close()
		}
		media = append(media, pm)
	}
	return refs, media, problems
}
