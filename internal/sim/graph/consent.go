package graph

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// An AuthRequest is the validated parameter set of GET /oauth/authorize.
type AuthRequest struct {
	ClientID, RedirectURI, Scope, State string
	// Scopes is Scope split on commas and spaces.
	Scopes []string
}

// Consent serves the authorize window of a simulator: GET shows a consent
// page with approve and deny buttons (or, with AutoApprove, redirects at
// once), POST is that page's form. Approval redirects to
// {redirect_uri}?code=…&state=…#_, denial to
// {redirect_uri}?error=access_denied&error_reason=user_denied&error_description=…&state=…#_.
// A request that fails validation gets a 400 HTML error page, as Meta's
// window shows one instead of redirecting.
type Consent struct {
	// Product names the simulated network on the page ("Instagram").
	Product string
	// ClientID is the only client_id accepted.
	ClientID string
	// RedirectURIs are the registered redirect URIs, matched exactly. When
	// empty any absolute http(s) URL is accepted.
	RedirectURIs []string
	// Scopes are the known scopes; RequiredScope must be among the
	// requested ones.
	Scopes        []string
	RequiredScope string
	// AutoApprove skips the page and approves for DefaultUser.
	AutoApprove bool
	// DefaultUser returns the username the page proposes.
	DefaultUser func() string
	// Action returns the form's action URL for a request.
	Action func(r *http.Request) string
	// Issue stores an authorization code for the approved request and the
	// username (DefaultUser's when the form left it empty) and returns it.
	Issue func(ar AuthRequest, username string) string
	// Log receives one line per refused request.
	Log *slog.Logger
}

// Parse validates authorize parameters; the message is shown on the error
// page.
func (c *Consent) Parse(v url.Values) (AuthRequest, string) {
	ar := AuthRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"),
		Scope: v.Get("scope"), State: v.Get("state")}
	if ar.ClientID == "" || ar.ClientID != c.ClientID {
		return ar, "Invalid platform app: client_id is not a registered app id"
	}
	u, err := url.Parse(ar.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return ar, "Invalid redirect_uri: it must be an absolute http(s) URL without a fragment"
	}
	if len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, ar.RedirectURI) {
		return ar, "Invalid redirect_uri: it does not exactly match a registered OAuth redirect URI"
	}
	if v.Get("response_type") != "code" {
		return ar, "Invalid response_type: it must be code"
	}
	ar.Scopes = strings.FieldsFunc(ar.Scope, func(r rune) bool { return r == ',' || r == ' ' })
	for _, sc := range ar.Scopes {
		if !slices.Contains(c.Scopes, sc) {
			return ar, "Invalid Scopes: " + sc
		}
	}
	if !slices.Contains(ar.Scopes, c.RequiredScope) {
		return ar, "Invalid Scopes: the scope must include " + c.RequiredScope
	}
	return ar, ""
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allow access – {{.Product}} simulator</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}code{background:#eee;padding:0 .2rem}</style></head>
<body>
<h1>Allow access to your {{.Product}} account?</h1>
<p>The app <code>{{.ClientID}}</code> asks for these permissions:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<p><label>Account <input name="username" value="{{.Username}}"></label></p>
<p><button type="submit" name="approve" value="1" id="approve">Allow</button>
<button type="submit" name="deny" value="1" id="deny">Cancel</button></p>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error – {{.Product}} simulator</title></head>
<body><h1>Sorry, this page isn't available</h1><p>{{.Msg}}</p></body></html>
`))

// ServeHTTP serves GET (the page) and POST (its form).
func (c *Consent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := CallFrom(r).Params
	ar, msg := c.Parse(v)
	if msg != "" {
		c.Log.Info("graph sim: authorize request refused", "product", c.Product, "reason", msg)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, map[string]string{"Product": c.Product, "Msg": msg})
		return
	}
	switch {
	case r.Method == http.MethodGet && c.AutoApprove:
		c.redirect(w, r, ar.RedirectURI, url.Values{"code": {c.Issue(ar, c.DefaultUser())}, "state": {ar.State}})
	case r.Method == http.MethodGet:
		c.page(w, r, ar)
	case v.Get("approve") == "1":
		user := strings.TrimSpace(v.Get("username"))
		if user == "" {
			user = c.DefaultUser()
		}
		c.redirect(w, r, ar.RedirectURI, url.Values{"code": {c.Issue(ar, user)}, "state": {ar.State}})
	default:
		c.redirect(w, r, ar.RedirectURI, url.Values{"error": {"access_denied"}, "error_reason": {"user_denied"},
			"error_description": {"The user denied your request"}, "state": {ar.State}})
	}
}

func (c *Consent) page(w http.ResponseWriter, r *http.Request, ar AuthRequest) {
	hidden := map[string]string{"client_id": ar.ClientID, "redirect_uri": ar.RedirectURI,
		"response_type": "code", "scope": ar.Scope, "state": ar.State}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{"Product": c.Product, "ClientID": ar.ClientID,
		"Scopes": ar.Scopes, "Action": c.Action(r), "Hidden": hidden, "Username": c.DefaultUser()})
}

// redirect sends the browser to target with q added (an empty state is
// left out) and Meta's "#_" fragment.
func (c *Consent) redirect(w http.ResponseWriter, r *http.Request, target string, q url.Values) {
	if q.Get("state") == "" {
		q.Del("state")
	}
	u, _ := url.Parse(target)
	old := u.Query()
	for k, vs := range q {
		old[k] = vs
	}
	u.RawQuery = old.Encode()
	u.Fragment = ""
	http.Redirect(w, r, u.String()+"#_", http.StatusFound)
}
