package graph

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseFields splits a fields parameter on its top-level commas and
// returns the field names, dropping nested selections such as the
// "{id,media_url}" of "children{id,media_url}".
func ParseFields(s string) []string {
	var out []string
	depth, start := 0, 0
	add := func(end int) {
		f := strings.TrimSpace(s[start:end])
		if i := strings.IndexByte(f, '{'); i >= 0 {
			f = f[:i]
		}
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for i, c := range s {
		switch {
		case c == '{':
			depth++
		case c == '}' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			add(i)
			start = i + 1
		}
	}
	add(len(s))
	return out
}

// CheckFields returns the code 100 error Graph gives for the first field
// that is not in allowed, or nil.
func CheckFields(fields, allowed []string, node string) *Error {
	for _, f := range fields {
		if !slices.Contains(allowed, f) {
			e := InvalidParam(TypeOAuth, "Tried accessing nonexisting field ("+f+") on node type ("+node+")")
			return &e
		}
	}
	return nil
}

// A PageRequest is the paging parameters of a list edge.
type PageRequest struct {
	Limit         int
	After, Before string // ids decoded from the cursors, "" if absent
}

// ParsePage reads limit (default def, at most maxLimit), after and before.
func ParsePage(p url.Values, def, maxLimit int, typ string) (PageRequest, *Error) {
	pr := PageRequest{Limit: def}
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			e := InvalidParam(typ, "Param limit must be a positive integer")
			return pr, &e
		}
		pr.Limit = min(n, maxLimit)
	}
	for name, dst := range map[string]*string{"after": &pr.After, "before": &pr.Before} {
		if v := p.Get(name); v != "" {
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || len(b) == 0 {
				e := InvalidParam(typ, "Param "+name+" is not a valid cursor")
				return pr, &e
			}
			*dst = string(b)
		}
	}
	return pr, nil
}

// Cursor returns the opaque paging cursor of an id.
func Cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// Slice returns the bounds of the page of ids (in list order) that the
// request asks for: the Limit ids after After, or before Before, or the
// first ones. An unknown cursor gives an empty page.
func (p PageRequest) Slice(ids []string) (from, to int) {
	switch {
	case p.After != "":
		i := slices.Index(ids, p.After)
		if i < 0 {
			return len(ids), len(ids)
		}
		from = i + 1
	case p.Before != "":
		i := slices.Index(ids, p.Before)
		if i < 0 {
			return 0, 0
		}
		return max(0, i-p.Limit), i
	}
	return from, min(len(ids), from+p.Limit)
}

// Paging returns the "paging" member of a list answer for ids[from:to]: the
// cursors, and next and previous URLs when there are more items. The URLs
// repeat the request's parameters, including an access_token it sent in
// the query string, as Graph does.
func Paging(r *http.Request, base string, ids []string, from, to int) map[string]any {
	if from >= to {
		return map[string]any{"cursors": map[string]string{}}
	}
	out := map[string]any{"cursors": map[string]string{"before": Cursor(ids[from]), "after": Cursor(ids[to-1])}}
	c := CallFrom(r)
	link := func(name, id string) string {
		q := url.Values{}
		for k, vs := range c.Params {
			if k != "after" && k != "before" && (k != "access_token" || c.TokenFrom == TokenFromQuery) {
				q[k] = vs
			}
		}
		q.Set(name, Cursor(id))
		path := c.Path
		if c.Version != "" {
			path = "/" + c.Version + path
		}
		return base + path + "?" + q.Encode()
	}
	if to < len(ids) {
		out["next"] = link("after", ids[to-1])
	}
	if from > 0 {
		out["previous"] = link("before", ids[from])
	}
	return out
}

// A ListSpec says how a simulator's media list edges check their
// parameters.
type ListSpec struct {
	// Node and Fields name the listed node type and its fields.
	Node   string
	Fields []string
	// PageType is the envelope type of paging errors. FieldType is that of
	// unknown fields; "" keeps OAuthException.
	PageType, FieldType string
	// TimeError is the error for since or until not in Unix seconds.
	TimeError Error
}

// A ListQuery is the parsed parameters of a media list edge.
type ListQuery struct {
	Fields []string
	Page   PageRequest
	// Since and Until bound the creation times; zero when absent.
	Since, Until time.Time
}

// Parse reads fields (default id), limit (default 25, at most 100),
// after/before cursors and since/until (Unix seconds).
func (ls ListSpec) Parse(p url.Values) (ListQuery, *Error) {
	q := ListQuery{Fields: ParseFields(p.Get("fields"))}
	if len(q.Fields) == 0 {
		q.Fields = []string{"id"}
	}
	pr, gerr := ParsePage(p, 25, 100, ls.PageType)
	if gerr != nil {
		return q, gerr
	}
	q.Page = pr
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := p.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				e := ls.TimeError
				return q, &e
			}
			*dst = time.Unix(n, 0)
		}
	}
	gerr = CheckFields(q.Fields, ls.Fields, ls.Node)
	if gerr != nil && ls.FieldType != "" {
		gerr.Type = ls.FieldType
	}
	return q, gerr
}

// Within reports whether t lies in [Since, Until).
func (q ListQuery) Within(t time.Time) bool {
	return !t.Before(q.Since) && (q.Until.IsZero() || t.Before(q.Until))
}

// WritePage writes the page of ids that pr asks for as
// {"data":[…],"paging":{…}}, item(i) rendering ids[i].
func WritePage(w http.ResponseWriter, r *http.Request, base string, pr PageRequest, ids []string, item func(i int) map[string]any) {
	from, to := pr.Slice(ids)
	data := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		data = append(data, item(i))
	}
	WriteJSON(w, http.StatusOK, map[string]any{"data": data, "paging": Paging(r, base, ids, from, to)})
}
