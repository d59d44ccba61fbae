package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
)

// TikTokCreator is what TikTok says one account may post now (its
// creator_info answer), as compose's TikTok block needs it. TikTok's
// Content Sharing Guidelines build the posting screen from it: the
// audiences offered, the interactions the account turned off, the longest
// video it may post (tiktok-x.md §1.3(a) and (h)).
type TikTokCreator struct {
	Nickname, Username string
	// PrivacyLevels are the audiences the account offers (privacy_level
	// values), in TikTok's order.
	PrivacyLevels []string
	// CommentDisabled, DuetDisabled and StitchDisabled: the account
	// turned these off in its TikTok settings.
	CommentDisabled, DuetDisabled, StitchDisabled bool
	// MaxVideoSeconds is the longest video the account may post (0:
	// unknown).
	MaxVideoSeconds int
}

// Creators asks TikTok what an account may post now. The binary's
// implementation (internal/cli) asks TikTok's creator_info with the
// account's token and keeps each answer briefly: TikTok allows 20 such
// calls a minute, and compose checks the form as the operator types.
type Creators interface {
	TikTokCreator(ctx context.Context, accountID int64) (*TikTokCreator, error)
}

// The errors of Creators that compose explains in its own words; any other
// error is "couldn't ask TikTok".
var (
	// ErrTikTokCantPost: TikTok answered that the account may not post now
	// (too many posts today, banned from posting, the app's daily cap).
	ErrTikTokCantPost = errors.New("TikTok says this account can't post right now")
	// ErrTikTokReconnect: TikTok refused the account's access.
	ErrTikTokReconnect = errors.New("TikTok refused this account's access")
)

// The TikTok tab's form fields that are no target option: the commercial
// content disclosure switch (its two choices are the brand_* options).
const tiktokCommercialField = "commercial_tiktok"

// tiktokSettings are the post settings of a Direct Post: an inbox upload
// carries none of them (the operator chooses in the TikTok app).
var tiktokSettings = []string{rules.OptPrivacyLevel, rules.OptDisableComment, rules.OptDisableDuet, rules.OptDisableStitch,
	rules.OptBrandContent, rules.OptBrandOrganic, rules.OptCoverMS}

// tiktokInteractions are the "Allow …" switches, as disable_<key> options.
var tiktokInteractions = []string{"comment", "duet", "stitch"}

// composeTikTok is the TikTok block of compose: the chosen TikTok accounts
// as TikTok describes them, the choices the form offers, and what stops
// the post from being approved. It is both rendered and sent with
// /compose/check, where compose_tiktok.js updates the block from it.
type composeTikTok struct {
	// Selected: a TikTok account is chosen. Direct: one of them posts
	// directly (the block applies); Inbox: one uploads to its inbox;
	// InboxOnly: all of them do (the block is replaced by a note).
	Selected  bool `json:"selected"`
	Direct    bool `json:"direct"`
	Inbox     bool `json:"inbox"`
	InboxOnly bool `json:"inbox_only"`
	// Accounts says "Posting to nickname @username", or what went wrong
	// asking TikTok, for each chosen account.
	Accounts []composeTikTokAccount `json:"accounts"`
	// Levels are the audiences offered: those every chosen Direct Post
	// account offers, never one picked for the operator.
	Levels []composeTikTokLevel `json:"levels"`
	// Unaudited: only "Only me" is offered (sns-os's TikTok app has not
	// passed TikTok's Direct Post audit).
	Unaudited bool `json:"unaudited"`
	// Allow are the interaction switches (comments, Duet, Stitch).
	Allow []composeTikTokAllow `json:"allow"`
	// Photo: the target publishes photos (a title, comments only).
	Photo bool `json:"photo"`
	// Preview is the target's first item, shown in the 9:16 preview.
	Preview *composeTikTokMedia `json:"preview"`
	// Label is the label a commercial post gets ("Promotional content"
	// or "Paid partnership"); Consent the declaration above the buttons.
	Label   string `json:"label"`
	Consent string `json:"consent"`
	// The form as typed.
	Privacy, Title                         string `json:"-"`
	Commercial, BrandOrganic, BrandContent bool   `json:"-"`
	// maxSeconds is the longest video every chosen account may post (0:
	// unknown); problems what stops approval (media: the video's length,
	// which the media badges show while checking).
	maxSeconds    int
	problems      []composeProblem
	mediaProblems []composeProblem
}

