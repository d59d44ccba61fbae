package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serveFault answers r according to f. body is the request body ServeHTTP
// read (nil for an upload PUT).
func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, body []byte, f *Fault) {
	s.log.Info("tiktok sim: injecting fault", "kind", string(f.Kind), "method", r.Method, "path", r.URL.Path)
	oauth := strings.HasPrefix(r.URL.Path, "/v2/oauth/")
	switch f.Kind {
	case FaultStatus:
		s.writeStatusFault(w, r, f)
	case FaultHTML:
		status := orDefault(f.Status, http.StatusServiceUnavailable)
		if f.Body == "" {
			f.Body = "<!DOCTYPE html><html><head><title>" + http.StatusText(status) +
				"</title></head><body><h1>" + strconv.Itoa(status) + "</h1><p>Service temporarily unavailable.</p></body></html>\n"
			f.ContentType = "text/html; charset=utf-8"
		}
		writeBody(w, status, f)
	case FaultHang:
		s.hang(r.Context())
	case FaultRateLimit:
		if oauth {
			s.writeOAuthError(w, http.StatusTooManyRequests, "temporarily_unavailable", orText(f.Message, msgRateLimit))
			return
		}
		s.writeErr(w, apiError{Status: http.StatusTooManyRequests, Code: codeRateLimit, Message: orText(f.Message, msgRateLimit)})
	case FaultUnauthorized:
		if oauth {
			s.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", orText(f.Message, descBadRefresh))
			return
		}
		s.writeErr(w, apiError{Status: http.StatusUnauthorized, Code: codeTokenInvalid, Message: orText(f.Message, msgTokenInvalid)})
	case FaultSpamRisk:
		status := http.StatusForbidden
		if strings.HasPrefix(r.URL.Path, "/v2/post/publish/creator_info/") {
			status = http.StatusOK
		}
		s.writeErr(w, apiError{Status: orDefault(f.Status, status), Code: orText(f.Code, codeTooManyPosts),
			Message: orText(f.Message, msgTooManyPosts)})
	case FaultUploadURLExpired:
		s.expireUpload(r)
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxLastChunk))
		s.writeErr(w, apiError{Status: http.StatusForbidden, Code: codeUploadExpired,
			Message: orText(f.Message, "the upload_url expired; init a new upload")})
	case FaultProcessingFailed:
		s.failProcessing(w, r, body, orText(f.FailReason, "internal"))
	case FaultHangAfterCommit, FaultStatusAfterCommit, FaultTruncated:
		s.afterCommit(w, r, f)
	}
}

// afterCommit runs r to completion, then spoils the answer.
func (s *Sim) afterCommit(w http.ResponseWriter, r *http.Request, f *Fault) {
	rec := &buffered{header: make(http.Header)}
	s.mux.ServeHTTP(rec, r)
	switch f.Kind {
	case FaultHangAfterCommit:
		s.hang(r.Context())
	case FaultStatusAfterCommit:
		s.writeStatusFault(w, r, f)
	case FaultTruncated:
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		b := rec.body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(rec.statusCode())
		_, _ = w.Write(b[:len(b)/2])
	}
}

// writeStatusFault writes a server-side failure.
func (s *Sim) writeStatusFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	status := orDefault(f.Status, http.StatusServiceUnavailable)
	switch {
	case f.Body != "":
		writeBody(w, status, f)
	case strings.HasPrefix(r.URL.Path, "/v2/oauth/"):
		s.writeOAuthError(w, status, "server_error", orText(f.Message, msgInternal))
	default:
		s.writeErr(w, apiError{Status: status, Code: orText(f.Code, codeInternal), Message: orText(f.Message, msgInternal)})
	}
}

// expireUpload ends the upload_url a PUT names, if any.
func (s *Sim) expireUpload(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.byUpload[r.URL.Query().Get("upload_id")]; p != nil {
		p.up.expires = s.now()
	}
}

// failProcessing marks the publish r names, or the one it creates, to end
// FAILED with reason, and serves r normally.
func (s *Sim) failProcessing(w http.ResponseWriter, r *http.Request, body []byte, reason string) {
	var named struct {
		PublishID string `json:"publish_id"`
	}
	_ = json.Unmarshal(body, &named)
	s.mu.Lock()
	p := s.pubByID[named.PublishID]
	if up := s.byUpload[r.URL.Query().Get("upload_id")]; p == nil && up != nil {
		p = up
	}
	if p != nil {
		p.forced = reason
	}
	s.mu.Unlock()
	if p != nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &buffered{header: make(http.Header)}
	s.mux.ServeHTTP(rec, r)
	var created struct {
		Data struct {
			PublishID string `json:"publish_id"`
		} `json:"data"`
	}
	if json.Unmarshal(rec.body.Bytes(), &created) == nil {
		s.mu.Lock()
		if p := s.pubByID[created.Data.PublishID]; p != nil {
			p.forced = reason
		}
		s.mu.Unlock()
	}
	rec.replay(w)
}

// hang blocks until ctx is done or the Sim is closed.
func (s *Sim) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
}

func writeBody(w http.ResponseWriter, status int, f *Fault) {
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// orText returns v, or def when v is "".
func orText(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// buffered holds an answer so that a fault can spoil it after the handler
// ran.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *buffered) statusCode() int { return orDefault(b.status, http.StatusOK) }

// replay writes the buffered answer to w unchanged.
func (b *buffered) replay(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.statusCode())
	_, _ = w.Write(b.body.Bytes())
}
