package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

type composeData struct {
	Action, Token, StorageKey string
	PostID                    int64
	IsEdit, Approved          bool
	Flash                     string
	ClearKeys                 string
	Errors                    []composeError
	FieldErrors               map[string]string
	Accounts                  []composeAccount
	NoAccounts                bool
	Body                      string
	Tabs                      []composeTab
	Counters                  []composeCounter
	Media                     []composeMedia
	Library                   []composeMedia
	MediaAvailable            bool
	Date, Time, Zone          string
	Zones                     []composeZone
	ZoneLabel, UTCLine        string
	TimeISO                   string
	Cost                      string
	Quota                     []string
	Previews                  []composePreview
	PreviewNone               bool // no account chosen: nothing to preview
	Blocking                  []string
	Readonly                  bool
	// HasTime: a date or time is filled in, so "Approve and schedule" is
	// the primary action; otherwise "Approve and post now" is.
	HasTime bool
	// ConfirmNow shows the confirmation of "Approve and post now".
	ConfirmNow  bool
	ConfirmText string
	// MediaErrors are the media set's problems (too many items, …).
	MediaErrors []string
	// Picks are the schedule's quick picks: the next free slot, then the
	// best hours from analytics.
	Picks []composePick
	// OpenTab is the platform tab to show first ("" for All platforms).
	OpenTab string
	// Notice says what a form action did ("Converted … to JPEG").
	Notice string
	// TikTok is the TikTok block (nil without a TikTok account): its
	// declaration goes right above the buttons.
	TikTok *composeTikTok
}

// composePick is a quick pick under the schedule picker.
type composePick struct {
	Label string `json:"label"`
	At    string `json:"at"` // RFC 3339, UTC
	Date  string `json:"date"`
	Time  string `json:"time"`
	Next  bool   `json:"-"`
}

// composeBadge says whether one platform can use one media item.
type composeBadge struct {
	Platform snsos.Platform `json:"platform"`
	OK       bool           `json:"ok"`
	// Unused: the platform's tab chose other media ("X — not used").
	Unused bool   `json:"unused"`
	Text   string `json:"text"`
	// Convert offers "Convert to JPEG" (Instagram refuses the image's
	// type, and the library can convert it).
	Convert bool `json:"convert"`
	// reasons are the full messages of what is wrong, short what the
	// badge says of each.
	reasons, short []string
}

// composeMediaCheck is the badges of one tray item in /compose/check, and
// what is wrong with its alt text (too long, on a video) for the selected
// platforms that take alt text.
type composeMediaCheck struct {
	ID     int64          `json:"id"`
	Badges []composeBadge `json:"badges"`
	Alt    []string       `json:"alt_errors"`
}

type composeError struct{ Field, Message string }

type composeAccount struct {
	ID                     int64
	Platform, Name, Handle string
	Checked, Disabled      bool
	Reason                 string
	HasAvatar              bool // sns-os serves the account's picture
	// TikTokInbox: a TikTok account that uploads to its inbox.
	TikTokInbox bool
}

type composeTab struct {
	Key, Name      string
	Selected       bool
	Customized     bool
	Override       string
	ThreadCapable  bool
	Thread         bool
	Parts          []composePart
	CustomizeLabel string
	OverrideError  string
	// SplitHint explains Split into parts with the platform's limit.
	SplitHint string
	// OptionsJSON carries the target's options through the form (the
	// hidden options_<platform> field).
	OptionsJSON string
	// Errors are the problems of the tab's fields, by field name
	// (media_type_instagram, topic_tag_threads, tmedia_x …).
	Errors map[string]string
	// Media is the tab's "Media for <platform>" choice.
	MediaLabel string
	MediaMode  string
	MediaItems []composeTabMedia
	// Instagram: the type choice and what Automatic resolves to, Share
	// to feed (reels), the first comment (when the server enables it).
	Types           []composeChoice
	Auto            string
	Resolved        string // the media type given or inferred
	ShareToFeed     bool
	HasFirstComment bool
	FirstComment    string
	// Threads: the topic tag and link attachment, and the note that a
	// link needs a post without media.
	TopicTag, LinkAttachment string
	LinkNote                 string
	// TikTok: the block TikTok's guidelines ask for.
	TikTok *composeTikTok
}

// composeChoice is one radio button.
type composeChoice struct {
	Value, Label string
	Checked      bool
}