type composeTikTokAccount struct {
	// Before, Name and After make "Posting to <strong>Name</strong> @user".
	Before string `json:"before"`
	Name   string `json:"name"`
	After  string `json:"after"`
	Error  string `json:"error"`
}

type composeTikTokLevel struct {
	Value   string `json:"value"`
	Label   string `json:"label"`
	Checked bool   `json:"checked"`
}

type composeTikTokAllow struct {
	Key     string `json:"key"`
	Label   string `json:"-"`
	Allowed bool   `json:"-"`
	// Off: the account turned it off in its TikTok settings.
	Off bool `json:"off"`
	// Hidden: photo posts offer comments only.
	Hidden bool `json:"hidden"`
}

type composeTikTokMedia struct {
	URL   string `json:"url"`
	Video bool   `json:"video"`
}

// composeProblem is one reason a post can't be approved: the form field it
// concerns ("" for the page), the message there, and the line of the "To
// approve" list.
type composeProblem struct {
	field, msg, line string
}

// tiktokInbox reports whether TikTok account a uploads to its TikTok inbox
// rather than posting directly.
func tiktokInbox(a *snsos.Account) bool {
	return a != nil && a.Options[publish.AccountPublishMode] == publish.PublishModeInbox
}

// tiktokBranded reports whether the options disclose commercial content.
func tiktokBranded(opts map[string]any) bool {
	organic, _ := opts[rules.OptBrandOrganic].(bool)
	content, _ := opts[rules.OptBrandContent].(bool)
	return organic || content
}

// readTikTokCommercial reads the commercial content switch: off clears
// both of its choices (TikTok wants both false then). A form without the
// switch keeps the options as they came.
func readTikTokCommercial(t *composeTabInput, v url.Values) {
	vals := v[tiktokCommercialField]
	if len(vals) == 0 {
		return
	}
	on := vals[len(vals)-1] == "1"
	t.Commercial = &on
	if !on {
		t.setOpt(rules.OptBrandOrganic, false)
		t.setOpt(rules.OptBrandContent, false)
	}
}

// tiktokTargetOptions trims a TikTok target's options to its kind of post:
// photo posts take no Duet or Stitch setting, videos no photo title.
func tiktokTargetOptions(opts map[string]any, refs []snsos.MediaRef) {
	if len(refs) == 0 {
		return
	}
	if refs[0].IsVideo() {
		delete(opts, rules.OptTitle)
		return
	}
	delete(opts, rules.OptDisableDuet)
	delete(opts, rules.OptDisableStitch)
}

// stripTikTokSettings removes the Direct Post settings from the options of
// an inbox upload, and returns nil when nothing is left.
func stripTikTokSettings(opts map[string]any) map[string]any {
	for _, k := range tiktokSettings {
		delete(opts, k)
	}
	if len(opts) == 0 {
		return nil
	}
	return opts
}

