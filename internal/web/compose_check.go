package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store"
)

// composeCheckResult is the answer of /compose/check.
type composeCheckResult struct {
	Counters []composeCheckCounter `json:"counters"`
	Cost     string                `json:"cost"`
	Quota    []string              `json:"quota"`
	UTC      string                `json:"utc"`
	Zone     string                `json:"zone"`
	TimeErr  map[string]string     `json:"time_errors"`
	Blocking []string              `json:"blocking"`
	// Media has the validity badges of each tray item for each selected
	// platform; MediaErrors the problems of the set as a whole.
	Media       []composeMediaCheck `json:"media"`
	MediaErrors []string            `json:"media_errors"`
	// NextFree is the next free slot of the selected accounts, if any.
	NextFree *composePick `json:"next_free"`
}

type composeCheckCounter struct {
	Platform  snsos.Platform `json:"platform"`
	Part      int            `json:"part"`
	Parts     int            `json:"parts"`
	Length    int            `json:"length"`
	MaxLength int            `json:"max_length"`
	Valid     bool           `json:"valid"`
	FitEnd    int            `json:"fit_end"` // UTF-16 units of the text that fit; -1 when all do
	Line      string         `json:"line"`
	State     string         `json:"state"` // ok, warn or over
	Problems  []string       `json:"problems"`
}

// accounts returns the accounts by id and in display order.
func (h *Handler) composeAccounts(ctx context.Context) (map[int64]*snsos.Account, []*snsos.Account, error) {
	list, err := h.store.ListAccounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	by := map[int64]*snsos.Account{}
	var out []*snsos.Account
	for _, cp := range composePlatforms {
		for _, a := range list {
			if a.Platform == cp.Platform {
				by[a.ID] = a
				out = append(out, a)
			}
		}
	}
	return by, out, nil
}

// selectedPlatforms returns the platforms of the chosen accounts, in tab
// order.
func selectedPlatforms(f *composeForm, accts map[int64]*snsos.Account) []snsos.Platform {
	var out []snsos.Platform
	for _, cp := range composePlatforms {
		for _, id := range f.Accounts {
			if a := accts[id]; a != nil && a.Platform == cp.Platform {
				out = append(out, cp.Platform)
				break
			}
		}
	}
	return out
}

// check runs the platforms' own counting on the form, as the engine will.
func (h *Handler) composeCheck(ctx context.Context, tr *translator, f *composeForm, accts map[int64]*snsos.Account) *composeCheckResult {
	res := &composeCheckResult{Counters: []composeCheckCounter{}, Quota: []string{}, Blocking: []string{}, TimeErr: map[string]string{},
		Media: []composeMediaCheck{}, MediaErrors: []string{}}
	for _, p := range selectedPlatforms(f, accts) {
		texts := f.texts(p)
		for i, text := range texts {
			r := rules.Check(p, text, rules.Options{HasMedia: i == 0 && len(f.Media) > 0})
			c := composeCheckCounter{Platform: p, Part: i, Parts: len(texts), Length: r.Length, MaxLength: r.MaxLength, Valid: r.Valid, FitEnd: -1, Problems: []string{}}
			c.State = "ok"
			if r.Length > r.MaxLength {
				c.State = "over"
			} else if r.MaxLength > 0 && r.Length*10 >= r.MaxLength*9 {
				c.State = "warn"
			}
			if p == snsos.PlatformX && r.Length > r.MaxLength {
				c.FitEnd = rules.ParseX(text).ValidRangeEnd + 1
			} else if r.Length > r.MaxLength && p != snsos.PlatformX {
				c.FitEnd = fitUnits(text, r.MaxLength)
			}
			name := p.DisplayName()
			label := name
			if len(texts) > 1 {
				label = tr.T("compose.counter.part", "Platform", name, "Part", i+1, "Parts", len(texts))
			}
			if r.Length > r.MaxLength {
				c.Line = tr.T("compose.counter.over", "Label", label, "Length", groupDigits(int64(r.Length)), "Max", groupDigits(int64(r.MaxLength)), "Over", groupDigits(int64(r.Length-r.MaxLength)))
			} else {
				c.Line = tr.T("compose.counter.left", "Label", label, "Length", groupDigits(int64(r.Length)), "Max", groupDigits(int64(r.MaxLength)), "Left", groupDigits(int64(r.MaxLength-r.Length)))
			}
			for _, fe := range r.Errors {
				if fe.Rule == rules.RuleMaxLength {
					res.Blocking = append(res.Blocking, c.Line)
					continue
				}
				msg := ruleMessage(tr, p, fe)
				c.Problems = append(c.Problems, msg)
				res.Blocking = append(res.Blocking, tr.T("compose.blocking.item", "Label", label, "Reason", msg))
			}
			res.Counters = append(res.Counters, c)
		}
	}
	// X's estimated cost: one post per part, per X account.
	nx := 0
	for _, id := range f.Accounts {
		if a := accts[id]; a != nil && a.Platform == snsos.PlatformX {
			nx++
		}
	}
	if nx > 0 {
		c := rules.EstimateXCost(f.texts(snsos.PlatformX), h.cfg.XPrices)
		res.Cost = tr.T("compose.cost", "USD", usd(c.USD*float64(nx)), "Count", c.Posts*nx)
	}
	at, loc, terrs := parseComposeTime(f.Date, f.Time, f.Zone, h.location())
	for k, id := range terrs {
		res.TimeErr[k] = tr.T(id)
	}
	res.Zone = zoneLabel(loc, h.now())
	if !at.IsZero() {
		res.Zone = zoneLabel(loc, at)
		res.UTC = composeUTCLine(tr, at, h.now())
		if at.Before(h.now()) {
			res.TimeErr["time"] = tr.T("compose.err.past")
		}
	}
	// Quotas around the time (or now).
	when := at
	if when.IsZero() {
		when = h.now()
	}
	for _, id := range f.Accounts {
		a := accts[id]
		if a == nil {
			continue
		}
		limit := publish.DefaultQuotas[a.Platform]
		if limit <= 0 {
			continue
		}
		n, err := h.store.CountAccountDeliveries(ctx, a.ID, when.Add(-24*time.Hour), when.Add(24*time.Hour), 0)
		if err != nil {
			h.log.Warn("web: count deliveries", "err", err)
			continue
		}
		if (n+1)*10 >= limit*8 {
			res.Quota = append(res.Quota, tr.T("compose.quota", "Handle", a.Handle, "Platform", a.Platform.DisplayName(), "Count", n, "Limit", limit))
		}
	}
	h.composeCheckMedia(ctx, tr, f, accts, res)
	if next, ok := h.composeNextFree(ctx, f); ok {
		res.NextFree = composePickAt(tr, tr.T("compose.pick.next", "Time", shortTime(tr.lang, next.In(loc), h.now().In(loc))), next, loc)
		res.NextFree.Next = true
	}
	return res
}