// composeTabMedia is one line of a tab's media choice.
type composeTabMedia struct {
	Index   int
	Number  int // its place among the checked items (0: unchecked)
	Checked bool
	composeMedia
}

type composePart struct {
	Index int
	Label string
	Text  string
	Error string
}

type composeCounter struct {
	Platform, Line, State string
	Problems              []string
}

type composeMedia struct {
	ID             int64
	Number         int
	Filename, Mime string
	URL            string
	IsImage        bool
	Badges         []composeBadge
	// Alt is the item's alt text as typed; AltError what is wrong with it
	// (the engine's refusal); AltCheck what the live check says of it.
	Alt, AltError, AltCheck string
	// Width and Height are the probe's (0 when unknown).
	Width, Height int
}

type composeZone struct {
	Name, Label string
	Selected    bool
}

type composePreview struct {
	Key, Platform, Name, Handle, Initial string
	// Selected: an account of the platform is chosen (else the preview
	// is hidden until one is).
	Selected bool
	// Kind is the platform's way of showing a post (composePlatform.Preview).
	Kind string
	// AccountID is the previewed account; HasAvatar shows its stored
	// picture instead of the Initial badge.
	AccountID int64
	HasAvatar bool
	Parts     []previewPart
	// Images are the target's images in order (up to four for X).
	Images []composeMedia
	// Video is a TikTok video post's video.
	Video *composeMedia
	// Instagram: the first item's frame ("portrait" 4:5 or "square"), a
	// dot per carousel item, and the caption folded after about 125
	// characters ("…more").
	Frame  string
	Dots   []int
	Fold   int
	Folded bool
}

type previewPart struct {
	Fit, Over string
}

// instagramFold is where Instagram folds a caption ("…more"), in code
// points (ui-guide §3: about 125 characters).
const instagramFold = 125

// composePickAt is a quick pick of time at, its fields in zone loc.
func composePickAt(tr *translator, label string, at time.Time, loc *time.Location) *composePick {
	l := at.In(loc)
	return &composePick{Label: label, At: at.UTC().Format(time.RFC3339), Date: l.Format("2006-01-02"), Time: l.Format("15:04")}
}

// composeUTCLine is "= 2026-11-28 12:00 UTC · in 3 days" / 「(UTC 2026-11-28 12:00)・3日後」.
func composeUTCLine(tr *translator, at, now time.Time) string {
	d := at.Sub(now)
	var rel string
	switch {
	case d < 0:
		rel = tr.T("compose.rel.past")
	case d < time.Hour:
		rel = tr.T("compose.rel.minutes", "Count", int(d.Minutes()))
	case d < 48*time.Hour:
		rel = tr.T("compose.rel.hours", "Count", int(d.Hours()))
	default:
		rel = tr.T("compose.rel.days", "Count", int(d.Hours()/24))
	}
	return tr.T("compose.utc", "UTC", at.UTC().Format("2006-01-02 15:04"), "Rel", rel)
}

