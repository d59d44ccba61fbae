package web

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The public site: the privacy policy, the terms, the changelog and the
// contact form, the only pages a stranger sees. They need no session, set
// no cookie (the language is in the path: /privacy in English,
// /ja/privacy in Japanese, each linking the other with hreflang), load
// nothing from another origin and share the operator interface's
// stylesheet. Their own layout (templates/public/layout.html) has no
// operator navigation.

//go:embed templates/public/*.html
var publicFS embed.FS

// publicPages are the public templates by name, each parsed with the
// public layout at first use.
var publicPages = sync.OnceValue(func() map[string]*template.Template {
	names, err := fs.Glob(publicFS, "templates/public/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(publicFS, "templates/public/layout.html", file))
	}
	return out
})

// publicPaths are the public pages, in the footer's order.
var publicPaths = []string{"/privacy", "/terms", "/changelog", "/contact"}

// site is what the public site keeps for the life of the handler.
type site struct {
	facts     PolicyFacts
	substance policySubstance
	policy    policyState
	notifier  *notifier
	// contact counts messages per client address; contactAll counts them
	// all, so a flood from many addresses cannot fill the database.
	contact, contactAll *throttle
}

func newSite(cfg Config) *site {
	facts := cfg.Policy.withDefaults()
	return &site{facts: facts, substance: facts.substance(), notifier: &notifier{fn: cfg.Notify, log: cfg.Logger},
		contact:    newThrottle(contactPerClient, contactWindow, throttleMaxClients, cfg.Now),
		contactAll: newThrottle(contactPerWindow, contactWindow, 1, cfg.Now)}
}

// publicRoutes mounts the public pages in both languages.
func (h *Handler) publicRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"", "/ja"} {
		mux.HandleFunc("GET "+prefix+"/privacy", h.handlePrivacy)
		mux.HandleFunc("GET "+prefix+"/terms", h.handleTerms)
		mux.HandleFunc("GET "+prefix+"/changelog", h.handleChangelog)
		mux.HandleFunc("GET "+prefix+"/contact", h.handleContact)
		mux.HandleFunc("POST "+prefix+"/contact", h.handleContactPost)
	}
}

// publicPage is what every public template gets.
type publicPage struct {
	*translator
	Title string
	Lang  string
	CSS   string
	// Path is the page's path without the language prefix ("/privacy").
	Path string
	// Site names the server: the operator, else "sns-os".
	Site string
	// Updated is the page's last-updated date ("" for none), with its ISO
	// form for <time>.
	Updated, UpdatedISO string
	// Alternates are the page in each language, absolute (hreflang).
	Alternates []langLink
	// Default is the x-default alternate: the English page.
	Default   string
	LangLinks []langLink
	Links     []publicLink
	Data      any
}

type publicLink struct {
	Href, Text string
	Current    bool
}

// Code returns s as inline code, escaped.
func (p *publicPage) Code(s string) template.HTML {
	return template.HTML("<code>" + template.HTMLEscapeString(s) + "</code>")
}

// UpdatedTime is the last-updated date as a <time> element.
func (p *publicPage) UpdatedTime() template.HTML {
	return template.HTML(`<time datetime="` + template.HTMLEscapeString(p.UpdatedISO) + `">` + template.HTMLEscapeString(p.Updated) + `</time>`)
}

// publicLang is the language of a public path: Japanese under /ja/.
func publicLang(r *http.Request) (lang int, bare string) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/ja/"); ok {
		return langIndex("ja"), "/" + rest
	}
	return 0, r.URL.Path
}

// localPath is the path of page bare ("/privacy") in language code.
func localPath(code, bare string) string {
	if code == "ja" {
		return "/ja" + bare
	}
	return bare
}