// composeCheckMedia adds the media badges: each tray item checked on its
// own for each selected platform, then the set's own problems (too many
// items, mixed kinds, media required), which also block approval.
func (h *Handler) composeCheckMedia(ctx context.Context, tr *translator, f *composeForm, accts map[int64]*snsos.Account, res *composeCheckResult) {
	platforms := selectedPlatforms(f, accts)
	if h.cfg.Media == nil || len(platforms) == 0 {
		return
	}
	var refs []snsos.MediaRef
	for _, id := range f.Media {
		m, err := h.cfg.Media.Get(ctx, id)
		if err != nil {
			continue // gone from the library: the engine says so on save
		}
		refs = append(refs, *m)
	}
	alt := map[int64]string{}
	for id, text := range f.Alt {
		if strings.TrimSpace(text) != "" {
			alt[id] = text
		}
	}
	for i := range refs {
		mc := composeMediaCheck{ID: refs[i].ID, Badges: []composeBadge{}, Alt: []string{}}
		for _, p := range platforms {
			for _, fe := range rules.CheckAltText(p, refs[i:i+1], alt) {
				msg := fe.Message
				switch fe.Rule {
				case rules.RuleAltTextLength:
					msg = tr.T("compose.alt.too_long", "Platform", p.DisplayName(), "Max", groupDigits(int64(rules.MediaRulesFor(p).AltTextMax)),
						"Length", groupDigits(int64(utf8.RuneCountInString(alt[refs[i].ID]))))
				case rules.RuleAltTextKind:
					msg = tr.T("compose.alt.video", "Platform", p.DisplayName())
				}
				mc.Alt = append(mc.Alt, msg)
				res.Blocking = append(res.Blocking, tr.T("compose.media.blocking", "Number", i+1, "Reason", msg))
			}
		}
		for _, p := range platforms {
			b := composeBadge{Platform: p, OK: true, Text: tr.T("compose.media.badge_ok", "Platform", p.DisplayName())}
			var reasons []string
			for _, fe := range rules.CheckMedia(p, refs[i:i+1], rules.Options{}) {
				reasons = append(reasons, fe.Message)
			}
			if len(reasons) > 0 {
				b.OK = false
				b.Text = tr.T("compose.media.badge_bad", "Platform", p.DisplayName(), "Reason", strings.Join(reasons, " "))
				for _, r := range reasons {
					res.Blocking = append(res.Blocking, tr.T("compose.media.blocking", "Number", i+1, "Reason", r))
				}
			}
			mc.Badges = append(mc.Badges, b)
		}
		res.Media = append(res.Media, mc)
	}
	for _, p := range platforms {
		for _, fe := range rules.CheckMedia(p, refs, rules.Options{}) {
			if fe.Field == "media" {
				res.MediaErrors = append(res.MediaErrors, fe.Message)
				res.Blocking = append(res.Blocking, fe.Message)
			}
		}
	}
}