// renderCompose renders the compose page for f (post is the stored post
// when editing) with errors by field ("" for the page).
func (h *Handler) renderCompose(w http.ResponseWriter, r *http.Request, status int, f *composeForm, post *snsos.Post, fieldErrs map[string]string) {
	ctx := r.Context()
	title := "compose.title"
	if post != nil {
		title = "compose.title.edit"
		f.PostID = post.ID
	}
	d := &composeData{Action: "/compose", Token: f.Token, StorageKey: "new", FieldErrors: fieldErrs, Body: f.Body,
		Date: f.Date, Time: f.Time, MediaAvailable: h.cfg.Media != nil}
	if d.FieldErrors == nil {
		d.FieldErrors = map[string]string{}
	}
	p := h.newPage(r, title, true, d)
	tr := p.translator
	if post != nil {
		d.Action, d.PostID, d.IsEdit, d.StorageKey = postHref(post.ID)+"/edit", post.ID, true, strconv.FormatInt(post.ID, 10)
		for _, t := range post.Targets {
			if t.State == snsos.StateApproved || t.State == snsos.StateScheduled {
				d.Approved = true
			}
		}
		switch r.URL.Query().Get("flash") {
		case "saved":
			d.Flash = tr.T("compose.flash.saved", "Time", h.now().In(h.location()).Format("15:04"))
			d.ClearKeys = "new " + d.StorageKey
		case "duplicated":
			d.Flash = tr.T("compose.flash.duplicated")
		}
	}
	accts, list, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	d.NoAccounts = len(list) == 0
	avatars := h.avatarIDs(ctx)
	composeAccountsData(d, tr, f, list, avatars)
	selected := selectedPlatforms(f, accts)
	check := h.composeCheck(ctx, tr, f, accts)
	if !h.cfg.InstagramFirstComment {
		// No field for it: its problem goes to the page.
		composeMoveError(d.FieldErrors, rules.OptFirstComment+"_"+string(snsos.PlatformInstagram), "")
	}
	d.Notice = f.notice
	h.composeMediaData(ctx, d, f, check)
	h.composeTabsData(d, tr, f, list, selected, check)
	for _, c := range check.Counters {
		line := composeCounter{Platform: string(c.Platform), Line: c.Line, State: c.State, Problems: c.Problems}
		d.Counters = append(d.Counters, line)
	}
	d.Cost, d.Quota, d.Blocking, d.MediaErrors, d.TikTok = check.Cost, check.Quota, check.Blocking, check.MediaErrors, check.TikTok
	d.HasTime = f.Date != "" || f.Time != ""
	d.OpenTab = f.openTab
	if f.confirmNow {
		d.ConfirmNow, d.ConfirmText = true, composeConfirmText(tr, f, accts)
	}
	// Time.
	_, loc, _ := parseComposeTime("", "", f.Zone, h.location())
	d.Zone = loc.String()
	d.ZoneLabel, d.UTCLine = check.Zone, check.UTC
	for k, msg := range check.TimeErr {
		if d.FieldErrors[k] == "" {
			d.FieldErrors[k] = msg
		}
	}
	h.composeZonesData(d)
	// Quick picks: the next free slot, then the best hours from analytics
	// (once there is enough history).
	if check.NextFree != nil {
		d.Picks = append(d.Picks, *check.NextFree)
	}
	d.Picks = append(d.Picks, h.composeBestHours(r, p, loc)...)
	composePreviewsData(d, f, selected, list, avatars, check)
	composeErrorSummary(d, f, status)
	if status == http.StatusConflict {
		d.Readonly = true
	}
	h.render(w, status, "compose", p)
}

// composeConfirmText asks whether to post to the form's accounts now.
func composeConfirmText(tr *translator, f *composeForm, accts map[int64]*snsos.Account) string {
	var names []string
	for _, id := range f.Accounts {
		if a := accts[id]; a != nil {
			names = append(names, a.Platform.DisplayName()+" @"+a.Handle)
		}
	}
	return tr.T("compose.now.confirm", "Targets", strings.Join(names, tr.T("compose.list_sep")))
}

// composeAccountsData lists the accounts to choose, with why one cannot be.
func composeAccountsData(d *composeData, tr *translator, f *composeForm, list []*snsos.Account, avatars map[int64]bool) {
	for _, a := range list {
		ca := composeAccount{ID: a.ID, Platform: string(a.Platform), Name: a.Platform.DisplayName(), Handle: a.Handle,
			Checked: slices.Contains(f.Accounts, a.ID), HasAvatar: avatars[a.ID], TikTokInbox: a.Platform == snsos.PlatformTikTok && tiktokInbox(a)}
		if a.Status != snsos.AccountConnected {
			ca.Reason = tr.T("compose.account."+string(a.Status), "Platform", a.Platform.DisplayName())
			// A target already on the post stays, so that it can be removed.
			ca.Disabled = !ca.Checked
		}
		d.Accounts = append(d.Accounts, ca)
	}
}

// composeMoveError moves the error of field from to field to.
func composeMoveError(errs map[string]string, from, to string) {
	if msg := errs[from]; msg != "" {
		delete(errs, from)
		errs[to] = strings.TrimSpace(errs[to] + " " + msg)
	}
}

