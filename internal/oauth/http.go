package oauth

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/platform"
)

// CookieName is the cookie that binds a browser-started authorization
// request to the browser that started it.
const CookieName = "snsos_oauth"

// cookiePath limits the cookie to the callbacks.
const cookiePath = "/oauth/"

// cookieName is CookieName with the __Secure- prefix over HTTPS (the
// browser then takes it only when Secure; its path rules out __Host-), the
// plain name over http (the demo and the tests).
func (s *Service) cookieName() string {
	if s.secure {
		return "__Secure-" + CookieName
	}
	return CookieName
}

// Routes registers the browser side of the connect flow:
//
//	POST /connect/{platform}         start: set the binding cookie, 303 to the consent page
//	GET /oauth/{platform}/callback   finish: a small page saying what happened
//
// Starting is the operator's and changes state (a stored authorization
// request, a cookie), so it is a POST, which cross-origin protection
// guards: /connect is wrapped in session, which must
// refuse a request without the operator's session (the web UI's
// RequireSession); otherwise anyone who can reach sns-os could connect an
// account of their own. The callback stays public: the platform redirects
// the browser there, and the single-use state and the binding cookie
// protect it.
func (s *Service) Routes(mux *http.ServeMux, session func(http.Handler) http.Handler) {
	if session == nil {
		panic("tokens: Routes needs the session check for /connect")
	}
	mux.Handle("POST /connect/{platform}", session(http.HandlerFunc(s.handleConnect)))
	mux.HandleFunc("GET /oauth/{platform}/callback", s.handleCallback)
}

func (s *Service) handleConnect(w http.ResponseWriter, r *http.Request) {
	p := snsos.Platform(r.PathValue("platform"))
	if _, err := s.client(p); err != nil {
		s.renderPage(w, http.StatusNotFound, page{Platform: p.DisplayName(), Error: snsos.ErrorMessage(err)})
		return
	}
	value := auth.NewToken("", 32)
	authURL, err := s.StartConnect(r.Context(), p, auth.HashToken(value))
	if err != nil {
		s.log.Error("start connect failed", "platform", string(p), "err", err)
		s.renderPage(w, http.StatusInternalServerError, page{Platform: p.DisplayName(), Retry: "/connect/" + string(p),
			Error: "sns-os could not start connecting the account: " + snsos.ErrorMessage(err)})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: value, Path: cookiePath, MaxAge: int(DefaultStateTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

func (s *Service) handleCallback(w http.ResponseWriter, r *http.Request) {
	p := snsos.Platform(r.PathValue("platform"))
	if _, err := s.client(p); err != nil {
		s.renderPage(w, http.StatusNotFound, page{Platform: p.DisplayName(), Error: snsos.ErrorMessage(err)})
		return
	}
	binding := ""
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		binding = auth.HashToken(c.Value)
	}
	// The flow is over whatever happens: forget the cookie.
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	a, err := s.CompleteConnect(r.Context(), p, r.URL.Query(), binding)
	if err != nil {
		status := callbackStatus(err)
		if status >= 500 {
			s.log.Warn("connect failed", "platform", string(p), "err", err)
		} else {
			s.log.Info("connect refused", "platform", string(p), "reason", snsos.ErrorMessage(err))
		}
		msg := snsos.ErrorMessage(err)
		if status == http.StatusInternalServerError {
			msg = "sns-os could not store the account; see the server log."
		}
		s.renderPage(w, status, page{Platform: p.DisplayName(), Error: msg, Retry: "/connect/" + string(p)})
		return
	}
	if s.after != "" {
		http.Redirect(w, r, s.after, http.StatusSeeOther)
		return
	}
	s.renderPage(w, http.StatusOK, page{Platform: p.DisplayName(), Handle: a.Handle})
}

// callbackStatus maps a CompleteConnect error to the page's status.
func callbackStatus(err error) int {
	var pe *platform.Error
	switch {
	case errors.As(err, &pe):
		return http.StatusBadGateway
	case snsos.IsCode(err, snsos.EINVALID):
		return http.StatusBadRequest
	case snsos.IsCode(err, snsos.ENOTFOUND):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// page is what the connect pages show.
type page struct {
	Platform string
	Handle   string // set on success
	Error    string
	Retry    string // link to start again
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Error}}Could not connect{{else}}Connected{{end}} — sns-os</title>
</head>
<body>
<main>
{{if .Error -}}
<h1>Could not connect {{.Platform}}</h1>
<p>{{.Error}}</p>
{{if .Retry}}<form method="post" action="{{.Retry}}"><p><button type="submit">Start again</button></p></form>{{end}}
{{- else -}}
<h1>Connected @{{.Handle}} on {{.Platform}}</h1>
<p>sns-os can now publish on this account.</p>
{{- end}}
<p><a href="/">Back to sns-os</a></p>
</main>
</body>
</html>
`))

func (s *Service) renderPage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The callback URL carries the code and state: never send it as a
	// Referer from the links on the page.
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, p); err != nil {
		s.log.Warn("connect page not written", "err", err)
	}
}