// newPublicPage builds the page data of a public page.
func (h *Handler) newPublicPage(r *http.Request, titleID string, data any) *publicPage {
	lang, bare := publicLang(r)
	tr := newTranslator(lang, func(id string) { h.log.Error("web: message missing from every locale", "id", id) })
	base := strings.TrimRight(h.cfg.PublicURL, "/")
	p := &publicPage{translator: tr, Lang: tr.lang, CSS: cssPath(), Path: bare, Site: "sns-os", Data: data, Default: base + bare}
	if h.site.facts.Operator != "" {
		p.Site = h.site.facts.Operator
	}
	p.Title = tr.T(titleID)
	for i, code := range langCodes {
		href := localPath(code, bare)
		p.Alternates = append(p.Alternates, langLink{Code: code, Name: langNames[i], Href: base + href})
		p.LangLinks = append(p.LangLinks, langLink{Code: code, Name: langNames[i], Href: href, Current: i == lang})
	}
	for _, pp := range publicPaths {
		p.Links = append(p.Links, publicLink{Href: localPath(tr.lang, pp), Text: tr.T("public.nav" + strings.ReplaceAll(pp, "/", ".")),
			Current: pp == bare})
	}
	return p
}

// setUpdated sets the page's last-updated date, a day in the operator's
// zone.
func (h *Handler) setUpdated(p *publicPage, t time.Time) {
	if t.IsZero() {
		return
	}
	local := t.In(h.location())
	p.Updated, p.UpdatedISO = longDate(p.lang, local), local.Format("2006-01-02")
}

// renderPublic writes a public page. Public pages may be cached briefly
// by the browser but vary with nothing: no cookie is read.
func (h *Handler) renderPublic(w http.ResponseWriter, status int, name string, p *publicPage) {
	var buf bytes.Buffer
	if err := publicPages()[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("web: render", "page", name, "err", err)
		http.Error(w, p.T("error.server"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Language", p.lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// publicError answers a failure on a public page: logged, and a plain
// sentence in the page's language that reveals nothing.
func (h *Handler) publicError(w http.ResponseWriter, r *http.Request, what string, err error) {
	lang, _ := publicLang(r)
	if timedOut(r) {
		h.tooSlow(w, r, newTranslator(lang, nil), what)
		return
	}
	h.log.Error("web: "+what, "path", r.URL.Path, "err", err)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, newTranslator(lang, nil).T("error.server"), http.StatusInternalServerError)
}

// notifier runs Config.Notify (the alert channels) in the background, one
// run at a time: a trigger during a run asks for one more run after it,
// so nothing is missed and a burst costs two runs at most. The periodic
// alert scan would send the same items within a minute; this only makes
// it sooner.
type notifier struct {
	fn      func(ctx context.Context) error
	log     *slog.Logger
	mu      sync.Mutex
	running bool
	again   bool
	wg      sync.WaitGroup
}

func (n *notifier) trigger() {
	if n == nil || n.fn == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		n.again = true
		return
	}
	n.running = true
	n.wg.Add(1)
	go n.loop()
}

func (n *notifier) loop() {
	defer n.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := n.fn(ctx); err != nil && n.log != nil {
			n.log.Warn("web: alert not sent now; the periodic scan tries again", "err", err)
		}
		cancel()
		n.mu.Lock()
		if !n.again {
			n.running = false
			n.mu.Unlock()
			return
		}
		n.again = false
		n.mu.Unlock()
	}
}

// wait waits for the runs in flight (tests).
func (n *notifier) wait() { n.wg.Wait() }

// scopePurpose is the sentence saying why the policy's platform asks for
// scope, or a sentence saying it is not described (a test requires every
// scope the clients ask for to have one).
func scopePurpose(tr *translator, scope string) string {
	id := "policy.scope." + scope
	if !hasMessage(tr, id) {
		return tr.T("policy.scope.unknown")
	}
	return tr.T(id)
}

// metricName is a metric's name in the page's language, or the name the
// client records when there is none.
func metricName(tr *translator, m string) string {
	id := "policy.metric." + m
	if !hasMessage(tr, id) {
		return m
	}
	return tr.T(id)
}

// hasMessage reports whether the locale files define id (in the page's
// language or English).
func hasMessage(tr *translator, id string) bool {
	probe := &translator{lang: tr.lang, loc: tr.loc}
	return probe.T(id) != id
}