// composeTikTokState builds the TikTok block for the form: it asks TikTok
// (through Creators) about each chosen TikTok account, offers what they
// all allow, and lists what stops approval. Nil when no TikTok account
// exists.
func (h *Handler) composeTikTokState(ctx context.Context, tr *translator, f *composeForm, accts map[int64]*snsos.Account,
	refs map[int64]snsos.MediaRef) *composeTikTok {
	has := false
	for _, a := range accts {
		has = has || a.Platform == snsos.PlatformTikTok
	}
	if !has {
		return nil
	}
	in := f.tab(snsos.PlatformTikTok)
	tt := &composeTikTok{Accounts: []composeTikTokAccount{}, Levels: []composeTikTokLevel{}, Privacy: in.opt(rules.OptPrivacyLevel),
		Title: in.opt(rules.OptTitle)}
	tt.BrandOrganic, _ = in.Options[rules.OptBrandOrganic].(bool)
	tt.BrandContent, _ = in.Options[rules.OptBrandContent].(bool)
	tt.Commercial = tt.BrandOrganic || tt.BrandContent
	if in.Commercial != nil {
		tt.Commercial = *in.Commercial
	}
	tiktokMedia(tt, mediaRefs(f.targetMedia(snsos.PlatformTikTok), refs))
	var creators []*TikTokCreator // of the Direct Post accounts
	for _, id := range f.Accounts {
		a := accts[id]
		if a == nil || a.Platform != snsos.PlatformTikTok {
			continue
		}
		tt.Selected = true
		if tiktokInbox(a) {
			tt.Inbox = true
		} else {
			tt.Direct = true
		}
		if a.Status != snsos.AccountConnected {
			continue // the account chip says so, and the engine refuses it
		}
		ci := h.composeTikTokAccount(ctx, tr, tt, a)
		if ci != nil && !tiktokInbox(a) {
			creators = append(creators, ci)
		}
	}
	tt.InboxOnly = tt.Inbox && !tt.Direct
	tiktokChoices(tt, tr, in, creators)
	if tt.Direct {
		tt.Consent = tr.T("compose.tiktok.consent")
		if tt.Commercial && tt.BrandContent {
			tt.Consent = tr.T("compose.tiktok.consent_branded")
		}
		tiktokSettingProblems(tt, tr, len(creators) > 0)
	}
	switch {
	case tt.Commercial && tt.BrandContent:
		tt.Label = tr.T("compose.tiktok.label.paid")
	case tt.Commercial && tt.BrandOrganic:
		tt.Label = tr.T("compose.tiktok.label.promo")
	}
	if tt.Selected && tt.Photo {
		tiktokTitleProblems(tt, tr)
	}
	return tt
}

// composeTikTokAccount asks TikTok about account a, adds its line to the
// block (or what went wrong, which also stops approval) and returns the
// answer (nil when there is none). The longest video is the shortest
// maximum of the chosen accounts.
func (h *Handler) composeTikTokAccount(ctx context.Context, tr *translator, tt *composeTikTok, a *snsos.Account) *TikTokCreator {
	var ci *TikTokCreator
	err := errors.New("no creators")
	if h.cfg.Creators != nil {
		ci, err = h.cfg.Creators.TikTokCreator(ctx, a.ID)
	}
	if err == nil && ci == nil {
		err = errors.New("no creator info")
	}
	if err != nil {
		msg := tr.T("compose.tiktok.err.unreachable")
		switch {
		case h.cfg.Creators == nil:
			msg = tr.T("compose.tiktok.err.unconfigured")
		case errors.Is(err, ErrTikTokCantPost):
			msg = tr.T("compose.tiktok.err.cant_post")
		case errors.Is(err, ErrTikTokReconnect):
			msg = tr.T("compose.tiktok.err.reconnect")
		default:
			h.log.Warn("web: tiktok creator info", "account", a.ID, "err", err)
		}
		label := tr.T("compose.tiktok.account", "Handle", a.Handle)
		line := tr.T("compose.blocking.item", "Label", label, "Reason", msg)
		tt.Accounts = append(tt.Accounts, composeTikTokAccount{Error: line})
		tt.problems = append(tt.problems, composeProblem{field: "", msg: msg, line: line})
		return nil
	}
	name, user := ci.Nickname, ci.Username
	if user == "" {
		user = a.Handle
	}
	if name == "" {
		name = user
	}
	// The nickname goes in bold: the sentence is cut around it.
	const mark = "\x00"
	line := tr.T("compose.tiktok.posting", "Nickname", mark, "Username", user)
	before, after, _ := strings.Cut(line, mark)
	tt.Accounts = append(tt.Accounts, composeTikTokAccount{Before: before, Name: name, After: after})
	if s := ci.MaxVideoSeconds; s > 0 && (tt.maxSeconds == 0 || s < tt.maxSeconds) {
		tt.maxSeconds = s
	}
	return ci
}

