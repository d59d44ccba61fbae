package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/compose"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
)

// composeRoutes mounts the compose pages: writing, checking, saving,
// approving and scheduling a post, and the media the editor uses.
func (h *Handler) composeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /compose", h.page(h.handleCompose))
	mux.Handle("POST /compose", h.page(h.handleComposeSubmit))
	mux.Handle("POST /compose/check", h.page(h.handleComposeCheck))
	mux.Handle("GET /posts/{id}/edit", h.page(h.handleComposeEdit))
	mux.Handle("POST /posts/{id}/edit", h.page(h.handleComposeSubmit))
	mux.Handle("POST /posts/{id}/duplicate", h.page(h.handleComposeDuplicate))
	mux.Handle("POST /media", h.page(h.handleComposeUpload))
	mux.Handle("GET /media", h.page(h.handleComposeMediaList))
	mux.Handle("GET /media/{id}", h.page(h.handleComposeMediaFile))
}

// The post page shows what a compose action did.
func init() {
	for _, f := range []string{"compose.approved", "compose.scheduled", "compose.saved", "compose.now"} {
		flashes[f] = false
	}
	flashes["compose.readonly"] = true
}

// composePlatform is one platform's plug-in in the editor: its tab, its
// preview and its rules (internal/compose). Adding a platform adds an entry.
type composePlatform struct {
	Platform snsos.Platform
	// Thread reports that a post may be a thread of parts (Options["parts"]).
	Thread bool
}

var composePlatforms = []composePlatform{
	{Platform: snsos.PlatformX, Thread: true},
	{Platform: snsos.PlatformThreads, Thread: true},
	{Platform: snsos.PlatformInstagram},
	{Platform: snsos.PlatformTikTok},
}

func composePlatformOf(p snsos.Platform) (composePlatform, bool) {
	for _, cp := range composePlatforms {
		if cp.Platform == p {
			return cp, true
		}
	}
	return composePlatform{}, false
}

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
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		errs["date"] = "compose.err.date"
	}
	c, err := time.Parse("15:04", clock)
	if err != nil {
		if c, err = time.Parse("15:04:05", clock); err != nil {
			errs["time"] = "compose.err.time"
		}
	}
	if len(errs) > 0 {
		return time.Time{}, loc, errs
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
	if t.Hour() != c.Hour() || t.Minute() != c.Minute() || t.Day() != d.Day() {
		errs["time"] = "compose.err.nonexistent"
		return time.Time{}, loc, errs
	}
	for _, shift := range []time.Duration{-time.Hour, time.Hour, -30 * time.Minute, 30 * time.Minute} {
		if u := t.Add(shift); u.Format("2006-01-02 15:04") == t.Format("2006-01-02 15:04") {
			errs["time"] = "compose.err.ambiguous"
			return time.Time{}, loc, errs
		}
	}
	return t, loc, nil
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

// composeTokens remembers the one-time tokens of compose forms, so that a
// form submitted twice (a double click, a resend after a lost answer) saves
// once and the second submit lands where the first did. They live in
// memory for a day.
var composeTokens = &tokenBook{m: map[string]*tokenEntry{}}

type tokenBook struct {
	mu sync.Mutex
	m  map[string]*tokenEntry
}

type tokenEntry struct {
	done chan struct{}
	url  string
	at   time.Time
}

const tokenTTL = 24 * time.Hour

func newComposeToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// claim returns "" and true when the caller owns the token now; or the URL
// the first submit of the token went to.
func (b *tokenBook) claim(ctx context.Context, tok string) (string, bool) {
	for {
		b.mu.Lock()
		e := b.m[tok]
		if e == nil {
			now := time.Now()
			if len(b.m) > 10000 {
				for k, v := range b.m {
					if now.Sub(v.at) > tokenTTL {
						delete(b.m, k)
					}
				}
			}
			b.m[tok] = &tokenEntry{done: make(chan struct{}), at: now}
			b.mu.Unlock()
			return "", true
		}
		b.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return "", false
		}
		b.mu.Lock()
		u := e.url
		b.mu.Unlock()
		if u != "" {
			return u, false
		}
	}
}

// finish records where the token's submit went (or, with "", frees the
// token for another try).
func (b *tokenBook) finish(tok, u string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[tok]
	if e == nil {
		return
	}
	e.url = u
	if u == "" {
		delete(b.m, tok)
	}
	close(e.done)
}

