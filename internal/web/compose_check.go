package web

import (
	"context"
	"encoding/json"
	"errors"
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
	// Targets is what each selected platform's target publishes.
	Targets []composeTargetCheck `json:"targets"`
	// TikTok is the TikTok block (null when there is no TikTok account).
	TikTok *composeTikTok `json:"tiktok"`
}

// composeTargetCheck is one selected platform's target as the engine will
// see it.
type composeTargetCheck struct {
	Platform snsos.Platform `json:"platform"`
	// MediaIDs is the media it publishes, in its order.
	MediaIDs []int64 `json:"media_ids"`
	// MediaType is the media_type it is published as (given or inferred;
	// "" when the platform has none or refuses the given one).
	MediaType string `json:"media_type"`
	// Auto says what "Automatic" makes of its media (Instagram):
	// "Automatic: carousel of 3".
	Auto string `json:"auto"`
	// Errors are the problems of its options, by form field ("" for the
	// page).
	Errors map[string]string `json:"errors"`
	// LinkNote says that a link attachment can't go with its media
	// (Threads, when it has media).
	LinkNote string `json:"link_note"`
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
		Media: []composeMediaCheck{}, MediaErrors: []string{}, Targets: []composeTargetCheck{}}
	platforms := selectedPlatforms(f, accts)
	refs := h.composeMediaRefs(ctx, f.Media)
	for _, p := range platforms {
		tRefs := mediaRefs(f.targetMedia(p), refs)
		composeCheckText(tr, f, p, len(tRefs) > 0, p == snsos.PlatformTikTok && rules.TikTokPhotoPost(tRefs), res)
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
	at, loc := h.composeCheckTime(tr, f, res)
	h.composeCheckQuota(ctx, tr, f, accts, at, res)
	types := composeCheckTargets(tr, f, platforms, refs, res)
	res.TikTok = h.composeTikTokState(ctx, tr, f, accts, refs)
	res.Blocking = append(res.Blocking, res.TikTok.blocking()...)
	h.composeCheckMedia(tr, f, platforms, types, refs, res.TikTok.maxVideoSeconds(), res)
	if next, ok := h.composeNextFree(ctx, f); ok {
		res.NextFree = composePickAt(tr, tr.T("compose.pick.next", "Time", shortTime(tr.lang, next.In(loc), h.now().In(loc))), next, loc)
		res.NextFree.Next = true
	}
	return res
}