// composeTabsData builds one tab per platform that has an account (d.Media
// is built: the tabs list its items).
func (h *Handler) composeTabsData(d *composeData, tr *translator, f *composeForm, list []*snsos.Account, selected []snsos.Platform, check *composeCheckResult) {
	for _, cp := range composePlatforms {
		has := false
		for _, a := range list {
			has = has || a.Platform == cp.Platform
		}
		if !has {
			continue
		}
		in := f.tab(cp.Platform)
		key := string(cp.Platform)
		tab := composeTab{Key: key, Name: cp.Platform.DisplayName(), Selected: slices.Contains(selected, cp.Platform),
			Customized: in.Customized, Override: in.Override, ThreadCapable: cp.Thread, Thread: cp.Thread && in.Thread,
			CustomizeLabel: tr.T("compose.customize", "Platform", cp.Platform.DisplayName()), OverrideError: d.FieldErrors["override_"+key],
			Errors: map[string]string{}}
		if cp.Thread {
			tab.SplitHint = tr.T("compose.split.hint." + key)
		}
		if tab.Thread {
			for i, s := range in.Parts {
				tab.Parts = append(tab.Parts, composePart{Index: i, Label: fmt.Sprintf("%d/%d", i+1, len(in.Parts)), Text: s,
					Error: d.FieldErrors[fmt.Sprintf("part_%s_%d", key, i)]})
			}
		}
		composeTabOptions(&tab, tr, cp, in, h.cfg.InstagramFirstComment)
		if cp.Platform == snsos.PlatformTikTok {
			tab.TikTok = check.TikTok
		}
		composeTabMediaData(&tab, tr, in, d.Media)
		for _, name := range append(slices.Clone(cp.Fields), "tmedia") {
			k := name + "_" + key
			tab.Errors[k] = d.FieldErrors[k]
		}
		for _, tc := range check.Targets {
			if tc.Platform != cp.Platform {
				continue
			}
			tab.Auto, tab.LinkNote, tab.Resolved = tc.Auto, tc.LinkNote, tc.MediaType
			for k, msg := range tc.Errors {
				if k != "" && tab.Errors[k] == "" {
					tab.Errors[k] = msg
				}
			}
		}
		d.Tabs = append(d.Tabs, tab)
	}
}

// composeTabOptions fills the tab's option fields (Instagram's type, Share
// to feed and first comment; Threads' topic tag and link) and the hidden
// field with the target's options.
func composeTabOptions(tab *composeTab, tr *translator, cp composePlatform, in *composeTabInput, firstComment bool) {
	if b, err := json.Marshal(in.Options); err == nil && len(in.Options) > 0 {
		tab.OptionsJSON = string(b)
	}
	if slices.Contains(cp.Fields, rules.OptMediaType) {
		given := in.opt(rules.OptMediaType)
		tab.Types = append(tab.Types, composeChoice{Value: "", Label: tr.T("compose.type.auto"), Checked: given == ""})
		for _, t := range rules.MediaTypes(cp.Platform) {
			tab.Types = append(tab.Types, composeChoice{Value: t, Label: tr.T("compose.type." + strings.ToLower(t)), Checked: given == t})
		}
	}
	share, given := in.Options[rules.OptShareToFeed].(bool)
	tab.ShareToFeed = share || !given
	tab.HasFirstComment = firstComment && slices.Contains(cp.Fields, rules.OptFirstComment)
	tab.FirstComment = in.opt(rules.OptFirstComment)
	tab.TopicTag, tab.LinkAttachment = in.opt(rules.OptTopicTag), in.opt(rules.OptLinkAttachment)
}

// composeTabMediaData lists the tab's media choice: the post's items in
// the tab's order, the checked ones numbered.
func composeTabMediaData(tab *composeTab, tr *translator, in *composeTabInput, tray []composeMedia) {
	tab.MediaLabel = tr.T("compose.tmedia.label", "Platform", tab.Name)
	tab.MediaMode = in.Media.Mode
	pool := make([]int64, len(tray))
	byID := map[int64]composeMedia{}
	for i, m := range tray {
		pool[i], byID[m.ID] = m.ID, m
	}
	n := 0
	for i, it := range in.Media.Items(pool) {
		tm := composeTabMedia{Index: i, Checked: it.Chosen, composeMedia: byID[it.ID]}
		if it.Chosen {
			n++
			tm.Number = n
		}
		tab.MediaItems = append(tab.MediaItems, tm)
	}
}

// composeZonesData offers the operator's zone, the usual ones and the
// form's, each once.
func (h *Handler) composeZonesData(d *composeData) {
	zones := append([]string{h.location().String()}, composeZones...)
	if !slices.Contains(zones, d.Zone) {
		zones = append(zones, d.Zone)
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if seen[z] {
			continue
		}
		seen[z] = true
		l := composeZoneLocs()[z]
		if l == nil {
			var err error
			if l, err = time.LoadLocation(z); err != nil {
				continue
			}
		}
		d.Zones = append(d.Zones, composeZone{Name: z, Label: zoneLabel(l, h.now()), Selected: z == d.Zone})
	}
}

