package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/web/form"
)

// composeZones are offered in the zone selector besides the operator's.
var composeZones = []string{"UTC", "Asia/Tokyo", "Asia/Seoul", "Asia/Singapore", "Australia/Sydney", "Europe/London",
	"Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles"}

// composeZoneLocs are composeZones loaded once, at first use (LoadLocation
// reads the zone database on every call).
var composeZoneLocs = sync.OnceValue(func() map[string]*time.Location {
	m := map[string]*time.Location{}
	for _, z := range composeZones {
		if l, err := time.LoadLocation(z); err == nil {
			m[z] = l
		}
	}
	return m
})

// composeMaxForm bounds a compose form without files.
const composeMaxForm = 4 << 20

// composeForm is the compose form as typed.
type composeForm struct {
	Token    string
	Do       string
	Accounts []int64
	Body     string
	Tabs     map[snsos.Platform]*composeTabInput
	Media    []int64
	// Alt is the alt text typed for media items (form fields alt_<id>).
	Alt  map[int64]string
	Date string
	Time string
	Zone string
	// PostID is the post being edited (the edit form's "post" field): its
	// own targets don't make a slot busy.
	PostID int64
	// confirmNow shows the "Post now?" confirmation (set by the handler,
	// never read from the form).
	confirmNow bool
	// openTab is the platform tab compose.js opens on load (after Split
	// into parts); set by the handler.
	openTab string
	// notice is what a form action did (a conversion to JPEG); set by the
	// handler.
	notice string
}

// composeTabInput is one platform tab as typed.
type composeTabInput struct {
	Customized bool
	Override   string
	Thread     bool
	Parts      []string
	// Options are the target's options other than parts: those the tab
	// has a field for as typed, the others as the post had them (the
	// hidden options_<platform> field carries them through the form).
	Options map[string]any
	// Media is the tab's "Media for <platform>" choice.
	Media form.MediaChoice
	// Commercial is TikTok's "Disclose commercial content" switch as
	// typed (nil: not in the form; the brand options tell).
	Commercial *bool
}

// opt returns option key as text ("" when absent or not a text).
func (t *composeTabInput) opt(key string) string {
	s, _ := t.Options[key].(string)
	return s
}

// setOpt sets option key, or removes it when v is nil.
func (t *composeTabInput) setOpt(key string, v any) {
	if v == nil {
		delete(t.Options, key)
		return
	}
	if t.Options == nil {
		t.Options = map[string]any{}
	}
	t.Options[key] = v
}

func (f *composeForm) tab(p snsos.Platform) *composeTabInput {
	if f.Tabs == nil {
		f.Tabs = map[snsos.Platform]*composeTabInput{}
	}
	t := f.Tabs[p]
	if t == nil {
		t = &composeTabInput{}
		f.Tabs[p] = t
	}
	return t
}

// texts returns the texts platform p publishes: the parts of a thread, or
// the override, or the base text.
func (f *composeForm) texts(p snsos.Platform) []string {
	t := f.tab(p)
	if cp, _ := composePlatformOf(p); cp.Thread && t.Thread {
		return t.Parts
	}
	if t.Customized {
		return []string{t.Override}
	}
	return []string{f.Body}
}

// targetMedia returns the media platform p's target publishes, in its
// order (Post.MediaFor of the post the form makes).
func (f *composeForm) targetMedia(p snsos.Platform) []int64 {
	if ids := f.tab(p).Media.IDs(f.Media); ids != nil {
		return ids
	}
	return f.Media
}

// composeMaxIDs bounds the accounts and the media items one form names:
// far more than any post may have (the engine refuses a post with too many
// media with its own message), few enough that checking them costs little.
const composeMaxIDs = 100

