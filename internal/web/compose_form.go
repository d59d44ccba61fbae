package web

import (
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
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/web/form"
)

// composeZones are offered in the zone selector besides the operator's.
var composeZones = []string{"UTC", "Asia/Tokyo", "Asia/Seoul", "Asia/Singapore", "Australia/Sydney", "Europe/London",
	"Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles"}

// composeZoneLocs are composeZones loaded once (LoadLocation reads the
// zone database on every call).
var composeZoneLocs = func() map[string]*time.Location {
	m := map[string]*time.Location{}
	for _, z := range composeZones {
		if l, err := time.LoadLocation(z); err == nil {
			m[z] = l
		}
	}
	return m
}()

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
}

type composeTabInput struct {
	Customized bool
	Override   string
	Thread     bool
	Parts      []string
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
	}
	return f
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

func composeFormOfPost(p *snsos.Post, loc *time.Location) *composeForm {
	f := &composeForm{Body: p.Body, Media: slices.Clone(p.MediaIDs), Alt: maps.Clone(p.MediaAlt), Zone: loc.String()}
	for _, t := range p.Targets {
		f.Accounts = append(f.Accounts, t.AccountID)
		tab := f.tab(t.Platform)
		if t.Body != "" {
			tab.Customized, tab.Override = true, t.Body
		}
		if parts, err := publish.Parts(p, t); err == nil && t.Options["parts"] != nil {
			tab.Thread, tab.Parts = true, parts
		}
	}
	if !p.ScheduledAt.IsZero() {
		l := p.ScheduledAt.In(loc)
		f.Date, f.Time = l.Format("2006-01-02"), l.Format("15:04")
	}
	return f
}

// composeBuildPost turns the form into the post the engine checks.
func composeBuildPost(f *composeForm, accts map[int64]*snsos.Account, at time.Time) *snsos.Post {
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
		if cp, _ := composePlatformOf(a.Platform); cp.Thread && tab.Thread {
			parts := make([]any, len(tab.Parts))
			for i, s := range tab.Parts {
				parts[i] = s
			}
			t.Options = map[string]any{"parts": parts}
		}
		p.Targets = append(p.Targets, t)
	}
	return p
}

// mapComposeErrors puts the engine's field errors next to the form fields:
// targets[i].body on the text that platform publishes, parts on their part,
// scheduled_at on the time.
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
		case target != nil && rest == "account_id":
			if fe.Rule == "connected" {
				add("accounts", tr.T("compose.err.connected", "Platform", target.Platform.DisplayName()))
			} else {
				add("accounts", fe.Message)
			}
		case target != nil && (rest == "body" || strings.HasPrefix(rest, "options.parts")):
			key, msg := "body", fe.Message
			pl := target.Platform
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
			add(key, msg)
		case target != nil && rest == "scheduled_at":
			add("time", fe.Message)
		case field == "scheduled_at":
			if fe.Rule == "future" {
				add("time", tr.T("compose.err.past"))
			} else {
				add("time", fe.Message)
			}
		case strings.HasPrefix(field, "media_alt[") && strings.HasSuffix(field, "]"):
			// Alt text of one item: next to its field, alt_<media id>.
			add("alt_"+strings.TrimSuffix(strings.TrimPrefix(field, "media_alt["), "]"), fe.Message)
		case strings.HasPrefix(field, "media_ids") || (target != nil && strings.HasPrefix(rest, "media")):
			add("media", fe.Message)
		default:
			add("", fe.Message)
		}
	}
}