// composeMediaData builds the tray, then the library to pick from.
func (h *Handler) composeMediaData(ctx context.Context, d *composeData, f *composeForm, check *composeCheckResult) {
	mediaByID := map[int64]*snsos.MediaRef{}
	if h.cfg.Media != nil {
		lib, err := h.cfg.Media.List(ctx, 60)
		if err != nil {
			h.log.Warn("web: list media", "err", err)
		}
		for _, m := range lib {
			mediaByID[m.ID] = m
		}
		for i, id := range f.Media {
			m := mediaByID[id]
			if m == nil {
				if m, err = h.cfg.Media.Get(ctx, id); err != nil {
					continue
				}
			}
			cm := composeMediaOf(m, i+1)
			cm.Alt, cm.AltError = f.Alt[m.ID], d.FieldErrors["alt_"+strconv.FormatInt(m.ID, 10)]
			for _, mc := range check.Media {
				if mc.ID == m.ID {
					cm.Badges = mc.Badges
					if cm.AltError == "" {
						cm.AltCheck = strings.Join(mc.Alt, " ")
					}
				}
			}
			d.Media = append(d.Media, cm)
		}
		for _, m := range lib {
			if !slices.Contains(f.Media, m.ID) {
				d.Library = append(d.Library, composeMediaOf(m, 0))
			}
		}
	}
}

// composePreviewsData builds the previews: one per platform that has an
// account, shown while the platform is selected (compose.js shows and
// hides them as accounts are chosen). Each previews the first chosen
// account of its platform, else the platform's first account.
func composePreviewsData(d *composeData, f *composeForm, selected []snsos.Platform, list []*snsos.Account, avatars map[int64]bool, check *composeCheckResult) {
	d.PreviewNone = len(selected) == 0
	for _, tab := range d.Tabs {
		pl := snsos.Platform(tab.Key)
		pv := composePreview{Key: tab.Key, Platform: pl.DisplayName(), Selected: slices.Contains(selected, pl)}
		var acct *snsos.Account
		for _, a := range list {
			if a.Platform == pl && (acct == nil || slices.Contains(f.Accounts, a.ID) && !slices.Contains(f.Accounts, acct.ID)) {
				acct = a
			}
		}
		if acct != nil {
			pv.Name, pv.Handle, pv.AccountID, pv.HasAvatar = acct.DisplayName, acct.Handle, acct.ID, avatars[acct.ID]
			if pv.Name == "" {
				pv.Name = acct.Handle
			}
		}
		pv.Initial = monogram(pv.Name)
		cp, _ := composePlatformOf(pl)
		pv.Kind = cp.Preview
		texts := f.texts(pl)
		for i, text := range texts {
			part := previewPart{Fit: text}
			for _, c := range check.Counters {
				if c.Platform == pl && c.Part == i && c.FitEnd >= 0 {
					part.Fit, part.Over = splitUTF16(text, c.FitEnd)
				}
			}
			pv.Parts = append(pv.Parts, part)
		}
		composePreviewMedia(&pv, d.Media, f.targetMedia(pl))
		d.Previews = append(d.Previews, pv)
	}
}

// composePreviewMedia adds the images of the target's media ids to the
// preview: up to four for X, all in a row for Threads; TikTok's video (or
// first photo) in its frame; for Instagram the first in its frame, a dot
// per item, and the caption folded.
func composePreviewMedia(pv *composePreview, tray []composeMedia, ids []int64) {
	byID := map[int64]composeMedia{}
	for _, m := range tray {
		byID[m.ID] = m
	}
	var items []composeMedia
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			items = append(items, m)
		}
	}
	for _, m := range items {
		if m.IsImage && (pv.Kind != "x" || len(pv.Images) < 4) {
			pv.Images = append(pv.Images, m)
		}
	}
	if pv.Kind == "tiktok" && len(items) > 0 && !items[0].IsImage {
		pv.Video = &items[0]
	}
	if pv.Kind != "instagram" {
		return
	}
	pv.Frame, pv.Fold = "square", instagramFold
	if len(items) > 0 && items[0].Height > items[0].Width {
		pv.Frame = "portrait"
	}
	if len(items) > 1 {
		for i := range items {
			pv.Dots = append(pv.Dots, i)
		}
	}
	if len(pv.Parts) > 0 {
		caption := pv.Parts[0].Fit + pv.Parts[0].Over
		if fit, rest := cutRunes(caption, instagramFold); rest != "" {
			pv.Parts[0], pv.Folded = previewPart{Fit: fit}, true
		}
	}
}