// tiktokMedia reads the kind of post from its media, and the video's
// length against the longest the account may post (checked once the
// accounts are known: see tiktokVideoProblem).
func tiktokMedia(tt *composeTikTok, refs []snsos.MediaRef) {
	if len(refs) == 0 {
		return
	}
	first := refs[0]
	tt.Photo = !first.IsVideo()
	tt.Preview = &composeTikTokMedia{URL: mediaPath(first.ID), Video: first.IsVideo()}
}

// tiktokChoices fills the audiences and the interaction switches from the
// answers of the Direct Post accounts: an audience all of them offer, a
// switch greyed out when any of them turned it off. Without an answer
// only the audience the form already has is kept (nothing is offered that
// TikTok did not, and nothing chosen is lost from a draft).
func tiktokChoices(tt *composeTikTok, tr *translator, in *composeTabInput, creators []*TikTokCreator) {
	var levels []string
	off := map[string]bool{}
	for i, ci := range creators {
		if i == 0 {
			levels = slices.Clone(ci.PrivacyLevels)
		} else {
			levels = slices.DeleteFunc(levels, func(l string) bool { return !slices.Contains(ci.PrivacyLevels, l) })
		}
		off["comment"] = off["comment"] || ci.CommentDisabled
		off["duet"] = off["duet"] || ci.DuetDisabled
		off["stitch"] = off["stitch"] || ci.StitchDisabled
	}
	if len(creators) == 0 && tt.Privacy != "" {
		levels = []string{strings.ToUpper(tt.Privacy)}
	}
	for _, l := range levels {
		tt.Levels = append(tt.Levels, composeTikTokLevel{Value: l, Label: tiktokLevelLabel(tr, l), Checked: strings.EqualFold(l, tt.Privacy)})
	}
	tt.Unaudited = len(creators) > 0 && len(levels) == 1 && levels[0] == "SELF_ONLY"
	for _, k := range tiktokInteractions {
		disabled, given := in.Options["disable_"+k].(bool)
		a := composeTikTokAllow{Key: k, Label: tr.T("compose.tiktok.allow." + k), Off: off[k], Hidden: tt.Photo && k != "comment"}
		a.Allowed = given && !disabled && !a.Off
		tt.Allow = append(tt.Allow, a)
	}
}

// tiktokLevelLabel names an audience: "Everyone", "Only me" …
func tiktokLevelLabel(tr *translator, level string) string {
	if slices.Contains(rules.TikTokPrivacyLevels, level) {
		return tr.T("compose.tiktok.level." + strings.ToLower(level))
	}
	return level
}

// tiktokSettingProblems lists what stops a Direct Post: no audience, one
// the accounts don't offer (known: an answer came), branded content for
// "Only me", commercial content without saying whose.
func tiktokSettingProblems(tt *composeTikTok, tr *translator, known bool) {
	add := func(field, msg string) {
		tt.problems = append(tt.problems, composeProblem{field: field, msg: msg,
			line: tr.T("compose.blocking.item", "Label", "TikTok", "Reason", msg)})
	}
	const privacy = rules.OptPrivacyLevel + "_tiktok"
	offered := slices.ContainsFunc(tt.Levels, func(l composeTikTokLevel) bool { return l.Checked })
	switch {
	case tt.Privacy == "":
		add(privacy, tr.T("compose.tiktok.err.privacy"))
	case known && !offered:
		add(privacy, tr.T("compose.tiktok.err.not_offered", "Level", tiktokLevelLabel(tr, strings.ToUpper(tt.Privacy))))
	case tt.Commercial && tt.BrandContent && strings.EqualFold(tt.Privacy, "SELF_ONLY"):
		add(privacy, tr.T("compose.tiktok.err.branded_only_me"))
	}
	if tt.Commercial && !tt.BrandOrganic && !tt.BrandContent {
		add(rules.OptBrandOrganic+"_tiktok", tr.T("compose.tiktok.err.commercial"))
	}
}

