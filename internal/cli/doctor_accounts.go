package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
)

// requestedScopes returns the permissions sns-os asks p for, from the
// client's own list (the list the consent screen shows).
func requestedScopes(p snsos.Platform, pc *config.PlatformConfig) []string {
	switch p {
	case snsos.PlatformX:
		return x.Scopes
	case snsos.PlatformInstagram:
		return instagram.Scopes(pc != nil && pc.FirstComment)
	case snsos.PlatformThreads:
		return threads.Scopes()
	case snsos.PlatformTikTok:
		return tiktok.Scopes
	}
	return nil
}

// metricsScopes are the requested permissions that only feed metrics: an
// account without one still publishes, so its absence is a warning. Every
// other requested permission is needed to publish (or, for Instagram's
// comments permission, to post the first comment the operator switched
// on), and its absence fails the check.
var metricsScopes = map[string]string{
	instagram.ScopeInsights: "post insights",
	threads.ScopeInsights:   "post insights",
	tiktok.ScopeVideoList:   "video metrics",
}

// accounts checks each account's status and that it holds every
// permission sns-os asks its platform for.
func (d *doctor) accounts(ctx context.Context) {
	accts, err := d.a.store.ListAccounts(ctx)
	if err != nil {
		d.report(levelFail, "accounts", "cannot read the accounts: %v", err)
		return
	}
	for _, a := range accts {
		what := fmt.Sprintf("account %d @%s on %s", a.ID, a.Handle, a.Platform.DisplayName())
		v := d.account(ctx, a)
		d.report(v.level, what, "%s", v.msg)
	}
}

func (d *doctor) account(ctx context.Context, a *snsos.Account) verdict {
	pc := d.cfg.Platforms[a.Platform]
	env := "SNSOS_" + strings.ToUpper(string(a.Platform))
	switch {
	case a.Status == snsos.AccountRevoked:
		return verdict{levelWarn, "access was removed (" + orNone(a.StatusReason) + "); connect it again from Accounts to use it"}
	case pc == nil || pc.ClientID == "":
		return verdict{levelFail, env + "_CLIENT_ID is not set, so sns-os cannot act for this account; set the app's client id and secret"}
	case a.Status == snsos.AccountNeedsReauth:
		return verdict{levelFail, a.Platform.DisplayName() + " refused its tokens (" + orNone(a.StatusReason) + "); connect it again from Accounts"}
	}
	m, err := d.a.store.FindCredentialMeta(ctx, a.ID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return verdict{levelFail, "no tokens are stored for it; connect it again from Accounts"}
	}
	if err != nil {
		return verdict{levelFail, "cannot read its grant: " + err.Error()}
	}
	now := d.now()
	if !m.RefreshExpiresAt.IsZero() && now.After(m.RefreshExpiresAt) && !m.ExpiresAt.IsZero() && now.After(m.ExpiresAt) {
		return verdict{levelFail, "its grant expired on " + m.RefreshExpiresAt.UTC().Format("2006-01-02") + "; connect it again from Accounts"}
	}
	requested := requestedScopes(a.Platform, pc)
	var needed, metrics []string
	for _, s := range requested {
		if slices.Contains(m.Scopes, s) {
			continue
		}
		if _, ok := metricsScopes[s]; ok {
			metrics = append(metrics, s)
		} else {
			needed = append(needed, s)
		}
	}
	switch {
	case len(needed) > 0:
		return verdict{levelFail, permissions(needed) + " not granted, and sns-os cannot publish without " + pick(len(needed), "it", "them") +
			alsoMissing(metrics) + "; connect the account again from Accounts and allow every permission"}
	case len(metrics) > 0:
		var what []string
		for _, s := range metrics {
			what = append(what, s+" ("+metricsScopes[s]+")")
		}
		return verdict{levelWarn, "publishes, but " + permissions(what) + " not granted, so its metrics stay empty; " +
			"connect it again and allow " + pick(len(what), "it", "them") + " to collect them"}
	}
	return verdict{levelOK, fmt.Sprintf("connected, with the %d permissions sns-os asks for (%s)", len(requested), strings.Join(requested, " "))}
}

// permissions names the permissions with their verb: "the permission a
// was", "the permissions a, b were".
func permissions(names []string) string {
	return pick(len(names), "the permission ", "the permissions ") + strings.Join(names, ", ") + pick(len(names), " was", " were")
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func alsoMissing(metrics []string) string {
	if len(metrics) == 0 {
		return ""
	}
	return " (nor " + strings.Join(metrics, ", ") + ", for metrics)"
}

func orNone(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return s
}