// cutRunes cuts s after n code points, at a grapheme cluster boundary at
// or before it.
func cutRunes(s string, n int) (string, string) {
	count, end := 0, 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		count += utf8.RuneCountInString(g.Str())
		if count > n {
			return s[:end], s[end:]
		}
		_, end = g.Positions()
	}
	return s, ""
}

// composeErrorSummary lists the problems in the form's order (none on a
// page that is not an answer to a refused submit).
func composeErrorSummary(d *composeData, f *composeForm, status int) {
	order := []string{"", "accounts", "body"}
	for _, t := range d.Tabs {
		order = append(order, "override_"+t.Key, "part_"+t.Key)
		for _, pt := range t.Parts {
			order = append(order, fmt.Sprintf("part_%s_%d", t.Key, pt.Index))
		}
		cp, _ := composePlatformOf(snsos.Platform(t.Key))
		for _, name := range append(slices.Clone(cp.Fields), "tmedia") {
			order = append(order, name+"_"+t.Key)
		}
	}
	order = append(order, "media")
	for _, id := range f.Media {
		order = append(order, "alt_"+strconv.FormatInt(id, 10))
	}
	order = append(order, "date", "time", "zone")
	for _, k := range order {
		if msg := d.FieldErrors[k]; msg != "" && status != http.StatusOK {
			d.Errors = append(d.Errors, composeError{Field: k, Message: msg})
		}
	}
}

// bestHoursCache keeps the last best-hours result compose computed: every
// render of the compose form (each Check, each media move) would otherwise
// read the whole published history with its snapshots. A result is kept
// for bestHoursTTL, per language and zone, and only once there is enough
// history (so the picks appear as soon as they can).
type bestHoursCache struct {
	mu   sync.Mutex
	key  string
	at   time.Time
	best anBest
}

const bestHoursTTL = 5 * time.Minute

// composeBestHours are up to three best-hour picks, computed as the
// analytics page does.
func (h *Handler) composeBestHours(r *http.Request, p *page, loc *time.Location) []composePick {
	now := h.now()
	key := p.lang + "|" + h.location().String()
	h.best.mu.Lock()
	b, fresh := h.best.best, h.best.key == key && now.Sub(h.best.at) < bestHoursTTL
	h.best.mu.Unlock()
	if !fresh {
		ats, views, err := h.store.BestHoursPosts(r.Context(), "")
		if err != nil {
			h.log.Warn("web: best hours", "err", err)
			return nil
		}
		if b = h.anBestHours(r.Context(), p, ats, views, now); b.Enough {
			h.best.mu.Lock()
			h.best.key, h.best.at, h.best.best = key, now, b
			h.best.mu.Unlock()
		}
	}
	if !b.Enough {
		return nil
	}
	var out []composePick
	for _, s := range b.Top {
		u, err := url.Parse(s.Compose)
		if err != nil {
			continue
		}
		at, err := time.ParseInLocation(calLocalInput, u.Query().Get("at"), h.location())
		if err != nil || at.Before(now.Add(composeSlotStep)) {
			continue
		}
		out = append(out, *composePickAt(p.translator, p.T("compose.pick.best", "Slot", s.Label), at, loc))
	}
	return out
}

func composeMediaOf(m *snsos.MediaRef, n int) composeMedia {
	name := m.Filename
	if name == "" {
		name = fmt.Sprintf("#%d", m.ID)
	}
	return composeMedia{ID: m.ID, Number: n, Filename: name, Mime: m.Mime, URL: mediaPath(m.ID), IsImage: m.IsImage(), Width: m.Width, Height: m.Height}
}

// splitUTF16 cuts s after n UTF-16 code units.
func splitUTF16(s string, n int) (string, string) {
	units := 0
	for i, r := range s {
		if units >= n {
			return s[:i], s[i:]
		}
		units += len(utf16.Encode([]rune{r}))
	}
	return s, ""
}
