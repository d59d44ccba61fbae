package graph

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A Config is what NewCore needs: the options a simulator took from its
// user (with its defaults applied; see the simulators' Options) and the
// few things in which the Meta platforms differ.
type Config struct {
	// Name starts the simulator's panic messages ("igsim") and Product
	// names the network on the consent page ("Instagram").
	Name, Product string

	// The user's options. A nil Now means time.Now, a nil Logger discards.
	ClientID, ClientSecret                                  string
	RedirectURIs                                            []string
	Now                                                     func() time.Time
	Logger                                                  *slog.Logger
	BaseURL, DemoUsername                                   string
	AutoApprove                                             bool
	AuthCodeTTL, ShortLivedTTL, LongLivedTTL, RefreshMinAge time.Duration
	HTTPClient                                              *http.Client
	FetchTimeout                                            time.Duration

	// TokenPrefix starts every access token ("IGAA").
	TokenPrefix string
	// UserIDStart is the first Account.UserID. AppIDStart, when not 0, is
	// the first Account.ID (Instagram's app-scoped ids); when 0 an
	// account's ID is its UserID.
	UserIDStart, AppIDStart uint64
	// Scopes are accepted at authorize time and RequiredScope must be
	// among the requested ones; IssueTokens grants GrantedScopes.
	Scopes, GrantedScopes []string
	RequiredScope         string
	// ExchangeGrant and RefreshGrant are the grant_type values of GET
	// /access_token and GET /refresh_access_token ("ig_exchange_token").
	ExchangeGrant, RefreshGrant string
	// CodeExchangeGET serves the code exchange on GET as well as POST.
	CodeExchangeGET bool
	// TokenAnswer renders the code exchange's answer for the new token;
	// nil means {"access_token","user_id":<JSON number>}.
	TokenAnswer func(t *Token) any
	// ScopeError is the error for a token that lacks scope.
	ScopeError func(scope string) Error
	// UserPath checks the {id} of a user edge for caller a, writing the
	// error itself when the caller may not use it.
	UserPath func(w http.ResponseWriter, r *http.Request, a *Account) bool

	// ErrorType is the platform's envelope type (TypeIGAPI), used by
	// injected faults. GraphErrorType is the type of the errors about the
	// request itself (a malformed body, an unknown field); "" keeps
	// OAuthException.
	ErrorType, GraphErrorType string
	// UsageType and ThrottleCode are FaultEnv's.
	UsageType    string
	ThrottleCode int
	// ContainerIDStart is the first container id.
	ContainerIDStart uint64
	// MediaFailure is the failure FaultMediaError gives a container.
	MediaFailure func(f Fault) string
}

// An Account is a simulated user.
type Account struct {
	// ID is the account's "id" in the API: Instagram's app-scoped id, the
	// user id on Threads.
	ID string
	// UserID keys tokens, containers and posts: Instagram's professional
	// account id, equal to ID on Threads.
	UserID   string
	Username string
	Name     string
}

// Core is what a Meta Graph simulator does whatever its platform: the
// route table with its OAuth, avatar and unknown-path routes, request
// recording, fault injection, the clock, the base URL, accounts, tokens
// and authentication. A simulator holds one, adds its routes with
// HandleFunc and keeps its own state under the Core's lock (Lock,
// Unlock). Methods whose names end in Locked must be called with the lock
// held; the others take it themselves. A Core is safe for concurrent use.
type Core struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	faults  *Faults
	fetcher *Fetcher
	rec     Recorder
	consent *Consent

	userIDs, appIDs, containerIDs *IDs

	mu         sync.Mutex
	baseURL    string
	offset     time.Duration
	tokens     *Tokens
	accounts   []*Account
	byID       map[string]*Account // by ID and by UserID
	byName     map[string]*Account // by lower-case username
	containers map[string]*Container
}

// NewCore returns a Core configured by cfg, serving the OAuth routes,
// GET /__sim/avatars/{id}.jpg and the Graph error for unknown paths.
func NewCore(cfg Config) *Core {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Core{
		cfg: cfg, log: log, mux: http.NewServeMux(), faults: NewFaults(),
		fetcher: NewFetcher(cfg.HTTPClient, cfg.FetchTimeout), userIDs: NewIDs(cfg.UserIDStart),
		containerIDs: NewIDs(cfg.ContainerIDStart), baseURL: strings.TrimSuffix(cfg.BaseURL, "/"),
		tokens: NewTokens(cfg.TokenPrefix), byID: make(map[string]*Account), byName: make(map[string]*Account),
		containers: make(map[string]*Container),
	}
	if cfg.AppIDStart != 0 {
		c.appIDs = NewIDs(cfg.AppIDStart)
	}
	c.consent = &Consent{
		Product: cfg.Product, ClientID: cfg.ClientID, RedirectURIs: cfg.RedirectURIs,
		Scopes: cfg.Scopes, RequiredScope: cfg.RequiredScope, AutoApprove: cfg.AutoApprove,
		DefaultUser: c.defaultUsername, Action: c.formAction, Issue: c.issueCode, Log: log,
	}
	c.routes()
	return c
}

