package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// The shapes of the exported rows: the records as the API names their
// fields, with what must not leave taken out and sns-os's own free text
// scrubbed.

// exportAccount is an account with what may be shown of its grant.
type exportAccount struct {
	*snsos.Account
	Credential *exportCredential `json:"credential,omitempty"`
}

// exportCredential is an account's grant without its tokens: only whether
// there are any, the permissions granted and the expiry dates.
type exportCredential struct {
	HasAccessToken  bool      `json:"has_access_token"`
	HasRefreshToken bool      `json:"has_refresh_token"`
	TokenType       string    `json:"token_type,omitempty"`
	Scopes          []string  `json:"scopes"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"`
	RefreshExpires  time.Time `json:"refresh_expires_at,omitzero"`
	IssuedAt        time.Time `json:"issued_at,omitzero"`
}

// exportPost is a post whose targets carry their attempts.
type exportPost struct {
	*snsos.Post
	Targets []*exportTarget `json:"targets"`
}

// exportTarget is a target with its attempts listed; AttemptCount is the
// target's own counter (attempts made, including any whose row is gone).
type exportTarget struct {
	*snsos.Target
	AttemptCount int              `json:"attempt_count"`
	Attempts     []*snsos.Attempt `json:"attempts"`
}

func (x *exporter) accounts(ctx context.Context, after int64) ([]any, int64, error) {
	all, err := x.store.ListAccounts(ctx) // a handful: no paging needed
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(all, func(a, b *snsos.Account) int { return cmp.Compare(a.ID, b.ID) })
	var out []any
	var last int64
	for _, a := range all {
		if a.ID <= after {
			continue
		}
		ac := *a
		ac.StatusReason = x.red.Scrub(ac.StatusReason)
		row := &exportAccount{Account: &ac}
		m, err := x.store.FindCredentialMeta(ctx, a.ID)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
		case err != nil:
			return nil, 0, err
		default:
			row.Credential = &exportCredential{HasAccessToken: m.HasAccessToken, HasRefreshToken: m.HasRefreshToken,
				TokenType: m.TokenType, Scopes: m.Scopes, ExpiresAt: m.ExpiresAt, RefreshExpires: m.RefreshExpiresAt, IssuedAt: m.IssuedAt}
			if row.Credential.Scopes == nil {
				row.Credential.Scopes = []string{}
			}
		}
		out, last = append(out, row), a.ID
	}
	return out, last, nil
}

func (x *exporter) media(ctx context.Context, after int64) ([]any, int64, error) {
	ms, err := x.store.MediaAfter(ctx, after, exportPage)
	if err != nil || len(ms) == 0 {
		return nil, 0, err
	}
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m // MediaRef keeps its storage key out of JSON
	}
	return out, ms[len(ms)-1].ID, nil
}

func (x *exporter) posts(ctx context.Context, after int64) ([]any, int64, error) {
	ps, err := x.store.PostsAfter(ctx, after, exportPage)
	if err != nil || len(ps) == 0 {
		return nil, 0, err
	}
	var ids []int64
	for _, p := range ps {
		for _, t := range p.Targets {
			ids = append(ids, t.ID)
		}
	}
	attempts, err := x.store.AttemptsOfTargets(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]any, len(ps))
	for i, p := range ps {
		row := &exportPost{Post: p, Targets: make([]*exportTarget, len(p.Targets))}
		for j, t := range p.Targets {
			row.Targets[j] = x.target(t, attempts[t.ID])
		}
		x.targets += len(p.Targets)
		out[i] = row
	}
	return out, ps[len(ps)-1].ID, nil
}

// target copies t for the export: progress without upload addresses, and
// sns-os's texts (errors, preflight findings, attempt details, snapshot
// reasons) scrubbed.
func (x *exporter) target(t *snsos.Target, attempts []*snsos.Attempt) *exportTarget {
	tc := *t
	tc.Error, tc.Preflight = x.red.Scrub(tc.Error), x.red.Scrub(tc.Preflight)
	tc.Progress = nil
	for k, v := range t.Progress {
		// TikTok's upload_url carries a one-hour upload token: a
		// capability, not an id (the API leaves it out for the same reason).
		if strings.HasSuffix(k, "upload_url") {
			continue
		}
		if tc.Progress == nil {
			tc.Progress = map[string]string{}
		}
		tc.Progress[k] = x.red.Scrub(v)
	}
	tc.Metrics = make([]*snsos.MetricSnapshot, len(t.Metrics))
	for i, m := range t.Metrics {
		mc := *m
		mc.Reason = x.red.Scrub(mc.Reason)
		tc.Metrics[i] = &mc
	}
	row := &exportTarget{Target: &tc, AttemptCount: t.Attempts, Attempts: make([]*snsos.Attempt, len(attempts))}
	for i, a := range attempts {
		ac := *a
		ac.Detail, ac.Error = x.red.Scrub(ac.Detail), x.red.Scrub(ac.Error)
		row.Attempts[i] = &ac
	}
	return row
}

func (x *exporter) contactMessages(ctx context.Context, after int64) ([]any, int64, error) {
	ms, err := x.store.ContactMessagesAfter(ctx, after, exportPage)
	if err != nil || len(ms) == 0 {
		return nil, 0, err
	}
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m // what a visitor wrote, as they wrote it
	}
	return out, ms[len(ms)-1].ID, nil
}

func (x *exporter) deletionRequests(ctx context.Context, after int64) ([]any, int64, error) {
	ds, err := x.store.DeletionRequestsAfter(ctx, after, exportPage)
	if err != nil || len(ds) == 0 {
		return nil, 0, err
	}
	out := make([]any, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out, ds[len(ds)-1].ID, nil
}

// progressBar draws "exporting  42% [=====>    ] 4200/10000" on one line
// of a terminal, redrawn when the percentage changes (no clock needed).
// A nil bar draws nothing.
type progressBar struct {
	w           io.Writer
	total, done int
	shown       int // the percentage drawn last, -1 before the first
}

const progressWidth = 30

func (b *progressBar) start(total int) {
	if b == nil {
		return
	}
	b.total, b.shown = max(total, 1), -1
	b.draw()
}

func (b *progressBar) step() {
	if b == nil {
		return
	}
	b.done++
	if pct := b.percent(); pct != b.shown {
		b.draw()
	}
}

func (b *progressBar) finish() {
	if b == nil {
		return
	}
	b.draw()
	fmt.Fprintln(b.w)
}

// percent is the share done; rows written after the count was taken (the
// server kept working) stop it at 100.
func (b *progressBar) percent() int { return min(b.done*100/b.total, 100) }

func (b *progressBar) draw() {
	pct := b.percent()
	b.shown = pct
	fill := pct * progressWidth / 100
	bar := strings.Repeat("=", fill)
	if fill < progressWidth {
		bar += ">" + strings.Repeat(" ", progressWidth-fill-1)
	}
	fmt.Fprintf(b.w, "\rexporting %3d%% [%s] %d/%d", pct, bar, b.done, b.total)
}
