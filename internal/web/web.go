// Package web is the operator's web interface: server-rendered HTML pages
// behind a password sign-in and a session cookie, in English and Japanese,
// with one embedded stylesheet and no JavaScript required. Nothing it
// serves refers to another origin.
//
// Routes mounts the pages on the server's mux; internal/server wraps them
// with its security headers (CSP) and cross-origin protection.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"asset": assetPath,
}

//go:embed static
var staticFS embed.FS

// Config configures the web interface.
type Config struct {
	Store Store
	// PublicURL is where operators reach sns-os; https:// makes the
	// cookies Secure.
	PublicURL string
	// Location is the operator's time zone (default UTC).
	Location *time.Location
	Logger   *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Engine carries out the post page's actions (retry, check again,
	// mark published or not published, cancel); nil leaves them refused as
	// unavailable.
	Engine Engine
	// Media is the media library compose uploads to and picks from; nil
	// leaves uploads refused as unavailable.
	Media Media
	// XPrices prices X posts for the cost estimates (zero: compose's
	// defaults).
	XPrices rules.XPrices
	// InstagramFirstComment shows the "First comment" field in compose's
	// Instagram tab: the server posts it under the published post
	// (SNSOS_INSTAGRAM_FIRST_COMMENT).
	InstagramFirstComment bool
	// FeedKey signs the secret iCal feed URL (store.DerivedKey("ical-feed"),
	// which a master key rotation does not change); empty disables the feed.
	FeedKey []byte
	// Accounts disconnects accounts (revoking their tokens); nil leaves
	// disconnecting refused as unavailable.
	Accounts Accounts
	// Platforms are the platforms configured with a client id, which can
	// be connected.
	Platforms []snsos.Platform
	// Alerts reports and tests the alert channels; nil means none is
	// configured.
	Alerts Alerter
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// throttling sign-in (and the contact form) by client address.
	TrustedProxies []netip.Prefix
	// Policy is what the public privacy policy states (public.go,
	// policy.go), computed from the configuration and the clients' lists.
	Policy PolicyFacts
	// Purger carries out a deletion request the operator confirmed for an
	// account; nil refuses that as "purge not available".
	Purger Purger
	// Notify runs the alert channels at once (after a contact message or
	// a policy change); nil leaves it to the periodic alert scan.
	Notify func(ctx context.Context) error
	// Archive says the git archive is configured in this process: Settings
	// and the dashboard then show its saved status; without, only a status
	// a writer in another process saved lately (archive.Status.Current).
	Archive bool
	// Creators asks TikTok what an account may post now, for compose's
	// TikTok block; nil (TikTok not configured) blocks approving TikTok
	// posts with that reason.
	Creators Creators
}

// Accounts is what the accounts page asks of the token service.
// *tokens.Service implements it.
type Accounts interface {
	// Revoke revokes the account's tokens at the platform (best effort),
	// deletes them and marks the account revoked; its posts stay.
	Revoke(ctx context.Context, accountID int64) error
}

// Alerter is the alert channels (email, webhook) as the settings page sees
// them.
type Alerter interface {
	// Channels describes each configured channel without its secrets
	// (such as "email to op@example.com").
	Channels() []string
	// SendTest sends a test alert on every channel.
	SendTest(ctx context.Context) error
}

// Handler serves the operator interface.
type Handler struct {
	cfg      Config
	store    Store
	engine   Engine
	log      *slog.Logger
	loc      atomic.Pointer[time.Location] // the operator's zone; see location
	now      func() time.Time
	secure   bool
	throttle *signinThrottle // per process, and shared on PostgreSQL
	verify   chan struct{}   // bounds concurrent password checks (argon2id is memory-hard)
	slow     chan struct{}   // one check at a time while over the global failure budget
	slotWait time.Duration   // hashSlotWait; tests shorten it
	// home is where the dashboard is mounted: "/" normally.
	home string
	// mux is where Routes mounted the pages (to tell pages from actions).
	mux *http.ServeMux
	// best caches compose's best-hour picks (see composeBestHours).
	best bestHoursCache
	// site is the public pages' state (public.go).
	site *site
}

// New builds the handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{
		store:    cfg.Store,
		engine:   cfg.Engine,
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		secure:   strings.HasPrefix(cfg.PublicURL, "https://"),
		throttle: newSigninThrottle(cfg),
		verify:   make(chan struct{}, 4),
		slow:     make(chan struct{}, 1),
		slotWait: hashSlotWait,
		home:     "/",
	}
	h.loc.Store(cfg.Location)
	h.site = newSite(cfg)
	return h
}