// tiktokTitleProblems refuses a photo post without a title, or with one
// longer than TikTok takes.
func tiktokTitleProblems(tt *composeTikTok, tr *translator) {
	msg := ""
	if n := len(utf16.Encode([]rune(tt.Title))); strings.TrimSpace(tt.Title) == "" {
		msg = tr.T("compose.tiktok.err.title")
	} else if n > rules.TikTokMaxPhotoTitle {
		msg = tr.T("compose.tiktok.err.title_long", "Length", n, "Max", rules.TikTokMaxPhotoTitle)
	}
	if msg != "" {
		tt.problems = append(tt.problems, composeProblem{field: rules.OptTitle + "_tiktok", msg: msg,
			line: tr.T("compose.blocking.item", "Label", "TikTok", "Reason", msg)})
	}
}

// tiktokVideoProblem refuses a video longer than every chosen account may
// post. (The media badges say it as the operator types; a refused approve
// puts it next to the media.)
func tiktokVideoProblem(tt *composeTikTok, tr *translator, refs []snsos.MediaRef) {
	if tt == nil || tt.maxSeconds <= 0 || len(refs) == 0 || !refs[0].IsVideo() || refs[0].DurationMS <= 0 {
		return
	}
	d, limit := time.Duration(refs[0].DurationMS)*time.Millisecond, time.Duration(tt.maxSeconds)*time.Second
	if d <= limit {
		return
	}
	msg := tr.T("compose.tiktok.err.too_long", "Length", clipLength(tr.lang, d), "Max", clipLength(tr.lang, limit))
	tt.mediaProblems = append(tt.mediaProblems, composeProblem{field: "media", msg: msg,
		line: tr.T("compose.blocking.item", "Label", "TikTok", "Reason", msg)})
}

// blocking lists the lines the "To approve" list gets from the block.
func (tt *composeTikTok) blocking() []string {
	if tt == nil {
		return nil
	}
	var out []string
	for _, p := range tt.problems {
		out = append(out, p.line)
	}
	return out
}

// maxVideoSeconds is the longest video the chosen accounts may post (0:
// unknown).
func (tt *composeTikTok) maxVideoSeconds() int {
	if tt == nil {
		return 0
	}
	return tt.maxSeconds
}

// clipLength writes a video's length: "3 min 12 s", "45 s" / 「3分12秒」.
func clipLength(lang string, d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	m, s := secs/60, secs%60
	ja := lang == "ja"
	switch {
	case m > 0 && s > 0 && ja:
		return fmt.Sprintf("%d分%d秒", m, s)
	case m > 0 && s > 0:
		return fmt.Sprintf("%d min %d s", m, s)
	case m > 0 && ja:
		return fmt.Sprintf("%d分", m)
	case m > 0:
		return fmt.Sprintf("%d min", m)
	case ja:
		return fmt.Sprintf("%d秒", s)
	}
	return fmt.Sprintf("%d s", s)
}

// composeTikTokRefused adds what stops the TikTok targets of an approve to
// the submit's problems, and reports whether there was any. TikTok's own
// rules for the account (its audiences, the longest video) are checked
// here: the engine does not know them.
func (h *Handler) composeTikTokRefused(ctx context.Context, s *composeSubmit, accts map[int64]*snsos.Account) bool {
	refs := h.composeMediaRefs(ctx, s.f.Media)
	tt := h.composeTikTokState(ctx, s.tr, s.f, accts, refs)
	if tt == nil || !tt.Selected {
		return false
	}
	tiktokVideoProblem(tt, s.tr, mediaRefs(s.f.targetMedia(snsos.PlatformTikTok), refs))
	problems := append(slices.Clone(tt.problems), tt.mediaProblems...)
	for _, p := range problems {
		if !strings.Contains(s.fieldErrs[p.field], p.msg) {
			s.fieldErrs[p.field] = strings.TrimSpace(s.fieldErrs[p.field] + s.tr.Sp() + p.msg)
		}
	}
	return len(problems) > 0
}