// composeSlotGap is how far a free slot stays from the selected accounts'
// other scheduled posts; composeSlotAhead how far ahead the search looks.
const (
	composeSlotStep  = 5 * time.Minute
	composeSlotLead  = 10 * time.Minute
	composeSlotGap   = 30 * time.Minute
	composeSlotAhead = 14 * 24 * time.Hour
)

// composeNextFree returns the next 5-minute-aligned time at least 10
// minutes ahead with no scheduled target of the form's accounts within 30
// minutes, looking 14 days ahead. The window's targets are read once.
func (h *Handler) composeNextFree(ctx context.Context, f *composeForm) (time.Time, bool) {
	now := h.now()
	start := now.Add(composeSlotLead)
	if t := start.Truncate(composeSlotStep); t.Before(start) {
		start = t.Add(composeSlotStep)
	}
	end := now.Add(composeSlotAhead)
	var busy []time.Time
	if len(f.Accounts) > 0 {
		list, err := h.store.ListTargetsInRange(ctx, store.TargetRange{From: start.Add(-composeSlotGap), To: end.Add(composeSlotGap + time.Second),
			States: []snsos.TargetState{snsos.StateApproved, snsos.StateScheduled, snsos.StatePublishing}})
		if err != nil {
			h.log.Warn("web: next free slot", "err", err)
			return time.Time{}, false
		}
		for _, t := range list {
			if slices.Contains(f.Accounts, t.AccountID) && (f.PostID == 0 || t.PostID != f.PostID) {
				busy = append(busy, t.At)
			}
		}
		slices.SortFunc(busy, func(a, b time.Time) int { return a.Compare(b) })
	}
	i := 0
	for s := start; !s.After(end); s = s.Add(composeSlotStep) {
		for i < len(busy) && busy[i].Before(s.Add(-composeSlotGap)) {
			i++
		}
		if i == len(busy) || busy[i].After(s.Add(composeSlotGap)) {
			return s, true
		}
	}
	return time.Time{}, false
}

// fitUnits returns how many UTF-16 units of text fit in max code points
// (the platforms other than X count about that way; the preview is
// approximate).
func fitUnits(text string, max int) int {
	n, units := 0, 0
	for _, r := range text {
		if n >= max {
			break
		}
		n++
		units += len(utf16.Encode([]rune{r}))
	}
	return units
}

// ruleMessage says a broken platform rule in the page's language (the rules
// compose knows; others keep compose's English sentence).
func ruleMessage(tr *translator, p snsos.Platform, fe snsos.FieldError) string {
	switch fe.Rule {
	case rules.RuleRequired, rules.RuleMaxCashtags, rules.RuleInvalidChars, rules.RuleMaxLinks, rules.RuleMaxHashtags, rules.RuleMaxMentions:
		return tr.T("compose.rule."+fe.Rule, "Platform", p.DisplayName())
	}
	return fe.Message
}

func (h *Handler) handleComposeCheck(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.readComposeForm(w, r)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	accts, _, err := h.composeAccounts(r.Context())
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	tr := newTranslator(pickLang(r), nil)
	composeJSON(w, http.StatusOK, h.composeCheck(r.Context(), tr, f, accts))
}

func composeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// composeTextProblems puts each platform's text problems from chk next to
// the field they concern (the base text or the platform's override) and
// reports whether there were any.
func composeTextProblems(tr *translator, f *composeForm, chk *composeCheckResult, fieldErrs map[string]string) bool {
	found := false
	for _, c := range chk.Counters {
		if c.Valid {
			continue
		}
		found = true
		key := "body"
		if f.tab(c.Platform).Customized {
			key = "override_" + string(c.Platform)
		}
		msgs := c.Problems
		if c.State == "over" {
			msgs = append([]string{tr.T("compose.err.max_length", "Platform", c.Platform.DisplayName())}, msgs...)
		}
		for _, msg := range msgs {
			if !strings.Contains(fieldErrs[key], msg) {
				fieldErrs[key] = strings.TrimSpace(fieldErrs[key] + " " + msg)
			}
		}
	}
	return found
}