// pageTemplates are the operator pages, parsed at the first render rather
// than at start-up (a process that only publishes never parses them).
// Every template but the layout is a page of the same name; partials
// shared by several pages live in templates/partials/. Parsed templates
// are safe for concurrent use, so every Handler shares them.
var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" {
			continue
		}
		patterns := []string{"templates/layout.html", "templates/partials/*.html", file}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, patterns...))
	}
	return pages
})

// location returns the operator's time zone. The settings page may change
// it while the server runs (SetLocation).
func (h *Handler) location() *time.Location { return h.loc.Load() }

// SetLocation changes the operator's time zone for every later request.
func (h *Handler) SetLocation(loc *time.Location) {
	if loc != nil {
		h.loc.Store(loc)
	}
}

// Routes adds the interface's routes to mux. Every page but sign-in, the
// language switch, the stylesheet and the public pages (privacy, terms,
// changelog, contact) requires a session.
func (h *Handler) Routes(mux *http.ServeMux) {
	h.mux = mux
	mux.HandleFunc("GET /signin", h.handleSignin)
	mux.HandleFunc("POST /signin", h.handleSigninPost)
	mux.HandleFunc("POST /signout", h.handleSignout)
	h.setupRoutes(mux) // the one-time link of the first run
	mux.HandleFunc("GET /lang/{code}", h.handleLang)
	mux.HandleFunc("GET /static/{file}", h.handleAsset)
	mux.Handle("GET /{$}", h.RequireSession(http.HandlerFunc(h.handleHome)))
	// Any other path: the interface's own 404 for the signed-in operator,
	// a plain one for everyone else.
	mux.HandleFunc("/", h.handleNoRoute)
	mux.Handle("GET /accounts", h.RequireSession(http.HandlerFunc(h.handleAccounts)))
	mux.Handle("GET /posts/{id}", h.RequireSession(http.HandlerFunc(h.handlePost)))
	mux.Handle("POST /posts/{id}/cancel", h.RequireSession(http.HandlerFunc(h.handleCancel)))
	mux.Handle("POST /posts/{id}/targets/{tid}/retry", h.RequireSession(http.HandlerFunc(h.handleRetry)))
	mux.Handle("POST /posts/{id}/targets/{tid}/check", h.RequireSession(http.HandlerFunc(h.handleCheck)))
	mux.Handle("POST /posts/{id}/targets/{tid}/resolve", h.RequireSession(http.HandlerFunc(h.handleResolve)))
	// Each feature mounts its own routes (each behind RequireSession but
	// for public feeds that carry their own credential).
	h.composeRoutes(mux)
	h.calendarRoutes(mux)
	h.analyticsRoutes(mux)
	h.settingsRoutes(mux)
	h.postsRoutes(mux)
	h.accountsRoutes(mux)
	h.publicRoutes(mux) // no session: the pages strangers see
	h.deletionRoutes(mux)
	h.inboxRoutes(mux)
}

// page returns handler fn behind the session check.
func (h *Handler) page(fn http.HandlerFunc) http.Handler { return h.RequireSession(fn) }

func (h *Handler) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	if sess, err := h.session(r); err != nil || sess == nil {
		http.NotFound(w, r)
		return
	}
	h.notFound(w, r)
}

// Home returns the path of the dashboard.
func (h *Handler) Home() string { return h.home }

// The stylesheet is every static/*.css file in name order (style.css
// first), served as one file under a name carrying its content hash, so it
// can be cached for a year. It is put together at first use, like the
// other static files, not at start-up.
var (
	cssBody = sync.OnceValue(func() []byte {
		names, _ := fs.Glob(staticFS, "static/*.css")
		sort.Slice(names, func(i, j int) bool {
			if (names[i] == "static/style.css") != (names[j] == "static/style.css") {
				return names[i] == "static/style.css"
			}
			return names[i] < names[j]
		})
		var b []byte
		for _, n := range names {
			b = append(b, mustRead(staticFS, n)...)
			b = append(b, '\n')
		}
		return b
	})
	cssPath = sync.OnceValue(func() string {
		sum := sha256.Sum256(cssBody())
		return "/static/style." + hex.EncodeToString(sum[:6]) + ".css"
	})
)

// asset is a static file other than the stylesheet: a script or a vendored
// library, served under a hashed name.
type asset struct {
	body  []byte
	ctype string
}

