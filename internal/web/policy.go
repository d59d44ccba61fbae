package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
)

// The privacy policy is not a text someone keeps in step with the code: it
// is built from PolicyFacts, which the caller computes from the running
// configuration and the platform clients' own lists, and its "last
// updated" date is the day its substance last changed on this server (see
// SyncPolicy).

// PolicyFacts are what the public privacy policy states. internal/cli
// computes them from the configuration and from the clients' scope and
// metric lists, so the policy cannot promise what the software does not do.
type PolicyFacts struct {
	// Operator, Email and Jurisdiction are who runs the server, where to
	// write to them about privacy and whose law governs (each may be "").
	Operator, Email, Jurisdiction string
	// Platforms are the platforms switched on (configured with a client),
	// in display order.
	Platforms []PolicyPlatform
	// Checkpoints are when each post's metrics are read after publication.
	Checkpoints []time.Duration
	// Database is "sqlite" or "postgres"; Media is "disk" or "s3", with
	// MediaHost the bucket's endpoint host.
	Database, Media, MediaHost string
	// Archive says post metadata and metrics are mirrored to a git remote
	// at ArchiveHost.
	Archive     bool
	ArchiveHost string
	// PurgeWindow is how soon the data of a deletion request is gone
	// (default snsos.DeletionCompleteWithin).
	PurgeWindow time.Duration
	// ConnectCookieTTL is how long the cookie that binds an account
	// connection to the browser lives (oauth.DefaultStateTTL).
	ConnectCookieTTL time.Duration
}

// PolicyPlatform is one platform as the policy describes it.
type PolicyPlatform struct {
	Platform snsos.Platform
	// Scopes are the permissions the client asks for, as it asks.
	Scopes []string
	// Metrics are the numbers the client records for each post.
	Metrics []string
}

// policyVersion is the version of the promises the policy's template
// makes beyond the facts (what is never collected, the cookies, the
// answer times): raise it when they change, and every server records the
// change on its next start.
const policyVersion = 1

// policySubstance is what counts as the policy's substance: a change in
// any of it changes the "last updated" date, is recorded and alerted. Host
// names, the operator's name and address and the wording do not count.
type policySubstance struct {
	Version      int                 `json:"version"`
	Jurisdiction string              `json:"jurisdiction,omitempty"`
	Platforms    []substancePlatform `json:"platforms"`
	Checkpoints  []string            `json:"checkpoints"`
	Database     string              `json:"database"`
	Media        string              `json:"media"`
	Archive      bool                `json:"archive"`
	// Retention maps each retention rule to its duration (JSON writes map
	// keys sorted, so the encoding is canonical).
	Retention map[string]string `json:"retention"`
}

type substancePlatform struct {
	Platform snsos.Platform `json:"platform"`
	Scopes   []string       `json:"scopes"`
	Metrics  []string       `json:"metrics"`
}

// The retention rules the policy states.
const (
	retainDeletion      = "deletion"       // a deletion request's data
	retainSessionIdle   = "session_idle"   // an unused operator session
	retainSessionMax    = "session_max"    // any operator session
	retainConnectCookie = "connect_cookie" // the account connection cookie
)

// withDefaults fills what the caller left zero.
func (f PolicyFacts) withDefaults() PolicyFacts {
	if f.PurgeWindow <= 0 {
		f.PurgeWindow = snsos.DeletionCompleteWithin
	}
	if f.ConnectCookieTTL <= 0 {
		f.ConnectCookieTTL = 10 * time.Minute
	}
	if f.Database == "" {
		f.Database = "sqlite"
	}
	if f.Media == "" {
		f.Media = "disk"
	}
	return f
}

