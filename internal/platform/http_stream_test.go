package platform

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
)

// bodyServer records what each request's body brought: its announced
// length, its transfer encoding, the bytes read and the read error.
type bodyServer struct {
	mu   sync.Mutex
	seen []seenBody
}

type seenBody struct {
	length   int64
	chunked  bool
	data     []byte
	readFail bool
}

func (s *bodyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seen = append(s.seen, seenBody{length: r.ContentLength, chunked: len(r.TransferEncoding) > 0, data: data, readFail: err != nil})
	s.mu.Unlock()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	io.WriteString(w, `{"ok":true}`)
}

func (s *bodyServer) last(t *testing.T) seenBody {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		t.Fatal("the server saw no request")
	}
	return s.seen[len(s.seen)-1]
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A body of no known type with a ContentLength goes with that
// Content-Length (not chunked), and exactly that many bytes of it are read
// and sent, never one more.
func TestDoStreamedBody(t *testing.T) {
	t.Parallel()
	bs := &bodyServer{}
	srv := httptest.NewServer(bs)
	defer srv.Close()
	c, _ := newTestClient(t, HTTPOptions{})
	data := bytes.Repeat([]byte("0123456789"), 10_000)
	for _, n := range []int64{int64(len(data)), 12_345} {
		src := &countingReader{r: io.MultiReader(bytes.NewReader(data))}
		resp, err := c.Do(context.Background(), &Request{Op: "put", Method: http.MethodPut, URL: srv.URL,
			Body: src, ContentLength: n, ContentType: "application/octet-stream"})
		if err != nil || !resp.OK() {
			t.Fatalf("length %d: %v", n, err)
		}
		got := bs.last(t)
		if got.length != n || got.chunked || !bytes.Equal(got.data, data[:n]) {
			t.Errorf("length %d: server saw Content-Length %d, chunked %v, %d bytes", n, got.length, got.chunked, len(got.data))
		}
		if src.n != n {
			t.Errorf("length %d: %d bytes of the body were read", n, src.n)
		}
	}
}

// failingReader yields n bytes, then fails with err.
type failingReader struct {
	n   int64
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	p = p[:min(int64(len(p)), f.n)]
	for i := range p {
		p[i] = 'x'
	}
	f.n -= int64(len(p))
	return len(p), nil
}

// A body that ends early or fails to read fails the request with a clear
// error of the right kind, with no secret in it, and the server never gets
// the whole request.
func TestDoStreamedBodyFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     io.Reader
		mutating bool
		kind     Kind
		is       error
		say      string
	}{
		{"short", &failingReader{n: 70_000, err: io.EOF}, false, KindRejected, ErrBodyShort, "ended after 70000 of its 100000 bytes"},
		{"read error", &failingReader{n: 70_000, err: errors.New("disk read of " + secretToken + " failed")}, false, KindTransient, nil,
			"read the request body: disk read of " + snsos.Mask + " failed"},
		{"short and mutating", &failingReader{n: 70_000, err: io.EOF}, true, KindOutcomeUnknown, ErrBodyShort, "may have taken effect"},
		{"empty", &failingReader{err: io.EOF}, false, KindRejected, ErrBodyShort, "ended after 0 of its 100000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bs := &bodyServer{}
			srv := httptest.NewServer(bs)
			defer srv.Close()
			c, logs := newTestClient(t, HTTPOptions{})
			_, err := c.Do(context.Background(), &Request{Op: "put chunk", Method: http.MethodPut, URL: srv.URL,
				Body: tt.body, ContentLength: 100_000, Token: secretToken, Mutating: tt.mutating})
			if KindOf(err) != tt.kind || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("err %v (kind %v), want %v %q", err, KindOf(err), tt.kind, tt.say)
			}
			if strings.Contains(err.Error(), secretToken) || strings.Contains(logs.String(), secretToken) {
				t.Errorf("secret in %v or in the log", err)
			}
			srv.Close() // waits for the handler
			bs.mu.Lock()
			defer bs.mu.Unlock()
			for _, s := range bs.seen {
				if !s.readFail || int64(len(s.data)) >= s.length {
					t.Errorf("the server read a whole body: %d of %d bytes", len(s.data), s.length)
				}
			}
		})
	}
}

func TestDoBadContentLength(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, HTTPOptions{})
	for _, r := range []*Request{
		{Op: "put", Method: http.MethodPut, URL: "http://127.0.0.1:9/", ContentLength: -1, Body: strings.NewReader("x")},
		{Op: "put", Method: http.MethodPut, URL: "http://127.0.0.1:9/", ContentLength: 10},
	} {
		if _, err := c.Do(context.Background(), r); KindOf(err) != KindRejected || !strings.Contains(err.Error(), "bad request") {
			t.Errorf("ContentLength %d, body %v: %v", r.ContentLength, r.Body != nil, err)
		}
	}
}

// The hardened client's rules hold for a streamed body: no redirect is
// followed, so the body and the token never go to another host.
func TestDoStreamedBodyNoRedirect(t *testing.T) {
	t.Parallel()
	other := &bodyServer{}
	target := httptest.NewServer(other)
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, HTTPOptions{})
	resp, err := c.Do(context.Background(), &Request{Op: "put", Method: http.MethodPut, URL: srv.URL,
		Body: io.LimitReader(strings.NewReader(strings.Repeat("y", 5000)), 5000), ContentLength: 5000, Token: secretToken})
	if err != nil || resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("%v %v", resp, err)
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	if len(other.seen) != 0 {
		t.Errorf("the redirect was followed: %d requests", len(other.seen))
	}
}
