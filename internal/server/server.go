// Package server assembles sns-os's HTTP server: the one route table on the
// standard ServeMux, the middleware every request passes (panic recovery,
// security headers, request logging, cross-origin protection), the health
// endpoints, and a lifecycle with graceful shutdown.
//
// Feature packages do not import server; they hand it their routes through
// Options.Mount.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Check is one readiness condition: Func returns nil when it holds.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Detail is what /readyz says about a part of sns-os without judging
// readiness by it (the git archive's last commit and push): Func returns
// a value for the body's "detail" object. Its error is logged and shown as
// "unavailable"; it never makes the server not ready, since a remote that
// refuses pushes is no reason to take the process out of a load balancer.
type Detail struct {
	Name string
	Func func(ctx context.Context) (any, error)
}

// Options configures a Server.
type Options struct {
	Addr      string
	PublicURL string // https:// turns on HSTS and Secure cookies downstream
	Version   string
	Logger    *slog.Logger
	// Ready lists what /readyz checks (database, migrations, job client).
	Ready []Check
	// Details add to /readyz's body, never to its verdict. What they
	// return is public (/readyz needs no sign-in): no secret, no error
	// text that could hold one.
	Details []Detail
	// Mount adds routes to the mux; patterns use Go 1.22 method syntax.
	Mount func(mux *http.ServeMux)
	// CrossOriginBypass lists patterns exempt from cross-origin protection:
	// endpoints that other sites call by design (Meta's webhooks).
	CrossOriginBypass []string
	// ShutdownTimeout bounds how long Serve waits for requests in flight.
	ShutdownTimeout time.Duration
	// Listener, when set, is used instead of listening on Addr (the caller
	// bound it early to learn the port).
	Listener net.Listener
	// MaxConns caps the open connections (default DefaultMaxConns): more
	// wait to be accepted.
	MaxConns int
	// LongPaths are path prefixes whose responses may take long to send
	// (signed media links that platforms download): no write deadline.
	LongPaths []string
	// SlowPaths are path prefixes whose GETs may take longer than
	// PageTimeout for reasons other than the database (a platform's token
	// exchange, a file download, an export): no page deadline.
	SlowPaths []string
	// PageTimeout bounds the work of every other GET and HEAD (pages.go):
	// zero means DefaultPageTimeout, negative none.
	PageTimeout time.Duration
	// Context, when set, derives each request's context (the store's read
	// pool mark).
	Context func(context.Context) context.Context
	// ReadTimeout and WriteTimeout bound reading a request's body and
	// writing its response, outside uploads and LongPaths (defaults 1 min
	// and 2 min).
	ReadTimeout, WriteTimeout time.Duration
}

// Connection and request bounds. A request whose body is larger than
// uploadBytes (or of unknown length) is an upload: it has neither deadline,
// so a large file on a slow line is not cut off.
const (
	DefaultMaxConns = 512
	uploadBytes     = 1 << 20
)

// Server is the HTTP server of one sns-os process.
type Server struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler
	srv     *http.Server
	ln      net.Listener
}

// New builds the server and its route table.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = time.Minute
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 2 * time.Minute
	}
	if opts.PageTimeout == 0 {
		opts.PageTimeout = DefaultPageTimeout
	}
	s := &Server{opts: opts, log: opts.Logger, ln: opts.Listener}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if opts.Mount != nil {
		opts.Mount(mux)
	}
	cop := http.NewCrossOriginProtection()
	for _, p := range opts.CrossOriginBypass {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, http.StatusForbidden, "Cross-origin request refused.")
	}))
	https := strings.HasPrefix(opts.PublicURL, "https://")
	s.handler = s.recoverer(securityHeaders(https, s.logRequests(cop.Handler(s.pages(mux)))))
	s.handler = s.deadlines(s.handler)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the whole handler chain (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the address. Serve calls it when it was not called before.
func (s *Server) Listen() error {
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("SNSOS_ADDR: cannot listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address (useful with port 0), or "" before Listen.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Serve serves until ctx is cancelled, then shuts down gracefully: it stops
// accepting, waits up to ShutdownTimeout for requests in flight, and returns.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	max := s.opts.MaxConns
	if max <= 0 {
		max = DefaultMaxConns
	}
	ln := limitListener(s.ln, max)
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	s.log.Info("listening", "addr", s.Addr(), "public_url", s.opts.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for _, c := range s.opts.Ready {
		if err := c.Func(ctx); err != nil {
			s.log.Warn("not ready", "check", c.Name, "err", err)
			checks[c.Name] = "failing"
			status = http.StatusServiceUnavailable
			continue
		}
		checks[c.Name] = "ok"
	}
	word := "ready"
	if status != http.StatusOK {
		word = "not ready"
	}
	body := map[string]any{"status": word, "checks": checks}
	if len(s.opts.Details) > 0 {
		detail := map[string]any{}
		for _, d := range s.opts.Details {
			v, err := d.Func(ctx)
			if err != nil {
				s.log.Warn("readyz detail unavailable", "detail", d.Name, "err", err)
				v = "unavailable"
			}
			detail[d.Name] = v
		}
		body["detail"] = detail
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Error writes an error in the form the client asked for: problem+json for
// API and JSON clients, plain text otherwise. msg must be safe to show.
func Error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "json") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": msg})
		return
	}
	http.Error(w, msg, status)
}

// deadlines bounds how long reading a request and writing its response may
// take (ReadHeaderTimeout bounds the headers), except for uploads and the
// LongPaths, which a whole-server ReadTimeout/WriteTimeout would cut off.
func (s *Server) deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upload := r.ContentLength > uploadBytes || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
		if !upload {
			rc := http.NewResponseController(w)
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(s.opts.ReadTimeout)) // not every writer supports it (tests)
			long := false
			for _, p := range s.opts.LongPaths {
				if strings.HasPrefix(r.URL.Path, p) {
					long = true
				}
			}
			if !long {
				_ = rc.SetWriteDeadline(now.Add(s.opts.WriteTimeout))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitListener accepts at most max connections at a time; the others wait
// in the kernel's backlog until one closes.
func limitListener(l net.Listener, max int) net.Listener {
	return &limitedListener{Listener: l, sem: make(chan struct{}, max)}
}

type limitedListener struct {
	net.Listener
	sem chan struct{}
}

func (l *limitedListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
