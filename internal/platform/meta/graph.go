package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Graph sends calls to one Graph API host.
type Graph struct {
	// Platform names the network in errors and logs.
	Platform snsos.Platform
	// HTTP is the shared outbound client.
	HTTP *platform.HTTPClient
	// Base is the host's URL without a trailing slash, e.g.
	// "https://graph.instagram.com" (or a simulator's base URL).
	Base string
	// Version is the path prefix of versioned calls, e.g. "v25.0"; empty
	// sends unversioned paths.
	Version string
	// Now is the clock for waits; nil means the HTTP client's.
	Now func() time.Time
}

// Call is one Graph call.
type Call struct {
	// Op names the call in errors ("create container").
	Op string
	// Method is GET or POST; Path is below the version, e.g. "/me" or
	// "/17841400000000001/media".
	Method, Path string
	// Params go in the query string of a GET and the form body of a POST.
	Params url.Values
	// Token is sent as "Authorization: Bearer …".
	Token snsos.Secret
	// Mutating marks a call that can leave something live (publish,
	// reply, comment); see the package documentation.
	Mutating bool
	// Unversioned sends Path without the version prefix (the token
	// endpoints).
	Unversioned bool
	// Redact lists more secrets that appear in Params.
	Redact []string
}

// URL returns the absolute URL of path under the graph's version.
func (g *Graph) URL(path string, unversioned bool) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if g.Version != "" && !unversioned {
		path = "/" + g.Version + path
	}
	return strings.TrimRight(g.Base, "/") + path
}

func (g *Graph) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return g.HTTP.Now()
}

// Do sends c and decodes a 2xx JSON answer into v (which may be nil). A
// refusal is a classified *platform.Error (Classify); an answer that is
// not JSON, or that is an error envelope with a 2xx status, is too.
func (g *Graph) Do(ctx context.Context, c Call, v any) error {
	resp, err := g.Send(ctx, c)
	if err != nil {
		return err
	}
	return g.Decode(resp, v)
}

// Send sends c and returns the response whatever its status; only a
// failure to get a complete response is an error.
func (g *Graph) Send(ctx context.Context, c Call) (*platform.Response, error) {
	r := &platform.Request{Platform: g.Platform, Op: c.Op, Method: c.Method, URL: g.URL(c.Path, c.Unversioned),
		Token: c.Token, Mutating: c.Mutating, Redact: c.Redact}
	switch c.Method {
	case "", "GET":
		r.Method = "GET"
		if len(c.Params) > 0 {
			r.URL += "?" + c.Params.Encode()
		}
	default:
		r.Body = strings.NewReader(c.Params.Encode())
		r.ContentType = "application/x-www-form-urlencoded"
	}
	return g.HTTP.Do(ctx, r)
}

// Decode checks a response and decodes its JSON body into v (nil: only
// check it).
func (g *Graph) Decode(resp *platform.Response, v any) error {
	if !resp.OK() {
		return Classify(resp, g.now())
	}
	if ge := ParseError(resp.Body); ge != nil && (ge.Code != 0 || ge.Type != "") {
		return Classify(resp, g.now())
	}
	if !jsonish(resp) {
		return resp.BadResponse("expected JSON, got " + resp.ContentType())
	}
	if v == nil {
		return nil
	}
	if err := platform.Unmarshal(resp.Body, v); err != nil {
		return resp.BadResponse("malformed JSON: " + err.Error())
	}
	return nil
}

// jsonish accepts the content types Graph hosts have been seen to label
// JSON with (older hosts say text/javascript).
func jsonish(resp *platform.Response) bool {
	switch ct := resp.ContentType(); ct {
	case "", "text/plain", "text/javascript", "application/javascript":
		return true
	default:
		return resp.IsJSON()
	}
}

// Token is a token endpoint's answer.
type Token struct {
	AccessToken string
	TokenType   string
	// ExpiresIn is the lifetime in seconds (0 when not given: a
	// short-lived code-exchange token, valid one hour).
	ExpiresIn int64
	// UserID is the user the token belongs to, as a decimal string.
	UserID string
	// Permissions are the scopes granted (nil when not given).
	Permissions []string
}

