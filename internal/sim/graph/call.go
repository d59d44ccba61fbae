package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// MaxBodyBytes caps the request bodies ParseCall reads. Graph calls carry
// parameters, never media (media arrive as URLs the simulator fetches).
const MaxBodyBytes = 1 << 20

// Where a Call's access token came from.
const (
	TokenFromHeader = "header" // Authorization: Bearer|OAuth <token>
	TokenFromQuery  = "query"
	TokenFromForm   = "form" // urlencoded or multipart body
	TokenFromJSON   = "json"
)

// A Call is one request as a simulator sees it: the path without its
// version prefix, every parameter and the access token.
type Call struct {
	// Path is the URL path without the /vNN.N prefix, e.g. "/me".
	Path string
	// Version is the prefix's version without slashes ("v25.0"), or "".
	Version string
	// Params holds the query parameters followed by the body parameters
	// (form, multipart or JSON), so Get prefers the query string.
	Params url.Values
	// Token is the access token, "" when the request carries none. The
	// Authorization header wins over an access_token parameter.
	Token string
	// TokenFrom says where Token came from (TokenFromHeader, …).
	TokenFrom string

	seen string // the path as the simulator received it, version included
}

var versionRe = regexp.MustCompile(`^/(v[0-9]+\.[0-9]+)(/|$)`)

// StripVersion splits an optional leading /vNN.N off path. It returns the
// rest (at least "/") and the version ("" when there was none).
func StripVersion(path string) (rest, version string) {
	m := versionRe.FindStringSubmatch(path)
	if m == nil {
		return path, ""
	}
	rest = path[len(m[1])+1:]
	if rest == "" {
		rest = "/"
	}
	return rest, m[1]
}

// ParseCall reads r's parameters and token. The body is consumed (at most
// MaxBodyBytes); GET and HEAD bodies are ignored. The error, if any, is a
// ready-to-write code 100 Graph error.
func ParseCall(r *http.Request) (*Call, *Error) {
	c := &Call{Params: url.Values{}, seen: r.URL.Path}
	c.Path, c.Version = StripVersion(r.URL.Path)
	for k, vs := range r.URL.Query() {
		c.Params[k] = append(c.Params[k], vs...)
	}
	queryToken := c.Params.Get("access_token")
	bodyToken, from := "", ""
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Body != nil {
		body, err := readBody(r)
		if err != nil {
			return c, &Error{Code: 100, Message: "(#100) " + err.Error()}
		}
		for k, vs := range body.values {
			c.Params[k] = append(c.Params[k], vs...)
		}
		bodyToken, from = body.values.Get("access_token"), body.kind
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	switch {
	case (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) && tok != "":
		c.Token, c.TokenFrom = tok, TokenFromHeader
	case queryToken != "":
		c.Token, c.TokenFrom = queryToken, TokenFromQuery
	case bodyToken != "":
		c.Token, c.TokenFrom = bodyToken, from
	}
	return c, nil
}

type parsedBody struct {
	values url.Values
	kind   string // TokenFromForm or TokenFromJSON
}

// readBody decodes a urlencoded, multipart or JSON body. A body without a
// Content-Type is read as urlencoded, as curl -d sends it.
func readBody(r *http.Request) (parsedBody, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return parsedBody{}, errors.New("could not read the request body")
	}
	if len(raw) > MaxBodyBytes {
		return parsedBody{}, errors.New("the request body is larger than 1 MiB")
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(bytes.TrimSpace(raw)) == 0:
		return parsedBody{values: url.Values{}, kind: TokenFromForm}, nil
	case ct == "application/json":
		v, err := jsonValues(raw)
		return parsedBody{values: v, kind: TokenFromJSON}, err
	case ct == "multipart/form-data":
		v, err := multipartValues(raw, params["boundary"])
		return parsedBody{values: v, kind: TokenFromForm}, err
	default:
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return parsedBody{}, errors.New("the form body is malformed")
		}
		return parsedBody{values: v, kind: TokenFromForm}, nil
	}
}

func multipartValues(raw []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, errors.New("the multipart body has no boundary")
	}
	form, err := multipart.NewReader(bytes.NewReader(raw), boundary).ReadForm(MaxBodyBytes)
	if err != nil {
		return nil, errors.New("the multipart body is malformed")
	}
	defer form.RemoveAll()
	return url.Values(form.Value), nil
}

// jsonValues flattens a JSON object into parameters: strings stay as they
// are, numbers keep their literal, booleans become "true" or "false", an
// array of scalars becomes a comma-separated list (so "children" may be a
// JSON array) and other values their compact JSON text.
func jsonValues(raw []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, errors.New("the JSON body is not a JSON object")
	}
	v := url.Values{}
	for k, x := range obj {
		v.Set(k, jsonParam(x))
	}
	return v, nil
}

func jsonParam(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(t)
				return string(b)
			}
			parts = append(parts, jsonParam(e))
		}
		return strings.Join(parts, ",")
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

type callKey struct{}

// WithCall returns a shallow copy of r whose path is c.Path (the version
// prefix removed), whose body is empty (ParseCall consumed it) and whose
// context carries c for CallFrom.
func WithCall(r *http.Request, c *Call) *http.Request {
	r2 := r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	u := *r.URL
	u.Path, u.RawPath = c.Path, ""
	r2.URL = &u
	r2.Body = http.NoBody
	return r2
}

// CallFrom returns the Call WithCall stored in r, or an empty Call.
func CallFrom(r *http.Request) *Call {
	if c, ok := r.Context().Value(callKey{}).(*Call); ok {
		return c
	}
	return &Call{Path: r.URL.Path, Params: url.Values{}}
}

// BaseURL returns configured when set, else the absolute URL under which r
// reached the simulator: scheme and Host, plus the prefix an
// http.StripPrefix in front of it removed (read from r.RequestURI).
func BaseURL(r *http.Request, configured string) string {
	if configured != "" {
		return strings.TrimSuffix(configured, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	seen := r.URL.Path
	if c, ok := r.Context().Value(callKey{}).(*Call); ok && c.seen != "" {
		seen = c.seen
	}
	prefix := ""
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		if p, ok := strings.CutSuffix(u.Path, seen); ok {
			prefix = strings.TrimSuffix(p, "/")
		}
	}
	return scheme + "://" + r.Host + prefix
}