// staticAssets are the static files by hashed name, and their paths by
// plain name, hashed at first use.
var staticAssets = sync.OnceValues(func() (assets map[string]asset, paths map[string]string) {
	assets, paths = map[string]asset{}, map[string]string{}
	names, _ := fs.Glob(staticFS, "static/*.js")
	vendored, _ := fs.Glob(staticFS, "static/vendor/*")
	for _, n := range append(names, vendored...) {
		body := mustRead(staticFS, n)
		sum := sha256.Sum256(body)
		base := path.Base(n)
		ext := path.Ext(base)
		hashed := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ctype := "application/octet-stream"
		switch ext {
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		}
		assets[hashed] = asset{body: body, ctype: ctype}
		paths[base] = "/static/" + hashed
	}
	return assets, paths
})

// assetPath returns the URL of the static file named name (such as
// "compose.js" or "uPlot.iife.min.js"); a name that does not exist panics
// at render time, which the page tests catch.
func assetPath(name string) (string, error) {
	_, paths := staticAssets()
	p, ok := paths[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return p, nil
}

func (h *Handler) handleAsset(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if "/static/"+file == cssPath() {
		h.handleCSS(w, r)
		return
	}
	assets, _ := staticAssets()
	a, ok := assets[file]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.body)
}

func (h *Handler) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(cssBody())
}

// handleLang remembers the chosen language and returns to the page.
func (h *Handler) handleLang(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if langIndex(code) < 0 {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(langCookie), Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next"), h.home), http.StatusSeeOther)
}

// page is what every template gets.
type page struct {
	*translator
	Title    string
	Lang     string
	CSS      string
	Path     string
	Home     string
	SignedIn bool
	// Theme is "light" or "dark" when the operator chose one in Settings
	// (the layout's data-theme), "" to follow the browser.
	Theme     string
	Zone      string
	LangLinks []langLink
	// Attention is how many targets need the operator (the Posts badge).
	Attention int
	// Inbox is how many contact messages wait (the Inbox badge).
	Inbox int
	Data  any
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

var langNames = []string{"English", "日本語"}

// Code returns s as inline code, escaped.
func (p *page) Code(s string) template.HTML {
	return template.HTML("<code>" + template.HTMLEscapeString(s) + "</code>")
}

func (h *Handler) newPage(r *http.Request, titleID string, signedIn bool, data any) *page {
	lang := h.pageLang(r, signedIn)
	tr := newTranslator(lang, func(id string) { h.log.Error("web: message missing from every locale", "id", id) })
	here := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		here = r.URL.RequestURI()
	}
	p := &page{translator: tr, Lang: tr.lang, CSS: cssPath(), Path: r.URL.Path, Home: h.home, SignedIn: signedIn, Data: data}
	p.Title = tr.T(titleID)
	if signedIn {
		p.Zone = h.location().String()
		p.Theme = h.pageTheme(r)
		p.Attention = h.attentionCount(r)
		p.Inbox = h.inboxCount(r)
	}
	for i, code := range langCodes {
		p.LangLinks = append(p.LangLinks, langLink{Code: code, Name: langNames[i], Current: i == lang,
			Href: "/lang/" + code + "?next=" + urlQueryEscape(safeNext(here, h.home))})
	}
	return p
}

// render writes a page; a template failure becomes a plain 500.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := pageTemplates()[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("web: render", "page", name, "err", err)
		http.Error(w, p.T("error.server"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// serverError logs err and shows the operator what to do.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	tr := newTranslator(pickLang(r), nil)
	if timedOut(r) {
		h.tooSlow(w, r, tr, what)
		return
	}
	h.log.Error("web: "+what, "path", r.URL.Path, "err", err)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, tr.T("error.server"), http.StatusInternalServerError)
}

// timedOut reports whether r's page deadline (SNSOS_PAGE_TIMEOUT, set by
// the server) has passed: whatever error the interrupted database work
// returned, the answer is then "took too long", not "went wrong".
func timedOut(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.DeadlineExceeded)
}

// tooSlow answers a page cut off at its deadline: 503, in the operator's
// language, saying what to do. It is plain text because rendering the
// layout would read the database again.
func (h *Handler) tooSlow(w http.ResponseWriter, r *http.Request, tr *translator, what string) {
	h.log.Warn("web: page deadline passed", "path", r.URL.Path, "during", what)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "5")
	http.Error(w, tr.T("error.timeout"), http.StatusServiceUnavailable)
}

func mustRead(fsys fs.FS, name string) []byte {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(fmt.Sprintf("web: %s: %v", name, err))
	}
	return b
}
