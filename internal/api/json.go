package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// writeJSONAs is the one JSON writer: every response body of the API, a
// problem document included, is written here, never cached and never
// sniffed.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	encodeJSON(w, v)
}

func encodeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // a write error means the client went away; nothing to tell it
}

// list is the shape of every list response.
type list[T any] struct {
	Items []T `json:"items"`
	// NextBefore, when set, is the "before" value of the next page.
	NextBefore int64 `json:"next_before,omitempty"`
}

func newList[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items}
}

// decodeJSON reads the request body into v: application/json, at most
// MaxJSONBytes, no unknown fields, exactly one JSON value. Its errors name
// the field when the decoder knows it.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxJSONBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return snsos.Errorf(snsos.EINVALID, "The body must hold exactly one JSON value; there is more after it.")
	}
	return nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return snsos.Errorf(eUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json.")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return snsos.Errorf(eUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return snsos.WrapError(snsos.ETOOLARGE, err, fmt.Sprintf("The body is larger than %d bytes.", mbe.Limit))
	case errors.Is(err, io.EOF):
		return snsos.Errorf(snsos.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return snsos.Errorf(snsos.EINVALID, "The body is not valid JSON: it ends early.")
	case errors.As(err, &syntax):
		return snsos.Errorf(snsos.EINVALID, "The body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return snsos.Errorf(snsos.EINVALID, "The body must be a JSON object.")
		}
		return invalid(typ.Field, "type", "must be %s, not %s", kindOf(typ.Type), typ.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return invalid(name, "unknown", "is not a known field")
	}
	return snsos.WrapError(snsos.EINVALID, err, "The body is not valid JSON.")
}

// kindOf names a Go type as a JSON kind, for error messages.
func kindOf(t reflect.Type) string {
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// pathID parses the {id} path value: a positive integer, else ENOTFOUND
// naming what was looked for.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, snsos.Errorf(snsos.ENOTFOUND, "%s not found: ids are positive integers", what)
	}
	return id, nil
}

// localTimeLayout matches RFC 3339 without its zone, to tell the caller
// precisely what is missing.
const localTimeLayout = "2006-01-02T15:04:05.999999999"

// parseTime parses an RFC 3339 time that must carry a zone offset ("Z" or
// "+09:00"). Its error names field.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	if _, lerr := time.Parse(localTimeLayout, s); lerr == nil {
		return time.Time{}, invalid(field, "timezone", "include a time zone offset, e.g. 2026-12-24T09:00:00+09:00 or 2026-12-24T00:00:00Z")
	}
	return time.Time{}, invalid(field, "format", "must be an RFC 3339 time with a zone offset, e.g. 2026-12-24T09:00:00+09:00")
}

// queryInt parses an optional positive integer query parameter.
func queryInt(r *http.Request, name string, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || (max > 0 && n > max) {
		if max > 0 {
			return 0, invalid(name, "range", "must be an integer from 1 to %d", max)
		}
		return 0, invalid(name, "positive", "must be a positive integer")
	}
	return n, nil
}
