package graphtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// A Resp is an answer of the simulator.
type Resp struct {
	Status int
	Header http.Header
	Raw    []byte
	// Body is Raw decoded as a JSON object (numbers as json.Number), nil
	// when it is not one.
	Body map[string]any
}

// Parse decodes a JSON answer body.
func Parse(b []byte) Resp {
	r := Resp{Raw: b}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&r.Body)
	return r
}

// Str walks the JSON body by keys and array indexes and returns the
// value as text ("" when missing).
func (r Resp) Str(path ...string) string {
	var v any = r.Body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ErrCode returns error.code and error.error_subcode as "code/subcode".
func (r Resp) ErrCode() string {
	return r.Str("error", "code") + "/" + r.Str("error", "error_subcode")
}

// A Multipart is a multipart/form-data body for Do.
type Multipart struct {
	data        []byte
	contentType string
}

// MultipartOf encodes fields as a multipart form.
func MultipartOf(fields map[string]string) Multipart {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	return Multipart{data: buf.Bytes(), contentType: mw.FormDataContentType()}
}

// Do sends a request to the simulator with the token as a Bearer header;
// body may be nil, url.Values (form), Multipart or any JSON value.
func (e *Env[U]) Do(method, path, token string, body any) Resp {
	e.T.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case Multipart:
		rd, ct = bytes.NewReader(b.data), b.contentType
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.Srv.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(req)
}

// Send sends req with HTTP and reads the answer.
func (e *Env[U]) Send(req *http.Request) Resp {
	e.T.Helper()
	res, err := e.HTTP.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("read body: %v", err)
	}
	r := Parse(raw)
	r.Status, r.Header = res.StatusCode, res.Header
	return r
}

// Expect fails the test unless r has status.
func (e *Env[U]) Expect(r Resp, status int) Resp {
	e.T.Helper()
	if r.Status != status {
		e.T.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
	}
	return r
}

// ExpectErr checks a Graph error's HTTP status and "code/subcode".
func (e *Env[U]) ExpectErr(r Resp, status int, code string) Resp {
	e.T.Helper()
	e.Expect(r, status)
	if got := r.ErrCode(); got != code {
		e.T.Fatalf("error code/subcode = %s, want %s; body %s", got, code, r.Raw)
	}
	if r.Str("error", "fbtrace_id") == "" || r.Str("error", "message") == "" {
		e.T.Fatalf("error envelope lacks fbtrace_id or message: %s", r.Raw)
	}
	return r
}

// Create makes a container of u and returns its id.
func (e *Env[U]) Create(u U, token string, params map[string]any) string {
	e.T.Helper()
	r := e.Expect(e.Do(http.MethodPost, e.API.Version+"/"+e.API.Owner(u)+"/"+e.API.CreateEdge, token, params), 200)
	return r.Str("id")
}

// Status polls a container and returns its API.StatusField.
func (e *Env[U]) Status(id, token string) string {
	e.T.Helper()
	path := e.API.Version + "/" + id + "?fields=" + e.API.StatusFields
	return e.Expect(e.Do(http.MethodGet, path, token, nil), 200).Str(e.API.StatusField)
}

// Publish publishes a container of u and returns the answer.
func (e *Env[U]) Publish(u U, token, container string) Resp {
	e.T.Helper()
	path := e.API.Version + "/" + e.API.Owner(u) + "/" + e.API.PublishEdge + "?creation_id=" + container
	return e.Do(http.MethodPost, path, token, nil)
}
