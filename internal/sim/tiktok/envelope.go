package tiktok

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// An apiError is one error of the API v2 envelope
// {"data":{},"error":{"code","message","log_id"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// The error codes of the envelope (docs/platforms/tiktok-x.md §1.3, §1.5).
const (
	codeOK                  = "ok"
	codeTokenInvalid        = "access_token_invalid"
	codeScopeNotAuthorized  = "scope_not_authorized"
	codeScopeMissed         = "scope_permission_missed"
	codeInvalidParams       = "invalid_params"
	codeRateLimit           = "rate_limit_exceeded"
	codeInternal            = "internal_error"
	codeTooManyPosts        = "spam_risk_too_many_posts"
	codeBanned              = "spam_risk_user_banned_from_posting"
	codeActiveUserCap       = "reached_active_user_cap"
	codeUnaudited           = "unaudited_client_can_only_post_to_private_accounts"
	codeURLUnverified       = "url_ownership_unverified"
	codePrivacyMismatch     = "privacy_level_option_mismatch"
	codePendingShares       = "spam_risk_too_many_pending_share"
	codeInvalidPublishID    = "invalid_publish_id"
	codeNotYourPublish      = "token_not_authorized_for_specified_publish_id"
	codeNotCancellable      = "publish_not_cancellable"
	codeInvalidFileUpload   = "invalid_file_upload"
	msgTokenInvalid         = "The access token is invalid or not found in the request."
	msgRateLimit            = "The API rate limit was exceeded. Please try again later."
	msgInternal             = "Something went wrong. Please try again later."
	msgScopeNotAuthorized   = "The user did not authorize the scope required for completing this request."
	msgTooManyPosts         = "The daily post cap of this creator has been reached. Please try again tomorrow."
	msgBanned               = "This creator is banned from posting."
	msgActiveUserCap        = "The number of creators who can post through this unaudited client in 24 hours has been reached."
	msgPendingShares        = "At most 5 pending shares are allowed within 24 hours."
	msgUnaudited            = "Unaudited clients can only post to private accounts with privacy_level SELF_ONLY."
	msgPrivacyMismatch      = "privacy_level is not one of the creator's privacy_level_options."
	msgInvalidPublishID     = "The publish_id does not exist."
	msgNotYourPublish       = "The access token is not authorized for the specified publish_id."
	msgURLOwnershipRequired = "The domain or URL prefix of the media URL has not been verified for this client."
)

func errParams(msg string) apiError {
	return apiError{Status: http.StatusBadRequest, Code: codeInvalidParams, Message: msg}
}

func errForbidden(code, msg string) apiError {
	return apiError{Status: http.StatusForbidden, Code: code, Message: msg}
}

var (
	errTokenInvalid = apiError{Status: http.StatusUnauthorized, Code: codeTokenInvalid, Message: msgTokenInvalid}
	errScope        = apiError{Status: http.StatusUnauthorized, Code: codeScopeNotAuthorized, Message: msgScopeNotAuthorized}
	errRateLimit    = apiError{Status: http.StatusTooManyRequests, Code: codeRateLimit, Message: msgRateLimit}
)

// envelope is the body of every Content Posting, Display and user info
// answer.
type envelope struct {
	Data  any      `json:"data"`
	Error errorObj `json:"error"`
}

type errorObj struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	LogID   string `json:"log_id"`
}

// writeData answers 200 with data and error code "ok".
func (s *Sim) writeData(w http.ResponseWriter, data any) {
	s.writeEnvelope(w, http.StatusOK, data, codeOK, "")
}

// writeErr answers e with an empty data object.
func (s *Sim) writeErr(w http.ResponseWriter, e apiError) {
	s.writeEnvelope(w, e.Status, struct{}{}, e.Code, e.Message)
}

func (s *Sim) writeEnvelope(w http.ResponseWriter, status int, data any, code, msg string) {
	id := s.logID()
	w.Header().Set("X-Tt-Logid", id)
	writeJSON(w, status, envelope{Data: data, Error: errorObj{Code: code, Message: msg, LogID: id}})
}

// writeOAuthError answers the flat OAuth error of Login Kit.
func (s *Sim) writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	id := s.logID()
	w.Header().Set("X-Tt-Logid", id)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc, "log_id": id})
}

// logID returns a TikTok-like log id: the time to the second (of
// Options.Now, so that it may be called under s.mu) and 20 upper-case hex
// digits.
func (s *Sim) logID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return s.opts.Now().UTC().Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b))
}

// writeJSON writes v as JSON with Content-Type application/json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "tiktok sim: encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeJSON decodes a JSON request body into v; the error is ready to
// write. An empty body decodes as {}.
func decodeJSON(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		e := errParams("the request body is not valid JSON for this endpoint: " + err.Error())
		return &e
	}
	return nil
}