type tokenJSON struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.Number     `json:"expires_in"`
	UserID      platform.ID     `json:"user_id"`
	Permissions json.RawMessage `json:"permissions"`
}

// DecodeToken reads a token answer, flat or wrapped in {"data":[…]}.
func DecodeToken(body []byte) (*Token, error) {
	var wrapped struct {
		Data []json.RawMessage `json:"data"`
	}
	obj := body
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Data) > 0 {
		obj = wrapped.Data[0]
	}
	var t tokenJSON
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("token answer: %w", err)
	}
	if t.AccessToken == "" {
		return nil, errors.New("token answer: no access_token")
	}
	out := &Token{AccessToken: t.AccessToken, TokenType: t.TokenType, UserID: t.UserID.String()}
	if t.ExpiresIn != "" {
		n, err := t.ExpiresIn.Int64()
		if err != nil {
			f, ferr := t.ExpiresIn.Float64()
			if ferr != nil {
				return nil, fmt.Errorf("token answer: expires_in %q", t.ExpiresIn)
			}
			n = int64(f)
		}
		out.ExpiresIn = n
	}
	out.Permissions = permissions(t.Permissions)
	return out, nil
}

// permissions reads a list or a comma-separated string.
func permissions(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var csv string
	if json.Unmarshal(raw, &csv) != nil {
		return nil
	}
	for _, p := range strings.Split(csv, ",") {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	return list
}

// Missing returns the scopes of want that granted lacks (granted nil: the
// platform did not say, so nothing is known to be missing).
func Missing(want, granted []string) []string {
	if granted == nil {
		return nil
	}
	have := map[string]bool{}
	for _, g := range granted {
		have[strings.TrimSpace(g)] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

// DecodeInsights reads an insights answer into metric name → value. Each
// entry's value is values[0].value, else total_value.value; entries whose
// value is not an integer (breakdowns, objects) are skipped. An empty
// "data" gives an empty map: the platform has no numbers yet.
func DecodeInsights(body []byte) (map[string]int64, error) {
	var env struct {
		Data []struct {
			Name   string `json:"name"`
			Values []struct {
				Value json.RawMessage `json:"value"`
			} `json:"values"`
			TotalValue *struct {
				Value json.RawMessage `json:"value"`
			} `json:"total_value"`
		} `json:"data"`
	}
	if err := platform.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("insights answer: %w", err)
	}
	out := make(map[string]int64, len(env.Data))
	for _, d := range env.Data {
		var raw json.RawMessage
		switch {
		case len(d.Values) > 0:
			raw = d.Values[len(d.Values)-1].Value
		case d.TotalValue != nil:
			raw = d.TotalValue.Value
		}
		var n json.Number
		if d.Name == "" || json.Unmarshal(raw, &n) != nil {
			continue
		}
		if v, err := n.Int64(); err == nil {
			out[d.Name] = v
		} else if f, err := n.Float64(); err == nil {
			out[d.Name] = int64(f)
		}
	}
	return out, nil
}

// TimeLayout is the Graph timestamp layout, e.g. 2026-10-01T12:00:00+0000.
const TimeLayout = "2006-01-02T15:04:05-0700"

// ParseTime reads a Graph timestamp (also RFC 3339); the zero time when s
// is neither.
func ParseTime(s string) time.Time {
	for _, layout := range []string{TimeLayout, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Paging is the cursor block of a Graph list answer.
type Paging struct {
	Cursors struct {
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"cursors"`
	Next string `json:"next"`
}

// More reports whether another page follows, and its cursor.
func (p *Paging) More() (string, bool) {
	if p == nil || p.Next == "" || p.Cursors.After == "" {
		return "", false
	}
	return p.Cursors.After, true
}

// SameText reports whether a caption read back from the platform is the
// text sns-os sent: equal after trimming and collapsing white space (the
// platform may normalise line ends and trailing space).
func SameText(sent, got string) bool {
	return strings.Join(strings.Fields(sent), " ") == strings.Join(strings.Fields(got), " ")
}