// parseIDs reads positive ids, without repeats, keeping the first
// composeMaxIDs.
func parseIDs(vals []string) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, v := range vals {
		if len(out) == composeMaxIDs {
			break
		}
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func composeFormFrom(v url.Values) *composeForm {
	f := &composeForm{Token: v.Get("token"), Do: v.Get("do"), Accounts: parseIDs(v["account"]), Body: v.Get("body"),
		Media: parseIDs(v["media"]), Date: strings.TrimSpace(v.Get("date")), Time: strings.TrimSpace(v.Get("time")),
		Zone: strings.TrimSpace(v.Get("zone"))}
	f.PostID, _ = strconv.ParseInt(v.Get("post"), 10, 64)
	for k, vals := range v {
		if id, err := strconv.ParseInt(strings.TrimPrefix(k, "alt_"), 10, 64); err == nil && id > 0 && strings.HasPrefix(k, "alt_") && len(vals) > 0 {
			if f.Alt == nil {
				f.Alt = map[int64]string{}
			}
			f.Alt[id] = vals[0]
		}
	}
	for _, cp := range composePlatforms {
		k := string(cp.Platform)
		t := f.tab(cp.Platform)
		t.Customized = v.Get("custom_"+k) == "1"
		t.Override = v.Get("override_" + k)
		if cp.Thread {
			t.Thread = v.Get("thread_"+k) == "1"
			t.Parts = slices.Clone(v["part_"+k])
		}
		t.Options = parseOptionsJSON(v.Get("options_" + k))
		for _, key := range cp.Fields {
			if vals, ok := v[key+"_"+k]; ok && len(vals) > 0 {
				readOptionField(t, key, vals)
			}
		}
		t.Media = form.ParseMediaChoice(v.Get("tmedia_mode_"+k), parseIDs(v["tmedia_order_"+k]), parseIDs(v["tmedia_"+k]))
		if cp.Platform == snsos.PlatformTikTok {
			readTikTokCommercial(t, v)
		}
	}
	return f
}

// parseOptionsJSON reads the hidden options_<platform> field: a JSON object
// of the target's options (parts aside, which have their own fields).
// Anything else is no options.
func parseOptionsJSON(s string) map[string]any {
	var m map[string]any
	if s == "" || json.Unmarshal([]byte(s), &m) != nil || len(m) == 0 {
		return nil
	}
	delete(m, rules.OptParts)
	return m
}

// readOptionField sets option key of tab t from its form field's values.
// A blank text removes the option (media_type: "automatic"). share_to_feed
// is a hidden "0" followed by the checkbox's "1": unchecked sets false;
// checked removes a false (the platform's default is true) and keeps an
// explicit true.
func readOptionField(t *composeTabInput, key string, vals []string) {
	last := vals[len(vals)-1]
	switch key {
	case rules.OptShareToFeed:
		switch {
		case last != "1":
			t.setOpt(key, false)
		case t.Options[key] == false:
			t.setOpt(key, nil)
		}
	case rules.OptMediaType:
		if s := strings.ToUpper(strings.TrimSpace(last)); s != "" {
			t.setOpt(key, s)
		} else {
			t.setOpt(key, nil)
		}
	case rules.OptDisableComment, rules.OptDisableDuet, rules.OptDisableStitch, rules.OptBrandContent, rules.OptBrandOrganic:
		// TikTok's switches: a hidden field, then the checkbox ("Allow
		// comments" sends disable_comment "0"); the last value is "1" for
		// true.
		t.setOpt(key, last == "1")
	case rules.OptFirstComment:
		if strings.TrimSpace(last) != "" {
			t.setOpt(key, last)
		} else {
			t.setOpt(key, nil)
		}
	default:
		if s := strings.TrimSpace(last); s != "" {
			t.setOpt(key, s)
		} else {
			t.setOpt(key, nil)
		}
	}
}

// readComposeForm reads the form, urlencoded or multipart. A multipart
// form's files (the file input, without JavaScript) are streamed to the
// media library as they arrive and appended to the media.
func (h *Handler) readComposeForm(w http.ResponseWriter, r *http.Request) (*composeForm, error, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, composeMaxForm)
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		return composeFormFrom(r.PostForm), nil, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, err
	}
	vals := url.Values{}
	var uploaded []int64
	var uploadErr error
	size := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		name := part.FormName()
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, composeMaxForm-int64(size)+1))
			if err != nil {
				return nil, nil, err
			}
			if size += len(b); size > composeMaxForm {
				return nil, nil, snsos.Errorf(snsos.ETOOLARGE, "the form is too large")
			}
			if name != "files" {
				vals.Add(name, string(b))
			}
			continue
		}
		if uploadErr != nil {
			continue
		}
		if h.cfg.Media == nil {
			uploadErr = snsos.Errorf(snsos.EUNAVAILABLE, "no media library")
			continue
		}
		m, err := h.cfg.Media.Upload(r.Context(), part, part.FileName())
		if err != nil {
			uploadErr = err
			continue
		}
		uploaded = append(uploaded, m.ID)
	}
	f := composeFormFrom(vals)
	for _, id := range uploaded {
		if !slices.Contains(f.Media, id) {
			f.Media = append(f.Media, id)
		}
	}
	return f, uploadErr, nil
}