// composeCheckText adds the counters of the texts platform p publishes
// (one per part of a thread) and their problems. hasMedia: the target
// publishes media, so an empty text is allowed where p allows it; photo:
// a TikTok photo post, whose text is a description with its own limit.
func composeCheckText(tr *translator, f *composeForm, p snsos.Platform, hasMedia, photo bool, res *composeCheckResult) {
	texts := f.texts(p)
	for i, text := range texts {
		opts := rules.Options{HasMedia: i == 0 && hasMedia, TikTokPhoto: photo}
		if p == snsos.PlatformThreads && i == 0 {
			opts.LinkAttachment = f.tab(p).opt(rules.OptLinkAttachment)
		}
		r := rules.Check(p, text, opts)
		c := composeCheckCounter{Platform: p, Part: i, Parts: len(texts), Length: r.Length, MaxLength: r.MaxLength, Valid: r.Valid, FitEnd: -1, Problems: []string{}}
		c.State = "ok"
		if r.Length > r.MaxLength {
			c.State = "over"
		} else if r.MaxLength > 0 && r.Length*10 >= r.MaxLength*9 {
			c.State = "warn"
		}
		if p == snsos.PlatformX && r.Length > r.MaxLength {
			c.FitEnd = rules.ParseX(text).ValidRangeEnd + 1
		} else if r.Length > r.MaxLength {
			c.FitEnd = fitUnits(text, r.MaxLength)
		}
		label := p.DisplayName()
		if len(texts) > 1 {
			label = tr.T("compose.counter.part", "Platform", label, "Part", i+1, "Parts", len(texts))
		}
		c.Line = composeCounterLine(tr, label, r)
		for _, e := range composeEntityCounts(p, text, opts) {
			c.Line += tr.T("sep") + tr.T("compose.counter."+e.what, "N", e.n, "Max", e.max)
			if e.n > e.max {
				c.State = "over"
			}
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

// composeCounterLine is "X 152/280 · 128 left" or "X 300/280 · 20 over".
func composeCounterLine(tr *translator, label string, r rules.Result) string {
	length, limit := groupDigits(int64(r.Length)), groupDigits(int64(r.MaxLength))
	if r.Length > r.MaxLength {
		return tr.T("compose.counter.over", "Label", label, "Length", length, "Max", limit, "Over", groupDigits(int64(r.Length-r.MaxLength)))
	}
	return tr.T("compose.counter.left", "Label", label, "Length", length, "Max", limit, "Left", groupDigits(int64(r.MaxLength-r.Length)))
}

// composeCheckTime reads the schedule fields: the zone line, the UTC line
// and their problems. It returns the time (zero: none) and the zone.
func (h *Handler) composeCheckTime(tr *translator, f *composeForm, res *composeCheckResult) (time.Time, *time.Location) {
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
	return at, loc
}

// composeCheckQuota warns of accounts near their platform's publishing
// quota around the time (or now).
func (h *Handler) composeCheckQuota(ctx context.Context, tr *translator, f *composeForm, accts map[int64]*snsos.Account, at time.Time, res *composeCheckResult) {
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
}

// composeMediaRefs returns the facts of the media items ids the library
// still has (one gone is the engine's to report on save).
func (h *Handler) composeMediaRefs(ctx context.Context, ids []int64) map[int64]snsos.MediaRef {
	out := map[int64]snsos.MediaRef{}
	if h.cfg.Media == nil {
		return out
	}
	for _, id := range ids {
		if m, err := h.cfg.Media.Get(ctx, id); err == nil {
			out[id] = *m
		}
	}
	return out
}

// composeCheckTargets checks each selected platform's target as the engine
// will: its media type (given or inferred from its own media), its
// options, and its media as a set. It returns the media type of each
// platform ("" where there is none or it is refused).
func composeCheckTargets(tr *translator, f *composeForm, platforms []snsos.Platform, refs map[int64]snsos.MediaRef, res *composeCheckResult) map[snsos.Platform]string {
	types := map[snsos.Platform]string{}
	for _, p := range platforms {
		ids := f.targetMedia(p)
		tRefs := mediaRefs(ids, refs)
		opts := composeTargetOptions(f, p, tRefs)
		tc := composeTargetCheck{Platform: p, MediaIDs: ids, Errors: map[string]string{}}
		if tc.MediaIDs == nil {
			tc.MediaIDs = []int64{}
		}
		typ, typeErr := rules.MediaType(p, opts, tRefs)
		var problems snsos.ValidationErrors
		problems = append(problems, fieldErrors(typeErr)...)
		problems = append(problems, rules.CheckOptions(p, opts, typ)...)
		if typeErr == nil || len(tRefs) > 0 {
			for _, fe := range rules.CheckMedia(p, tRefs, rules.Options{HasMedia: len(tRefs) > 0}.WithMediaType(p, typ)) {
				if fe.Field == "media" {
					problems = append(problems, fe)
				}
			}
		}
		for _, fe := range problems {
			res.Blocking = append(res.Blocking, fe.Message)
			if fe.Field == "media" {
				res.MediaErrors = append(res.MediaErrors, fe.Message)
				continue
			}
			key := optionErrorKey(p, strings.TrimPrefix(fe.Field, "options."))
			tc.Errors[key] = strings.TrimSpace(tc.Errors[key] + " " + fe.Message)
		}
		tc.MediaType = typ
		if p == snsos.PlatformInstagram {
			tc.Auto = composeAutoLine(tr, p, tRefs)
		}
		if p == snsos.PlatformThreads && len(tRefs) > 0 {
			tc.LinkNote = tr.T("compose.threads.link_media")
		}
		types[p] = typ
		res.Targets = append(res.Targets, tc)
	}
	return types
}

// composeAutoLine says what "Automatic" makes of the media for platform p:
// "Automatic: carousel of 3".
func composeAutoLine(tr *translator, p snsos.Platform, refs []snsos.MediaRef) string {
	typ, err := rules.MediaType(p, nil, refs)
	switch {
	case err != nil || typ == "":
		return tr.T("compose.auto.none")
	case typ == rules.MediaCarousel:
		return tr.T("compose.auto.carousel", "N", len(refs))
	}
	return tr.T("compose.auto." + strings.ToLower(typ))
}

// fieldErrors returns the field errors err wraps (none for nil).
func fieldErrors(err error) snsos.ValidationErrors {
	var v snsos.ValidationErrors
	errors.As(err, &v)
	return v
}

// composeCheckMedia adds the media badges: each tray item checked on its
// own for each selected platform that publishes it, with the platform's
// media type (types) and the longest video the TikTok accounts may post
// (tiktokMax seconds, 0: TikTok's own limit), and marked "not used" for
// the others; then its alt text, for the platforms that publish it.
func (h *Handler) composeCheckMedia(tr *translator, f *composeForm, platforms []snsos.Platform, types map[snsos.Platform]string,
	refs map[int64]snsos.MediaRef, tiktokMax int, res *composeCheckResult) {
	if h.cfg.Media == nil || len(platforms) == 0 {
		return
	}
	_, canConvert := h.cfg.Media.(mediaConverter)
	alt := map[int64]string{}
	for id, text := range f.Alt {
		if strings.TrimSpace(text) != "" {
			alt[id] = text
		}
	}
	n := 0
	for _, id := range f.Media {
		m, ok := refs[id]
		if !ok {
			continue // gone from the library: the engine says so on save
		}
		n++
		mc := composeMediaCheck{ID: id, Badges: []composeBadge{}, Alt: []string{}}
		for _, p := range platforms {
			if !slices.Contains(f.targetMedia(p), id) {
				mc.Badges = append(mc.Badges, composeBadge{Platform: p, Unused: true, Text: tr.T("compose.media.badge_unused", "Platform", p.DisplayName())})
				continue
			}
			for _, msg := range composeAltProblems(tr, p, m, alt) {
				mc.Alt = append(mc.Alt, msg)
				res.Blocking = append(res.Blocking, tr.T("compose.media.blocking", "Number", n, "Reason", msg))
			}
			b := composeMediaBadge(tr, p, m, rules.Options{TikTokMaxVideoSeconds: tiktokMax}.WithMediaType(p, types[p]), canConvert)
			if !b.OK {
				for _, r := range b.reasons {
					res.Blocking = append(res.Blocking, tr.T("compose.media.blocking", "Number", n, "Reason", r))
				}
			}
			mc.Badges = append(mc.Badges, b)
		}
		res.Media = append(res.Media, mc)
	}
}

// composeAltProblems says what platform p refuses in the alt text of m.
func composeAltProblems(tr *translator, p snsos.Platform, m snsos.MediaRef, alt map[int64]string) []string {
	var out []string
	for _, fe := range rules.CheckAltText(p, []snsos.MediaRef{m}, alt) {
		msg := fe.Message
		switch fe.Rule {
		case rules.RuleAltTextLength:
			msg = tr.T("compose.alt.too_long", "Platform", p.DisplayName(), "Max", groupDigits(int64(rules.MediaRulesFor(p).AltTextMax)),
				"Length", groupDigits(int64(utf8.RuneCountInString(alt[m.ID]))))
		case rules.RuleAltTextKind:
			msg = tr.T("compose.alt.video", "Platform", p.DisplayName())
		}
		out = append(out, msg)
	}
	return out
}

// composeMediaBadge checks one item for platform p's post as opts say
// (its media type, TikTok's longest video): "Instagram ✓", or "Instagram ✗
// PNG — JPEG only" with, for an image Instagram refuses for its type only,
// the offer to convert it to JPEG.
func composeMediaBadge(tr *translator, p snsos.Platform, m snsos.MediaRef, opts rules.Options, canConvert bool) composeBadge {
	b := composeBadge{Platform: p, OK: true, Text: tr.T("compose.media.badge_ok", "Platform", p.DisplayName())}
	for _, fe := range rules.CheckMedia(p, []snsos.MediaRef{m}, opts) {
		short := ""
		if fe.Rule == rules.RuleMediaType {
			short = composeTypeReason(tr, p, m)
			b.Convert = canConvert && p == snsos.PlatformInstagram && slices.Contains(composeConvertible, m.Mime)
		}
		if short == "" {
			short = fe.Message
		}
		b.reasons = append(b.reasons, fe.Message)
		b.short = append(b.short, short)
	}
	if len(b.reasons) > 0 {
		b.OK = false
		b.Text = tr.T("compose.media.badge_bad", "Platform", p.DisplayName(), "Reason", strings.Join(b.short, tr.Sp()))
	}
	return b
}

// composeTypeReason is the short reason platform p refuses the file type
// of m: "PNG — JPEG only" ("" when p takes no file of m's kind here).
func composeTypeReason(tr *translator, p snsos.Platform, m snsos.MediaRef) string {
	mr := rules.MediaRulesFor(p)
	allowed := mr.Video.MIMETypes
	if m.IsImage() {
		allowed = mr.Image.MIMETypes
	}
	if len(allowed) == 0 || slices.Contains(allowed, m.Mime) {
		return ""
	}
	names := make([]string, len(allowed))
	for i, t := range allowed {
		names[i] = mimeShortName(t)
	}
	return tr.T("compose.media.reason_type", "Type", mimeShortName(m.Mime), "Allowed", strings.Join(names, tr.T("compose.list_sep")))
}

// mimeShortName is the name people use for a media type: "PNG".
func mimeShortName(mime string) string {
	switch mime {
	case "image/jpeg":
		return "JPEG"
	case "image/png":
		return "PNG"
	case "image/gif":
		return "GIF"
	case "image/webp":
		return "WebP"
	case "video/mp4":
		return "MP4"
	case "video/quicktime":
		return "MOV"
	case "video/webm":
		return "WebM"
	}
	return mime
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
		if c.Length > c.MaxLength {
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
