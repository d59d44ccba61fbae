package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerLimits: headers and small bodies that never finish are cut
// off; an upload is not; at most MaxConns connections are served at once.
func TestServerLimits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Listener: ln, MaxConns: 2, ReadTimeout: 200 * time.Millisecond, WriteTimeout: time.Second,
		Mount: func(mux *http.ServeMux) {
			mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					return
				}
				w.Write(b)
			})
		}})
	if s.srv.ReadHeaderTimeout <= 0 {
		t.Fatal("no ReadHeaderTimeout")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	addr := ln.Addr().String()

	// A small body that stops coming: the connection ends.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a stalled body held the connection for %s", d)
	}
	c.Close()

	// An upload (over 1 MiB) has no read deadline: it may pause.
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const size = 2 << 20
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n")
	c.Write(make([]byte, size/2))
	time.Sleep(400 * time.Millisecond) // longer than ReadTimeout
	c.Write(make([]byte, size/2))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("paused upload: %v", err)
	}
	if n, _ := io.Copy(io.Discard, resp.Body); resp.StatusCode != 200 || n != size {
		t.Fatalf("paused upload: %d, %d bytes", resp.StatusCode, n)
	}

	// Connection cap: with two connections open, a third is not served.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c3, err := net.Dial("tcp", addr) // accepted by the kernel, not by the server
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	io.WriteString(c3, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
	c3.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := bufio.NewReader(c3).ReadByte(); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a connection over the cap was served: %v", err)
	}
	c.Close() // frees a slot: the third is served
	c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = http.ReadResponse(bufio.NewReader(c3), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a slot freed: %v", err)
	}
}