// parseComposeTime reads the schedule fields: none gives a zero time. Errors
// are message ids for the field they concern ("date", "time" or "zone").
func parseComposeTime(date, clock, zone string, def *time.Location) (time.Time, *time.Location, map[string]string) {
	errs := map[string]string{}
	loc := def
	if zone != "" {
		l, err := loadZone(zone)
		if err != nil {
			errs["zone"] = "compose.err.zone"
			return time.Time{}, def, errs
		}
		loc = l
	}
	if date == "" && clock == "" {
		return time.Time{}, loc, nil
	}
	if date == "" {
		errs["date"] = "compose.err.date_missing"
		return time.Time{}, loc, errs
	}
	if clock == "" {
		errs["time"] = "compose.err.time_missing"
		return time.Time{}, loc, errs
	}
	t, err := form.ParseDateClock(date, clock, loc)
	if err != nil {
		for _, e := range composeTimeErrors {
			if errors.Is(err, e.err) {
				errs[e.field] = e.id
			}
		}
		return time.Time{}, loc, errs
	}
	return t, loc, nil
}

// composeTimeErrors are the compose form's words for the local-time
// parser's refusals, by field.
var composeTimeErrors = []struct {
	err       error
	field, id string
}{
	{form.ErrDate, "date", "compose.err.date"},
	{form.ErrClock, "time", "compose.err.time"},
	{form.ErrGap, "time", "compose.err.nonexistent"},
	{form.ErrAmbiguous, "time", "compose.err.ambiguous"},
}

