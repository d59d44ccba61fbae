package tiktok

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// bigVideo is an MP4-looking file of n bytes.
func bigVideo(n int) []byte {
	b := make([]byte, n)
	copy(b, mp4Head)
	for i := len(mp4Head); i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// initChunked starts a Direct Post of size bytes in chunks of chunk.
func (e *env) initChunked(token string, size, chunk int64) (string, string) {
	e.t.Helper()
	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", token, map[string]any{
		"post_info": postInfoOf("big", PrivacyPublic), "source_info": fileSource(size, chunk, size/chunk)}), 200, "ok")
	return r.str("data", "publish_id"), r.str("data", "upload_url")
}

func TestChunkedUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("ida")
	data := bigVideo(11*mib + 123) // chunks 0-5MiB, 5MiB-end (6 MiB + 123)
	pid, up := e.initChunked(tok, int64(len(data)), 5*mib)
	first := e.put(up, "video/mp4", fmt.Sprintf("bytes 0-%d/%d", 5*mib-1, len(data)), data[:5*mib])
	e.expect(first, http.StatusPartialContent, "")
	if got := first.header.Get("Content-Range"); got != fmt.Sprintf("bytes 0-%d/%d", 5*mib-1, len(data)) {
		t.Fatalf("progress Content-Range %q", got)
	}
	st := e.expect(e.status(tok, pid), 200, "ok")
	if st.str("data", "status") != StatusProcessingUpload || st.str("data", "uploaded_bytes") != fmt.Sprint(5*mib) {
		t.Fatalf("status mid-upload %s", st.raw)
	}
	last := fmt.Sprintf("bytes %d-%d/%d", 5*mib, len(data)-1, len(data))
	e.expect(e.put(up, "video/mp4", last, data[5*mib:]), http.StatusCreated, "")
	// A repeat of the last chunk (its 201 was lost) is answered again.
	e.expect(e.put(up, "video/mp4", last, data[5*mib:]), http.StatusCreated, "")
	e.clock.Advance(DefaultProcessingDuration - time.Second)
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusProcessingUpload {
		t.Fatalf("status while processing: %s", s)
	}
	e.clock.Advance(time.Second)
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusPublishComplete {
		t.Fatalf("status after processing: %s", s)
	}
	sum := sha256.Sum256(data)
	p := e.sim.Posts()[0]
	if p.SHA256 != hex.EncodeToString(sum[:]) || p.UploadedBytes != int64(len(data)) || p.VideoSize != int64(len(data)) {
		t.Fatalf("post %+v", p)
	}
}

func TestUploadRules(t *testing.T) {
	t.Parallel()
	const size = 10*mib + 7 // two chunks of 5 MiB, the last one 5 MiB + 7
	data := bigVideo(size)
	chunk0 := fmt.Sprintf("bytes 0-%d/%d", 5*mib-1, size)
	tests := []struct {
		name   string
		prep   bool // chunk 0 is uploaded first
		ctype  string
		rng    string
		body   []byte
		url    func(string) string
		status int
		code   string
	}{
		{name: "text/plain", rng: chunk0, body: data[:5*mib], ctype: "text/plain", status: 400, code: codeInvalidFileUpload},
		{name: "no Content-Range", body: data[:5*mib], status: 400, code: codeInvalidFileUpload},
		{name: "malformed range", rng: "bytes=0-5242879", body: data[:5*mib], status: 400, code: codeInvalidFileUpload},
		{name: "star total", rng: fmt.Sprintf("bytes 0-%d/*", 5*mib-1), body: data[:5*mib], status: 400, code: codeInvalidFileUpload},
		{name: "length differs from range", rng: chunk0, body: data[:5*mib-1], status: 400, code: codeInvalidFileUpload},
		{name: "wrong total", rng: fmt.Sprintf("bytes 0-%d/%d", 5*mib-1, size+1), body: data[:5*mib], status: 416, code: codeInvalidFileUpload},
		{name: "out of order", rng: fmt.Sprintf("bytes %d-%d/%d", 5*mib, size-1, size), body: data[5*mib:], status: 416, code: codeInvalidFileUpload},
		{name: "not the plan's chunk size", rng: fmt.Sprintf("bytes 0-%d/%d", 6*mib-1, size), body: data[:6*mib], status: 416, code: codeInvalidFileUpload},
		{name: "overlapping", prep: true, rng: fmt.Sprintf("bytes %d-%d/%d", 5*mib-10, size-1, size), body: data[5*mib-10:], status: 416, code: codeInvalidFileUpload},
		{name: "same range other bytes", prep: true, rng: chunk0, body: bytes.Repeat([]byte{1}, 5*mib), status: 416, code: codeInvalidFileUpload},
		{name: "wrong token", rng: chunk0, body: data[:5*mib], url: func(u string) string { return u[:strings.LastIndex(u, "=")+1] + "nope" },
			status: 404, code: codeUploadNotFound},
		{name: "unknown upload", rng: chunk0, body: data[:5*mib], url: func(u string) string {
			return strings.Replace(u, "upload_id=", "upload_id=9", 1)
		}, status: 404, code: codeUploadNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			_, tok := e.user("jon")
			pid, up := e.initChunked(tok, size, 5*mib)
			if tc.prep {
				e.expect(e.put(up, "video/mp4", chunk0, data[:5*mib]), 206, "")
			}
			if tc.url != nil {
				up = tc.url(up)
			}
			ctype := tc.ctype
			if ctype == "" {
				ctype = "video/mp4"
			}
			r := e.put(up, ctype, tc.rng, tc.body)
			e.expect(r, tc.status, tc.code)
			want := int64(0)
			if tc.prep {
				want = 5 * mib
			}
			if got := e.sim.Posts()[0]; got.UploadedBytes != want || got.Status != StatusProcessingUpload {
				t.Fatalf("after a refused chunk: %+v", got)
			}
			_ = pid
		})
	}
}

func TestUploadURLExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("kim")
	pid, up := e.initDirect(tok, "late", PrivacyPublic, mp4Head)
	e.clock.Advance(UploadURLTTL)
	cr := fmt.Sprintf("bytes 0-%d/%d", len(mp4Head)-1, len(mp4Head))
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 403, codeUploadExpired)
	e.clock.Advance(time.Hour)
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusProcessingUpload {
		t.Fatalf("an upload that never completed is %s", s)
	}
}

func TestUploadFormatCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("lea")
	text := []byte(strings.Repeat("this is not a video ", 20))
	pid, up := e.initDirect(tok, "text", PrivacyPublic, text)
	e.uploadWhole(up, text)
	e.clock.Advance(DefaultProcessingDuration)
	r := e.expect(e.status(tok, pid), 200, "ok")
	if r.str("data", "status") != StatusFailed || r.str("data", "fail_reason") != "file_format_check_failed" {
		t.Fatalf("status %s", r.raw)
	}
	webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, make([]byte, 100)...)
	pid, up = e.initDirect(tok, "webm", PrivacyPublic, webm)
	req := fmt.Sprintf("bytes 0-%d/%d", len(webm)-1, len(webm))
	e.expect(e.put(up, "video/webm", req, webm), 201, "")
	e.clock.Advance(DefaultProcessingDuration)
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusPublishComplete {
		t.Fatalf("webm upload: %s", s)
	}
}

// cutBody yields n bytes of data, then fails as a dropped connection does.
type cutBody struct {
	data []byte
}

func (c *cutBody) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

// A chunk whose body stops before its Content-Length (the connection
// dropped mid-stream) is not taken, not even in part: the upload stays
// where it was, and the same chunk sent whole is accepted, the digest
// covering each byte once.
func TestUploadCutChunkNotTaken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("max")
	data := bigVideo(15*mib + 99) // chunks of 5 MiB, the last 5 MiB + 99
	pid, up := e.initChunked(tok, int64(len(data)), 5*mib)
	chunk := func(i int) (string, []byte) {
		a, b := i*5*mib, (i+1)*5*mib
		if i == 2 {
			b = len(data)
		}
		return fmt.Sprintf("bytes %d-%d/%d", a, b-1, len(data)), data[a:b]
	}
	cr, body := chunk(0)
	e.expect(e.put(up, "video/mp4", cr, body), http.StatusPartialContent, "")
	cr, body = chunk(1)
	req := httptest.NewRequest(http.MethodPut, up, &cutBody{data: body[:2*mib]})
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "video/mp4")
	req.Header.Set("Content-Range", cr)
	w := httptest.NewRecorder()
	e.sim.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), codeInvalidFileUpload) {
		t.Fatalf("cut chunk: %d %s", w.Code, w.Body)
	}
	if p := e.sim.Posts()[0]; p.UploadedBytes != 5*mib || p.SHA256 != "" {
		t.Fatalf("after a cut chunk: %+v", p)
	}
	e.expect(e.put(up, "video/mp4", cr, body), http.StatusPartialContent, "")
	cr, body = chunk(2)
	e.expect(e.put(up, "video/mp4", cr, body), http.StatusCreated, "")
	sum := sha256.Sum256(data)
	if p := e.sim.Posts()[0]; p.SHA256 != hex.EncodeToString(sum[:]) || p.UploadedBytes != int64(len(data)) || p.PublishID != pid {
		t.Fatalf("post %+v", p)
	}
}
