package graph

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Error types of the envelope.
const (
	TypeOAuth   = "OAuthException"
	TypeIGAPI   = "IGApiException"
	TypeThreads = "THApiException"
)

// An Error is a Graph API error. WriteError renders it as
//
//	{"error":{"message":…,"type":…,"code":N,"error_subcode":N,"is_transient":b,
//	          "error_user_title":…,"error_user_msg":…,"fbtrace_id":…}}
//
// leaving out the zero optional members.
type Error struct {
	// Status is the HTTP status; 0 means 400.
	Status int
	// Message is error.message.
	Message string
	// Type is error.type; "" means OAuthException.
	Type string
	// Code and Subcode are error.code and error.error_subcode (0 omits
	// the subcode).
	Code, Subcode int
	// Transient, when not nil, is error.is_transient.
	Transient *bool
	// UserTitle and UserMsg are error_user_title and error_user_msg.
	UserTitle, UserMsg string
}

// Error returns the message, so that an *Error is an error.
func (e *Error) Error() string { return e.Message }

// Bool returns a pointer to b, for Error.Transient.
func Bool(b bool) *bool { return &b }

// WriteError writes e in the Graph envelope with a fresh fbtrace_id, also
// sent as the x-fb-trace-id header. Code 190 answers carry the
// WWW-Authenticate header Graph sends with them.
func WriteError(w http.ResponseWriter, e Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	typ := e.Type
	if typ == "" {
		typ = TypeOAuth
	}
	trace := TraceID()
	body := map[string]any{"message": e.Message, "type": typ, "code": e.Code, "fbtrace_id": trace}
	if e.Subcode != 0 {
		body["error_subcode"] = e.Subcode
	}
	if e.Transient != nil {
		body["is_transient"] = *e.Transient
	}
	if e.UserTitle != "" {
		body["error_user_title"] = e.UserTitle
	}
	if e.UserMsg != "" {
		body["error_user_msg"] = e.UserMsg
	}
	w.Header().Set("x-fb-trace-id", trace)
	if e.Code == 190 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+strings.ReplaceAll(e.Message, `"`, `'`)+`"`)
	}
	WriteJSON(w, status, map[string]any{"error": body})
}

// WriteOAuthError writes the flat envelope of the authorization-code
// exchange: HTTP 400 {"error_type":"OAuthException","code":400,"error_message":msg}.
func WriteOAuthError(w http.ResponseWriter, msg string) {
	WriteJSON(w, http.StatusBadRequest, map[string]any{
		"error_type": TypeOAuth, "code": 400, "error_message": msg,
	})
}

// WriteJSON writes v as JSON with the given status, and Content-Type
// application/json unless the caller set another.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "graph sim: encode response", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// TraceID returns a random fbtrace_id-like string.
func TraceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NotFound is the code 100, subcode 33 error for an id that does not
// exist, is not visible to the caller or does not support method.
func NotFound(method, id string) Error {
	return Error{Code: 100, Subcode: 33, Type: TypeOAuth, Message: "Unsupported " + strings.ToLower(method) +
		" request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, " +
		"or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"}
}

// UnknownPath is the code 2500 error for a path with extra components.
func UnknownPath(rest string) Error {
	return Error{Code: 2500, Message: "Unknown path components: " + rest}
}

// MissingParam is the code 100 error for a required parameter.
func MissingParam(typ, name string) Error {
	return Error{Code: 100, Type: typ, Message: "The parameter " + name + " is required."}
}

// InvalidParam is a code 100 error about one parameter; msg says what is
// wrong and how to fix it.
func InvalidParam(typ, msg string) Error {
	return Error{Code: 100, Type: typ, Message: "(#100) " + msg}
}

// NoToken is the error for a request without an access token.
func NoToken() Error {
	return Error{Code: 2500, Message: "An active access token must be used to query information about the current user."}
}

// BadToken is the error for a token the simulator never issued.
func BadToken() Error {
	return Error{Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"}
}

// expiryLayout is how Graph writes dates in token errors.
const expiryLayout = "Monday, 02-Jan-06 15:04:05 MST"

// Expired is the code 190, subcode 463 error for a token that expired (or
// was revoked) at when.
func Expired(when, now time.Time) Error {
	return Error{Code: 190, Subcode: 463, Message: "Error validating access token: Session has expired on " +
		when.UTC().Format(expiryLayout) + ". The current time is " + now.UTC().Format(expiryLayout) + "."}
}