// zoneLabel is "Asia/Tokyo (UTC+9)" at time t.
func zoneLabel(loc *time.Location, t time.Time) string {
	_, off := t.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("UTC%s%d", sign, off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	if off == 0 {
		s = "UTC"
	}
	if loc.String() == "UTC" {
		return "UTC"
	}
	return loc.String() + " (" + s + ")"
}

// composeFormOfPost is the form of a stored post: its text, media, and for
// each target its override, parts, other options and own media.
func composeFormOfPost(p *snsos.Post, loc *time.Location) *composeForm {
	f := &composeForm{Body: p.Body, Media: slices.Clone(p.MediaIDs), Alt: maps.Clone(p.MediaAlt), Zone: loc.String()}
	for _, t := range p.Targets {
		f.Accounts = append(f.Accounts, t.AccountID)
		tab := f.tab(t.Platform)
		if t.Body != "" {
			tab.Customized, tab.Override = true, t.Body
		}
		if parts, err := publish.Parts(p, t); err == nil && t.Options[rules.OptParts] != nil {
			tab.Thread, tab.Parts = true, parts
		}
		tab.Options = maps.Clone(t.Options)
		delete(tab.Options, rules.OptParts)
		tab.Media = form.MediaChoiceOf(t.MediaIDs, p.MediaIDs)
	}
	if !p.ScheduledAt.IsZero() {
		l := p.ScheduledAt.In(loc)
		f.Date, f.Time = l.Format("2006-01-02"), l.Format("15:04")
	}
	return f
}

// composeBuildPost turns the form into the post the engine checks. media
// holds the facts of the form's media (an Instagram reel's share_to_feed
// depends on them).
func composeBuildPost(f *composeForm, accts map[int64]*snsos.Account, media map[int64]snsos.MediaRef, at time.Time) *snsos.Post {
	p := &snsos.Post{Body: f.Body, MediaIDs: slices.Clone(f.Media), ScheduledAt: at}
	if p.MediaIDs == nil {
		p.MediaIDs = []int64{}
	}
	// Alt text of the items in the tray; a blank one is none, and one of an
	// item removed from the tray goes with it.
	for _, id := range p.MediaIDs {
		if text := f.Alt[id]; strings.TrimSpace(text) != "" {
			if p.MediaAlt == nil {
				p.MediaAlt = map[int64]string{}
			}
			p.MediaAlt[id] = text
		}
	}
	for _, id := range f.Accounts {
		a := accts[id]
		t := &snsos.Target{AccountID: id}
		if a == nil {
			p.Targets = append(p.Targets, t)
			continue
		}
		t.Platform = a.Platform
		tab := f.tab(a.Platform)
		if tab.Customized {
			t.Body = tab.Override
		}
		t.MediaIDs = tab.Media.IDs(p.MediaIDs)
		t.Options = composeTargetOptions(f, a.Platform, mediaRefs(p.MediaFor(t), media))
		if a.Platform == snsos.PlatformTikTok && tiktokInbox(a) {
			t.Options = stripTikTokSettings(t.Options) // chosen in the TikTok app
		}
		p.Targets = append(p.Targets, t)
	}
	return p
}

// composeTargetOptions are the options of platform p's target: the tab's,
// with its thread's parts. share_to_feed is kept for a reel only (the
// checkbox means nothing for other posts, which the platform refuses it
// on); TikTok's fit its kind of post (tiktokTargetOptions). refs is the
// target's media.
func composeTargetOptions(f *composeForm, p snsos.Platform, refs []snsos.MediaRef) map[string]any {
	tab := f.tab(p)
	opts := maps.Clone(tab.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	delete(opts, rules.OptParts)
	if cp, _ := composePlatformOf(p); cp.Thread && tab.Thread {
		parts := make([]any, len(tab.Parts))
		for i, s := range tab.Parts {
			parts[i] = s
		}
		opts[rules.OptParts] = parts
	}
	if _, ok := opts[rules.OptShareToFeed]; ok {
		if typ, err := rules.MediaType(p, opts, refs); err != nil || typ != rules.MediaReels {
			delete(opts, rules.OptShareToFeed)
		}
	}
	if p == snsos.PlatformTikTok {
		tiktokTargetOptions(opts, refs)
	}
	if len(opts) == 0 {
		return nil
	}
	return opts
}

// mediaRefs returns the facts of the media ids that media holds, in order.
func mediaRefs(ids []int64, media map[int64]snsos.MediaRef) []snsos.MediaRef {
	var out []snsos.MediaRef
	for _, id := range ids {
		if m, ok := media[id]; ok {
			out = append(out, m)
		}
	}
	return out
}

// mapComposeErrors puts the engine's field errors next to the form fields:
// targets[i].body on the text that platform publishes, parts on their part,
// options on their field in the platform's tab, a target's media on the
// tray, scheduled_at on the time.
func mapComposeErrors(tr *translator, v snsos.ValidationErrors, p *snsos.Post, f *composeForm, out map[string]string) {
	add := func(field, msg string) {
		if out[field] == "" {
			out[field] = msg
		} else if !strings.Contains(out[field], msg) {
			out[field] += " " + msg
		}
	}
	for _, fe := range v {
		field, rest := fe.Field, ""
		var target *snsos.Target
		if strings.HasPrefix(field, "targets[") {
			if i := strings.IndexByte(field, ']'); i > 0 {
				if n, err := strconv.Atoi(field[len("targets["):i]); err == nil && n < len(p.Targets) {
					target = p.Targets[n]
				}
				rest = strings.TrimPrefix(field[i+1:], ".")
			}
		}
		switch {
		case field == "body":
			if fe.Rule == "required" {
				add("body", tr.T("compose.err.body_required"))
			} else {
				add("body", fe.Message)
			}
		case field == "targets":
			add("accounts", tr.T("compose.err.no_account"))
		case target != nil:
			key, msg := mapTargetError(tr, fe, target, rest, f)
			add(key, msg)
		case field == "scheduled_at":
			if fe.Rule == "future" {
				add("time", tr.T("compose.err.past"))
			} else {
				add("time", fe.Message)
			}
		case strings.HasPrefix(field, "media_alt[") && strings.HasSuffix(field, "]"):
			// Alt text of one item: next to its field, alt_<media id>.
			add("alt_"+strings.TrimSuffix(strings.TrimPrefix(field, "media_alt["), "]"), fe.Message)
		case strings.HasPrefix(field, "media_ids"):
			add("media", fe.Message)
		default:
			add("", fe.Message)
		}
	}
}

// mapTargetError returns the form field and the message of an error on one
// target (rest is its field within the target: "body", "options.parts[1]",
// "options.topic_tag", "media[0]" …).
func mapTargetError(tr *translator, fe snsos.FieldError, target *snsos.Target, rest string, f *composeForm) (key, msg string) {
	pl := target.Platform
	switch {
	case rest == "account_id":
		if fe.Rule == "connected" {
			return "accounts", tr.T("compose.err.connected", "Platform", pl.DisplayName())
		}
		return "accounts", fe.Message
	case rest == "body" || strings.HasPrefix(rest, "options.parts"):
		return mapTextError(tr, fe, pl, rest, f)
	case rest == "scheduled_at":
		return "time", fe.Message
	case strings.HasPrefix(rest, "options."):
		return optionErrorKey(pl, strings.TrimPrefix(rest, "options.")), fe.Message
	case strings.HasPrefix(rest, "media_ids"):
		return "tmedia_" + string(pl), fe.Message
	case strings.HasPrefix(rest, "media"):
		return "media", fe.Message
	}
	return "", fe.Message
}

// mapTextError places an error on the text of platform pl: its part, its
// override or the base text.
func mapTextError(tr *translator, fe snsos.FieldError, pl snsos.Platform, rest string, f *composeForm) (key, msg string) {
	key, msg = "body", fe.Message
	if fe.Rule == rules.RuleMaxLength {
		msg = tr.T("compose.err.max_length", "Platform", pl.DisplayName())
	} else if strings.HasPrefix(fe.Rule, "max_") || fe.Rule == rules.RuleRequired || fe.Rule == rules.RuleInvalidChars {
		msg = ruleMessage(tr, pl, fe)
	}
	tab := f.tab(pl)
	switch {
	case strings.HasPrefix(rest, "options.parts["):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rest, "options.parts["), "]"))
		key = fmt.Sprintf("part_%s_%d", pl, n)
	case strings.HasPrefix(rest, "options.parts"):
		key = "part_" + string(pl)
		msg = tr.T("compose.err.empty_part")
	case tab.Customized:
		key = "override_" + string(pl)
	}
	return key, msg
}

// optionErrorKey is the form field an error on option name of platform pl
// goes next to: the option's own field in the tab, else the tab's media
// choice for a media type (Threads has no field for it), else the page.
func optionErrorKey(pl snsos.Platform, name string) string {
	cp, _ := composePlatformOf(pl)
	switch {
	case slices.Contains(cp.Fields, name):
		return name + "_" + string(pl)
	case name == rules.OptMediaType:
		return "tmedia_" + string(pl)
	}
	return ""
}