// routes adds the routes every simulator has. Graph paths are listed
// without their optional version prefix, which ServeHTTP removes.
func (c *Core) routes() {
	c.mux.Handle("GET /oauth/authorize", c.consent)
	c.mux.Handle("POST /oauth/authorize", c.consent)
	c.mux.HandleFunc("POST /oauth/access_token", c.handleCodeExchange)
	if c.cfg.CodeExchangeGET {
		c.mux.HandleFunc("GET /oauth/access_token", c.handleCodeExchange)
	}
	c.mux.HandleFunc("GET /access_token", c.handleExchange)
	c.mux.HandleFunc("GET /refresh_access_token", c.handleRefresh)
	c.mux.HandleFunc("GET /__sim/avatars/{file}", c.handleAvatar)
	c.mux.HandleFunc("/", handleUnknown)
}

// HandleFunc adds a route of the simulator, written without the version
// prefix ("POST /{id}/media").
func (c *Core) HandleFunc(pattern string, h http.HandlerFunc) { c.mux.HandleFunc(pattern, h) }

// ServeHTTP removes the version prefix, records the request, applies the
// first queued fault that matches it and dispatches it. The simulator's
// own /__sim/ paths are neither recorded nor faulted.
func (c *Core) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call, perr := ParseCall(r)
	if strings.HasPrefix(call.Path, "/__sim/") {
		c.mux.ServeHTTP(w, WithCall(r, call))
		return
	}
	entry := c.rec.Start(c.Now(), r.Method, call)
	sw := &StatusWriter{ResponseWriter: w}
	defer func() { c.rec.Finish(entry, sw.Status()) }()
	if perr != nil {
		if c.cfg.GraphErrorType != "" {
			perr.Type = c.cfg.GraphErrorType
		}
		WriteError(sw, *perr)
		return
	}
	r = WithCall(r, call)
	if f := c.faults.Take(r.Method, call.Path); f != nil {
		c.faults.Serve(sw, r, *f, c.faultEnv(r))
		return
	}
	c.mux.ServeHTTP(sw, r)
}

// handleUnknown answers paths no route serves, as Graph does.
func handleUnknown(w http.ResponseWriter, r *http.Request) {
	first, rest, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	if rest == "" {
		WriteError(w, NotFound(r.Method, first))
		return
	}
	WriteError(w, UnknownPath("/"+rest))
}

// Close releases requests blocked by hang faults. The Core keeps serving.
func (c *Core) Close() { c.faults.Close() }

// Requests returns the recorded requests, oldest first; see Recorder.
func (c *Core) Requests() []Request { return c.rec.List() }

// Lock takes the lock that guards the Core's state and the simulator's.
func (c *Core) Lock() { c.mu.Lock() }

// Unlock releases the lock Lock took.
func (c *Core) Unlock() { c.mu.Unlock() }

// SetBaseURL sets the absolute URL under which the simulator is reachable
// (see Config.BaseURL).
func (c *Core) SetBaseURL(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baseURL = strings.TrimSuffix(u, "/")
}

// Base returns the base URL for links in the answer to r.
func (c *Core) Base(r *http.Request) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return BaseURL(r, c.baseURL)
}

// NowLocked returns the simulator's time: Config.Now plus every Advance.
func (c *Core) NowLocked() time.Time { return c.cfg.Now().Add(c.offset) }

// Now is NowLocked for callers that do not hold the lock.
func (c *Core) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.NowLocked()
}

// Advance moves the simulator's clock forward by d on top of Config.Now.
func (c *Core) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Fetcher returns the fetcher of media URLs.
func (c *Core) Fetcher() *Fetcher { return c.fetcher }

// CheckFields is the package's CheckFields with Config.GraphErrorType.
func (c *Core) CheckFields(fields, allowed []string, node string) *Error {
	e := CheckFields(fields, allowed, node)
	if e != nil && c.cfg.GraphErrorType != "" {
		e.Type = c.cfg.GraphErrorType
	}
	return e
}

// Positive returns v, or def when v is zero or negative: the defaulting
// of simulator options.
func Positive[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