// Page data.

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
	Text     string         `json:"text"`
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
}

type composeZone struct {
	Name, Label string
	Selected    bool
}

type composePreview struct {
	Key, Platform, Name, Handle, Initial string
	// AccountID is the previewed account; HasAvatar shows its stored
	// picture instead of the Initial badge.
	AccountID int64
	HasAvatar bool
	Parts     []previewPart
	Images    []composeMedia
}

type previewPart struct {
	Fit, Over string
}

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
			r := compose.Check(p, text, compose.Options{HasMedia: i == 0 && len(f.Media) > 0})
			c := composeCheckCounter{Platform: p, Part: i, Parts: len(texts), Length: r.Length, MaxLength: r.MaxLength, Valid: r.Valid, FitEnd: -1, Problems: []string{}}
			c.State = "ok"
			if r.Length > r.MaxLength {
				c.State = "over"
			} else if r.MaxLength > 0 && r.Length*10 >= r.MaxLength*9 {
				c.State = "warn"
			}
			if p == snsos.PlatformX && r.Length > r.MaxLength {
				c.FitEnd = compose.ParseX(text).ValidRangeEnd + 1
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
				if fe.Rule == compose.RuleMaxLength {
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
		c := compose.EstimateXCost(f.texts(snsos.PlatformX), h.cfg.XPrices)
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
			for _, fe := range compose.CheckAltText(p, refs[i:i+1], alt) {
				msg := fe.Message
				switch fe.Rule {
				case compose.RuleAltTextLength:
					msg = tr.T("compose.alt.too_long", "Platform", p.DisplayName(), "Max", groupDigits(int64(compose.MediaRulesFor(p).AltTextMax)),
						"Length", groupDigits(int64(utf8.RuneCountInString(alt[refs[i].ID]))))
				case compose.RuleAltTextKind:
					msg = tr.T("compose.alt.video", "Platform", p.DisplayName())
				}
				mc.Alt = append(mc.Alt, msg)
				res.Blocking = append(res.Blocking, tr.T("compose.media.blocking", "Number", i+1, "Reason", msg))
			}
		}
		for _, p := range platforms {
			b := composeBadge{Platform: p, OK: true, Text: tr.T("compose.media.badge_ok", "Platform", p.DisplayName())}
			var reasons []string
			for _, fe := range compose.CheckMedia(p, refs[i:i+1], compose.Options{}) {
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
		for _, fe := range compose.CheckMedia(p, refs, compose.Options{}) {
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

// composePickAt is a quick pick of time at, its fields in zone loc.
func composePickAt(tr *translator, label string, at time.Time, loc *time.Location) *composePick {
	l := at.In(loc)
	return &composePick{Label: label, At: at.UTC().Format(time.RFC3339), Date: l.Format("2006-01-02"), Time: l.Format("15:04")}
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

// ruleMessage says a broken platform rule in the page's language (the rules
// compose knows; others keep compose's English sentence).
func ruleMessage(tr *translator, p snsos.Platform, fe snsos.FieldError) string {
	switch fe.Rule {
	case compose.RuleRequired, compose.RuleMaxCashtags, compose.RuleInvalidChars, compose.RuleMaxLinks, compose.RuleMaxHashtags, compose.RuleMaxMentions:
		return tr.T("compose.rule."+fe.Rule, "Platform", p.DisplayName())
	}
	return fe.Message
}

// Handlers.

func (h *Handler) handleCompose(w http.ResponseWriter, r *http.Request) {
	f := &composeForm{Token: newComposeToken()}
	if at := r.URL.Query().Get("at"); at != "" {
		if t, err := time.ParseInLocation("2006-01-02T15:04", at, h.location()); err == nil {
			f.Date, f.Time = t.Format("2006-01-02"), t.Format("15:04")
		}
	}
	f.Zone = h.location().String()
	ctx := r.Context()
	accts, _, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	// A single connected account is chosen for the operator.
	var connected []int64
	for id, a := range accts {
		if a.Status == snsos.AccountConnected {
			connected = append(connected, id)
		}
	}
	if len(connected) == 1 {
		f.Accounts = connected
	}
	h.renderCompose(w, r, http.StatusOK, f, nil, nil)
}

func (h *Handler) handleComposeEdit(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	if !postEditable(post) {
		http.Redirect(w, r, postHref(post.ID)+"?flash=compose.readonly", http.StatusSeeOther)
		return
	}
	f := composeFormOfPost(post, h.location())
	f.Token = newComposeToken()
	h.renderCompose(w, r, http.StatusOK, f, post, nil)
}

// postEditable reports whether a post's content may still change: while
// every target is draft, approved or scheduled.
func postEditable(p *snsos.Post) bool {
	for _, t := range p.Targets {
		if !slices.Contains(store.EditableStates, t.State) {
			return false
		}
	}
	return true
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

func (h *Handler) handleComposeSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var existing *snsos.Post
	if r.PathValue("id") != "" {
		p, ok := h.postFromPath(w, r)
		if !ok {
			return
		}
		existing = p
	}
	f, uploadErr, err := h.readComposeForm(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || snsos.IsCode(err, snsos.ETOOLARGE) {
			http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if f.Token == "" {
		f.Token = newComposeToken()
	}
	tr := newTranslator(pickLang(r), nil)
	fieldErrs := map[string]string{}
	if uploadErr != nil {
		fieldErrs["media"] = uploadMessage(tr, uploadErr)
	}
	// Buttons that only change the form.
	switch {
	case f.Do == "check" || f.Do == "":
		h.renderCompose(w, r, http.StatusOK, f, existing, fieldErrs)
		return
	case strings.HasPrefix(f.Do, "addpart:"):
		p := snsos.Platform(strings.TrimPrefix(f.Do, "addpart:"))
		if cp, ok := composePlatformOf(p); ok && cp.Thread {
			t := f.tab(p)
			if !t.Thread {
				t.Thread, t.Parts = true, f.texts(p)
			}
			t.Parts = append(t.Parts, "")
		}
		h.renderCompose(w, r, http.StatusOK, f, existing, fieldErrs)
		return
	case strings.HasPrefix(f.Do, "split:"):
		// Split into parts: the platform's text becomes a thread of parts
		// that each fit (X only: its counting is the one the splitter knows).
		p := snsos.Platform(strings.TrimPrefix(f.Do, "split:"))
		status := http.StatusOK
		if p == snsos.PlatformX {
			t := f.tab(p)
			// Splitting costs more than linear time: a text longer than any
			// post may be is refused rather than cut.
			if src := splitSource(t, f.Body); len(src) > snsos.MaxBodyBytes {
				fieldErrs[splitSourceField(p, t)] = tr.T("compose.split.too_long", "Max", groupDigits(snsos.MaxBodyBytes))
				status = http.StatusUnprocessableEntity
			} else if parts := splitX(src); len(parts) > 0 {
				t.Thread, t.Parts = true, parts
			}
			f.openTab = string(p)
		}
		h.renderCompose(w, r, status, f, existing, fieldErrs)
		return
	case strings.HasPrefix(f.Do, "media:"):
		// media:<index>:left|right|remove
		parts := strings.Split(f.Do, ":")
		if len(parts) == 3 {
			if i, err := strconv.Atoi(parts[1]); err == nil && i >= 0 && i < len(f.Media) {
				switch parts[2] {
				case "left":
					if i > 0 {
						f.Media[i-1], f.Media[i] = f.Media[i], f.Media[i-1]
					}
				case "right":
					if i+1 < len(f.Media) {
						f.Media[i+1], f.Media[i] = f.Media[i], f.Media[i+1]
					}
				case "remove":
					f.Media = slices.Delete(f.Media, i, i+1)
				}
			}
		}
		h.renderCompose(w, r, http.StatusOK, f, existing, fieldErrs)
		return
	case strings.HasPrefix(f.Do, "pick:"):
		// A quick pick fills the date and time in the form's zone.
		if at, err := time.Parse(time.RFC3339, strings.TrimPrefix(f.Do, "pick:")); err == nil {
			_, loc, _ := parseComposeTime("", "", f.Zone, h.location())
			l := at.In(loc)
			f.Date, f.Time = l.Format("2006-01-02"), l.Format("15:04")
		}
		h.renderCompose(w, r, http.StatusOK, f, existing, fieldErrs)
		return
	case f.Do == "now":
		// "Approve and post now" asks first; nothing is saved yet.
		if len(f.Accounts) == 0 {
			fieldErrs["accounts"] = tr.T("compose.err.no_account")
			h.renderCompose(w, r, http.StatusUnprocessableEntity, f, existing, fieldErrs)
			return
		}
		// Nothing is asked while something would refuse the post: the
		// problems are shown instead.
		accts, _, err := h.composeAccounts(ctx)
		if err != nil {
			h.serverError(w, r, "list accounts", err)
			return
		}
		if chk := h.composeCheck(ctx, tr, f, accts); len(chk.Blocking) > 0 {
			if !composeTextProblems(tr, f, chk, fieldErrs) {
				fieldErrs[""] = strings.Join(chk.Blocking, tr.Sp())
			}
			h.renderCompose(w, r, http.StatusUnprocessableEntity, f, existing, fieldErrs)
			return
		}
		f.confirmNow = true
		h.renderCompose(w, r, http.StatusOK, f, existing, fieldErrs)
		return
	case f.Do != "draft" && f.Do != "approve" && f.Do != "schedule" && f.Do != "now-confirmed":
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	if len(fieldErrs) > 0 {
		h.renderCompose(w, r, http.StatusUnprocessableEntity, f, existing, fieldErrs)
		return
	}
	if existing != nil && !postEditable(existing) {
		fieldErrs[""] = tr.T("compose.err.readonly")
		h.renderCompose(w, r, http.StatusConflict, f, existing, fieldErrs)
		return
	}
	// One save per form token.
	done, owner := composeTokens.claim(ctx, f.Token)
	if !owner {
		if done == "" {
			return // the browser went away
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, done, http.StatusSeeOther)
		return
	}
	dest := ""
	defer func() { composeTokens.finish(f.Token, dest) }()

	at, _, terrs := parseComposeTime(f.Date, f.Time, f.Zone, h.location())
	if f.Do == "now-confirmed" {
		// Now, whatever the date and time fields say: the engine takes a
		// time within its few seconds of slack as now.
		at, terrs = h.now(), nil
	}
	for k, id := range terrs {
		fieldErrs[k] = tr.T(id)
	}
	if f.Do == "schedule" && at.IsZero() && len(terrs) == 0 {
		fieldErrs["date"] = tr.T("compose.err.schedule_needs_time")
	}
	if f.Do == "approve" {
		at = time.Time{} // "Approve without a time"
	}
	accts, _, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	if len(fieldErrs) > 0 {
		// The time is wrong: say what else the engine would refuse, so the
		// operator fixes everything in one pass.
		composeTextProblems(tr, f, h.composeCheck(ctx, tr, f, accts), fieldErrs)
		h.renderCompose(w, r, http.StatusUnprocessableEntity, f, existing, fieldErrs)
		return
	}
	post := composeBuildPost(f, accts, at)
	approve := f.Do != "draft"
	err = h.withEngine(func(e Engine) error {
		if existing != nil {
			post.ID = existing.ID
			return e.UpdatePost(ctx, post, approve)
		}
		return e.CreatePost(ctx, post, approve)
	})
	if err != nil {
		var v snsos.ValidationErrors
		switch {
		case errors.As(err, &v):
			mapComposeErrors(tr, v, post, f, fieldErrs)
			h.renderCompose(w, r, http.StatusUnprocessableEntity, f, existing, fieldErrs)
		case snsos.IsCode(err, snsos.ECONFLICT):
			h.log.Warn("web: compose refused", "post", post.ID, "err", err)
			fieldErrs[""] = tr.T("compose.err.readonly")
			h.renderCompose(w, r, http.StatusConflict, f, existing, fieldErrs)
		case snsos.IsCode(err, snsos.EUNAVAILABLE):
			fieldErrs[""] = tr.T("compose.err.unavailable")
			h.renderCompose(w, r, http.StatusServiceUnavailable, f, existing, fieldErrs)
		default:
			h.serverError(w, r, "save post", err)
		}
		return
	}
	switch f.Do {
	case "draft":
		dest = postHref(post.ID) + "/edit?flash=saved"
	case "approve":
		dest = postHref(post.ID) + "?flash=compose.approved"
	case "now-confirmed":
		dest = postHref(post.ID) + "?flash=compose.now"
	default:
		dest = postHref(post.ID) + "?flash=compose.scheduled"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, dest, http.StatusSeeOther)
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
			if fe.Rule == compose.RuleMaxLength {
				msg = tr.T("compose.err.max_length", "Platform", pl.DisplayName())
			} else if strings.HasPrefix(fe.Rule, "max_") || fe.Rule == compose.RuleRequired || fe.Rule == compose.RuleInvalidChars {
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
	for _, a := range list {
		ca := composeAccount{ID: a.ID, Platform: string(a.Platform), Name: a.Platform.DisplayName(), Handle: a.Handle,
			Checked: slices.Contains(f.Accounts, a.ID), HasAvatar: avatars[a.ID]}
		if a.Status != snsos.AccountConnected {
			ca.Reason = tr.T("compose.account."+string(a.Status), "Platform", a.Platform.DisplayName())
			// A target already on the post stays, so that it can be removed.
			ca.Disabled = !ca.Checked
		}
		d.Accounts = append(d.Accounts, ca)
	}
	selected := selectedPlatforms(f, accts)
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
			CustomizeLabel: tr.T("compose.customize", "Platform", cp.Platform.DisplayName()), OverrideError: d.FieldErrors["override_"+key]}
		if tab.Thread {
			for i, s := range in.Parts {
				tab.Parts = append(tab.Parts, composePart{Index: i, Label: fmt.Sprintf("%d/%d", i+1, len(in.Parts)), Text: s,
					Error: d.FieldErrors[fmt.Sprintf("part_%s_%d", key, i)]})
			}
		}
		d.Tabs = append(d.Tabs, tab)
	}
	check := h.composeCheck(ctx, tr, f, accts)
	for _, c := range check.Counters {
		line := composeCounter{Platform: string(c.Platform), Line: c.Line, State: c.State, Problems: c.Problems}
		d.Counters = append(d.Counters, line)
	}
	d.Cost, d.Quota, d.Blocking, d.MediaErrors = check.Cost, check.Quota, check.Blocking, check.MediaErrors
	d.HasTime = f.Date != "" || f.Time != ""
	d.OpenTab = f.openTab
	if f.confirmNow {
		var names []string
		for _, id := range f.Accounts {
			if a := accts[id]; a != nil {
				names = append(names, a.Platform.DisplayName()+" @"+a.Handle)
			}
		}
		d.ConfirmNow = true
		d.ConfirmText = tr.T("compose.now.confirm", "Targets", strings.Join(names, tr.T("compose.list_sep")))
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
		l := composeZoneLocs[z]
		if l == nil {
			var err error
			if l, err = time.LoadLocation(z); err != nil {
				continue
			}
		}
		d.Zones = append(d.Zones, composeZone{Name: z, Label: zoneLabel(l, h.now()), Selected: z == d.Zone})
	}
	// Media: the tray, then the library to pick from.
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
	// Quick picks: the next free slot, then the best hours from analytics
	// (once there is enough history).
	if check.NextFree != nil {
		d.Picks = append(d.Picks, *check.NextFree)
	}
	d.Picks = append(d.Picks, h.composeBestHours(r, p, loc)...)
	// Previews, one per selected platform.
	for _, pl := range selected {
		pv := composePreview{Key: string(pl), Platform: pl.DisplayName()}
		for _, id := range f.Accounts {
			if a := accts[id]; a != nil && a.Platform == pl {
				pv.Name, pv.Handle = a.DisplayName, a.Handle
				pv.AccountID, pv.HasAvatar = a.ID, avatars[a.ID]
				if pv.Name == "" {
					pv.Name = a.Handle
				}
				break
			}
		}
		pv.Initial = monogram(pv.Name)
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
		for _, m := range d.Media {
			if m.IsImage && len(pv.Images) < 4 {
				pv.Images = append(pv.Images, m)
			}
		}
		d.Previews = append(d.Previews, pv)
	}
	// The error summary, in the form's order.
	order := []string{"", "accounts", "body"}
	for _, t := range d.Tabs {
		order = append(order, "override_"+t.Key, "part_"+t.Key)
		for _, pt := range t.Parts {
			order = append(order, fmt.Sprintf("part_%s_%d", t.Key, pt.Index))
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
	if status == http.StatusConflict {
		d.Readonly = true
	}
	h.render(w, status, "compose", p)
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
		history, err := h.anLoad(r, 0, "")
		if err != nil {
			h.log.Warn("web: best hours", "err", err)
			return nil
		}
		if b = h.anBestHours(r.Context(), p, history, now); b.Enough {
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
	return composeMedia{ID: m.ID, Number: n, Filename: name, Mime: m.Mime, URL: mediaPath(m.ID), IsImage: m.IsImage()}
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

func (h *Handler) handleComposeDuplicate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	// A copy as a draft: same text, media (with alt texts), accounts and overrides; no time
	// and no approval. TikTok settings are never copied (ui-guide §3).
	p := &snsos.Post{Body: src.Body, MediaIDs: slices.Clone(src.MediaIDs), MediaAlt: maps.Clone(src.MediaAlt)}
	for _, t := range src.Targets {
		nt := &snsos.Target{AccountID: t.AccountID, Body: t.Body, State: snsos.StateDraft}
		if t.Platform != snsos.PlatformTikTok && len(t.Options) > 0 {
			nt.Options = map[string]any{}
			for k, v := range t.Options {
				nt.Options[k] = v
			}
		}
		p.Targets = append(p.Targets, nt)
	}
	if err := h.store.CreatePost(ctx, p, nil); err != nil {
		h.afterAction(w, r, src.ID, "action", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, postHref(p.ID)+"/edit?flash=duplicated", http.StatusSeeOther)
}

// Media.

type composeMediaJSON struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	Mime     string `json:"mime"`
	URL      string `json:"url"`
	Image    bool   `json:"image"`
}

func composeMediaJSONOf(m *snsos.MediaRef) composeMediaJSON {
	return composeMediaJSON{ID: m.ID, Filename: m.Filename, Mime: m.Mime, URL: mediaPath(m.ID), Image: m.IsImage()}
}

// mediaPath is where a library file is served to the signed-in operator.
func mediaPath(id int64) string { return "/media/" + strconv.FormatInt(id, 10) }

// handleComposeUpload streams the request body (the file itself) into the
// media library. The file name comes from the X-Filename header
// (URL-encoded) or the name query parameter.
func (h *Handler) handleComposeUpload(w http.ResponseWriter, r *http.Request) {
	tr := newTranslator(pickLang(r), nil)
	if h.cfg.Media == nil {
		composeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": tr.T("compose.upload.unavailable")})
		return
	}
	name := r.URL.Query().Get("name")
	if hn := r.Header.Get("X-Filename"); hn != "" {
		if un, err := url.QueryUnescape(hn); err == nil {
			name = un
		}
	}
	m, err := h.cfg.Media.Upload(r.Context(), r.Body, name)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case snsos.IsCode(err, snsos.ETOOLARGE):
			status = http.StatusRequestEntityTooLarge
		case snsos.IsCode(err, snsos.EINVALID):
			status = http.StatusUnprocessableEntity
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled):
		default:
			if snsos.ErrorCode(err) == snsos.EINTERNAL {
				h.log.Error("web: upload", "err", err)
				status = http.StatusInternalServerError
			}
		}
		h.log.Warn("web: upload refused", "err", err)
		composeJSON(w, status, map[string]string{"error": uploadMessage(tr, err)})
		return
	}
	composeJSON(w, http.StatusCreated, composeMediaJSONOf(m))
}

// uploadMessage says why an upload failed and what to do.
func uploadMessage(tr *translator, err error) string {
	switch {
	case snsos.IsCode(err, snsos.ETOOLARGE):
		return tr.T("compose.upload.too_large", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.EINVALID):
		return tr.T("compose.upload.invalid", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.EUNAVAILABLE):
		return tr.T("compose.upload.unavailable")
	}
	return tr.T("compose.upload.interrupted")
}

func (h *Handler) handleComposeMediaList(w http.ResponseWriter, r *http.Request) {
	out := []composeMediaJSON{}
	if h.cfg.Media != nil {
		list, err := h.cfg.Media.List(r.Context(), 100)
		if err != nil {
			h.serverError(w, r, "list media", err)
			return
		}
		for _, m := range list {
			out = append(out, composeMediaJSONOf(m))
		}
	}
	composeJSON(w, http.StatusOK, out)
}

// handleComposeMediaFile streams a library file to the signed-in operator
// (thumbnails and previews).
func (h *Handler) handleComposeMediaFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || h.cfg.Media == nil {
		http.NotFound(w, r)
		return
	}
	rc, m, err := h.cfg.Media.Open(r.Context(), id)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "open media", err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", m.Mime)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Disposition", "inline")
	io.Copy(w, rc)
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