// substance is the policy's substance under facts f.
func (f PolicyFacts) substance() policySubstance {
	f = f.withDefaults()
	s := policySubstance{Version: policyVersion, Jurisdiction: f.Jurisdiction, Database: f.Database, Media: f.Media, Archive: f.Archive,
		Platforms: []substancePlatform{}, Checkpoints: []string{},
		Retention: map[string]string{retainDeletion: offsetCode(f.PurgeWindow), retainSessionIdle: offsetCode(IdleTimeout),
			retainSessionMax: offsetCode(AbsoluteTimeout), retainConnectCookie: offsetCode(f.ConnectCookieTTL)}}
	for _, p := range f.Platforms {
		sp := substancePlatform{Platform: p.Platform, Scopes: sortedSet(p.Scopes), Metrics: sortedSet(p.Metrics)}
		s.Platforms = append(s.Platforms, sp)
	}
	slices.SortFunc(s.Platforms, func(a, b substancePlatform) int { return strings.Compare(string(a.Platform), string(b.Platform)) })
	cps := slices.Clone(f.Checkpoints)
	slices.Sort(cps)
	for _, d := range slices.Compact(cps) {
		s.Checkpoints = append(s.Checkpoints, offsetCode(d))
	}
	return s
}

// fingerprint is the SHA-256 (hex) of the substance's canonical JSON, and
// that JSON.
func (s policySubstance) fingerprint() (string, string) {
	b, err := json.Marshal(s)
	if err != nil {
		panic("web: policy substance: " + err.Error()) // plain strings and maps: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), string(b)
}

func sortedSet(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// offsetCode writes a duration the way SNSOS_CHECKPOINTS does: "7d",
// "24h", "90m", else Go's form.
func offsetCode(d time.Duration) string {
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// What names of snsos.PolicyChangeItem.
const (
	changePlatformAdded   = "platform_added"
	changePlatformRemoved = "platform_removed"
	changeScopeAdded      = "scope_added"
	changeScopeRemoved    = "scope_removed"
	changeMetricAdded     = "metric_added"
	changeMetricRemoved   = "metric_removed"
	changeCheckpoints     = "checkpoints"
	changeDatabase        = "database"
	changeMedia           = "media"
	changeArchive         = "archive"
	changeRetention       = "retention"
	changeJurisdiction    = "jurisdiction"
	changeWording         = "wording"
)

// diffSubstance lists what changed from old to cur.
func diffSubstance(old, cur policySubstance) []snsos.PolicyChangeItem {
	var out []snsos.PolicyChangeItem
	add := func(what, name, from, to string) {
		out = append(out, snsos.PolicyChangeItem{What: what, Name: name, From: from, To: to})
	}
	if old.Version != cur.Version {
		add(changeWording, "", strconv.Itoa(old.Version), strconv.Itoa(cur.Version))
	}
	if old.Jurisdiction != cur.Jurisdiction {
		add(changeJurisdiction, "", old.Jurisdiction, cur.Jurisdiction)
	}
	out = append(out, diffPlatforms(old.Platforms, cur.Platforms)...)
	if !slices.Equal(old.Checkpoints, cur.Checkpoints) {
		add(changeCheckpoints, "", joinCodes(old.Checkpoints), joinCodes(cur.Checkpoints))
	}
	if old.Database != cur.Database {
		add(changeDatabase, "", old.Database, cur.Database)
	}
	if old.Media != cur.Media {
		add(changeMedia, "", old.Media, cur.Media)
	}
	if old.Archive != cur.Archive {
		add(changeArchive, "", strconv.FormatBool(old.Archive), strconv.FormatBool(cur.Archive))
	}
	for _, k := range []string{retainDeletion, retainSessionIdle, retainSessionMax, retainConnectCookie} {
		if old.Retention[k] != cur.Retention[k] {
			add(changeRetention, k, old.Retention[k], cur.Retention[k])
		}
	}
	return out
}

// diffPlatforms lists the platforms switched on or off and, for the
// others, the scopes and metrics added or removed.
func diffPlatforms(old, cur []substancePlatform) []snsos.PolicyChangeItem {
	var out []snsos.PolicyChangeItem
	before := map[snsos.Platform]substancePlatform{}
	for _, p := range old {
		before[p.Platform] = p
	}
	now := map[snsos.Platform]bool{}
	for _, p := range cur {
		now[p.Platform] = true
		was, ok := before[p.Platform]
		if !ok {
			out = append(out, snsos.PolicyChangeItem{What: changePlatformAdded, Platform: p.Platform})
			was = substancePlatform{}
		}
		out = append(out, setChanges(p.Platform, changeScopeAdded, changeScopeRemoved, was.Scopes, p.Scopes)...)
		out = append(out, setChanges(p.Platform, changeMetricAdded, changeMetricRemoved, was.Metrics, p.Metrics)...)
	}
	for _, p := range old {
		if !now[p.Platform] {
			out = append(out, snsos.PolicyChangeItem{What: changePlatformRemoved, Platform: p.Platform})
		}
	}
	return out
}

// setChanges lists what cur adds to old and what it drops.
func setChanges(p snsos.Platform, added, removed string, old, cur []string) []snsos.PolicyChangeItem {
	var out []snsos.PolicyChangeItem
	for _, s := range cur {
		if !slices.Contains(old, s) {
			out = append(out, snsos.PolicyChangeItem{What: added, Platform: p, Name: s})
		}
	}
	for _, s := range old {
		if !slices.Contains(cur, s) {
			out = append(out, snsos.PolicyChangeItem{What: removed, Platform: p, Name: s})
		}
	}
	return out
}

func joinCodes(codes []string) string {
	b, _ := json.Marshal(codes)
	s := string(b)
	return s[1 : len(s)-1] // "1h","24h" reads fine without the brackets
}

// policyState is the policy as this process last synced it with the store.
type policyState struct {
	mu      sync.Mutex
	synced  bool
	updated time.Time // ChangedAt of the newest change
}

// SyncPolicy compares the policy's substance with the last one recorded
// and, when it differs, records the change (dated now, with what changed)
// so the policy shows the new date, the changelog lists the change and the
// attention list, hence the dashboard and the alert channels, carry it
// until the operator marks it as seen. The first run records the policy's
// first publication, which alerts no one. internal/cli calls it at start;
// the public pages call it when nothing has yet.
func (h *Handler) SyncPolicy(ctx context.Context) error {
	h.site.policy.mu.Lock()
	defer h.site.policy.mu.Unlock()
	fp, body := h.site.substance.fingerprint()
	latest, err := h.store.LatestPolicyChange(ctx)
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		return err
	}
	if latest != nil && latest.Fingerprint == fp {
		h.site.policy.synced, h.site.policy.updated = true, latest.ChangedAt
		return nil
	}
	change := &snsos.PolicyChange{ChangedAt: h.now().UTC(), Fingerprint: fp, Substance: body}
	prev := ""
	if latest == nil {
		change.SeenAt = change.ChangedAt // a first publication changes nothing for anyone
	} else {
		prev = latest.Fingerprint
		var old policySubstance
		if err := json.Unmarshal([]byte(latest.Substance), &old); err != nil {
			old = policySubstance{} // unreadable: everything reads as new
		}
		if change.Items = diffSubstance(old, h.site.substance); len(change.Items) == 0 {
			change.Items = []snsos.PolicyChangeItem{{What: changeWording}}
		}
	}
	switch err := h.store.RecordPolicyChange(ctx, prev, change); {
	case snsos.IsCode(err, snsos.ECONFLICT):
		// Another process starting at the same moment recorded it.
		if latest, err = h.store.LatestPolicyChange(ctx); err != nil {
			return err
		}
		h.site.policy.synced, h.site.policy.updated = true, latest.ChangedAt
		return nil
	case err != nil:
		return err
	}
	h.site.policy.synced, h.site.policy.updated = true, change.ChangedAt
	if latest != nil {
		h.log.Warn("web: the privacy policy's substance changed", "changes", attention.ChangeSummary(change.Items))
		h.site.notifier.trigger()
	} else {
		h.log.Info("web: privacy policy first published")
	}
	return nil
}

// policyUpdated is the day the policy last changed, syncing first when
// nothing has yet.
func (h *Handler) policyUpdated(ctx context.Context) (time.Time, error) {
	h.site.policy.mu.Lock()
	synced, at := h.site.policy.synced, h.site.policy.updated
	h.site.policy.mu.Unlock()
	if synced {
		return at, nil
	}
	if err := h.SyncPolicy(ctx); err != nil {
		return time.Time{}, err
	}
	h.site.policy.mu.Lock()
	defer h.site.policy.mu.Unlock()
	return h.site.policy.updated, nil
}
