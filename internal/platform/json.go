package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadResponse matches a response whose body could not be understood:
// wrong content type, malformed or truncated JSON, missing fields.
var ErrBadResponse = errors.New("platform: unexpected response")

// IsJSON reports whether the response declares a JSON body
// (application/json, application/problem+json or any +json type).
func (r *Response) IsJSON() bool {
	ct := r.ContentType()
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// DecodeJSON decodes the body into v. Numbers decode as json.Number (or
// exactly into integer fields), never through float64, so ids above 2^53
// survive. A body that is not JSON (an HTML error page, say), is malformed,
// truncated or followed by garbage gives an *Error matching ErrBadResponse:
// for a 2xx answer to a mutating call its kind is KindOutcomeUnknown (the
// change probably happened but we cannot read its result), for other 2xx
// answers KindTransient, and for error statuses the status's kind.
func DecodeJSON(r *Response, v any) error {
	ct := r.ContentType()
	if !r.IsJSON() && ct != "" && ct != "text/plain" {
		return r.badResponse(fmt.Sprintf("expected JSON, got %s", describeBody(ct, r.Body)))
	}
	if err := decodeStrict(r.Body, v); err != nil {
		return r.badResponse("malformed JSON: " + err.Error())
	}
	return nil
}

// Unmarshal decodes one JSON document from b into v with UseNumber and
// rejects trailing data. It is DecodeJSON without a response, for fuzzing
// and fixtures.
func Unmarshal(b []byte, v any) error { return decodeStrict(b, v) }

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("body empty or cut short")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON document")
	}
	return nil
}

func (r *Response) badResponse(reason string) *Error {
	kind := StatusKind(r.StatusCode, r.Mutating())
	if r.OK() || kind == 0 {
		kind = ambiguous(r.Mutating())
	}
	e := r.Error(kind, "", reason)
	e.Err = ErrBadResponse
	return e
}

// BadResponse returns a classified error for a body that decoded but lacks
// what the client needs (a missing id, say), like DecodeJSON's errors.
func (r *Response) BadResponse(reason string) *Error { return r.badResponse(reason) }

func describeBody(ct string, b []byte) string {
	if ct == "text/html" || bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")) {
		return ct + " (an HTML page, probably a proxy or outage error)"
	}
	return ct
}

// ID is a platform object id. It decodes from a JSON string or a JSON
// integer without going through float64, so ids larger than 2^53 keep every
// digit. It rejects anything else (fractions, exponents, objects).
type ID string

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case len(b) > 0 && isDigits(b):
		*id = ID(b)
		return nil
	}
	return fmt.Errorf("id: want a string or an integer, got %.40s", b)
}

// String returns the id.
func (id ID) String() string { return string(id) }

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// ValidNumericID reports whether s is a decimal id of 1 to 19 digits (the
// X id syntax, ^[0-9]{1,19}$).
func ValidNumericID(s string) bool { return len(s) <= 19 && isDigits([]byte(s)) }
