package tiktok

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
)

// TestUploadStreamsLargeFile uploads a 1 GiB video from a stream that can
// neither seek nor read by position, generated on the fly, in 10 MiB
// chunks, and checks that every byte was read from the media once and
// arrived once, in order, under the right Content-Range, while the live
// heap (sampled mid-chunk) stayed far below one chunk: each chunk goes
// from Media.Open to the connection as it is sent, never held. (large_test.go
// does the same from the disk media store to the simulator.) It is not
// parallel, so that no other test moves the heap.
func TestUploadStreamsLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 1 GiB over loopback")
	}
	const size = 1 << 30
	f := &fake{t: t, override: map[string]http.HandlerFunc{}, statuses: []string{"status_complete.json"}}
	hp := newHeapProbe(4 << 20)
	srv := httptest.NewServer(hp.wrap(f))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.ChunkSize = DefaultChunkSize
		cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Timeout: 0})
	})
	var opens, read atomic.Int64
	md := platform.Media{MIME: "video/mp4", Size: size, Open: func(context.Context) (io.ReadCloser, error) {
		opens.Add(1)
		return io.NopCloser(&countReader{r: &fastPattern{n: size}, n: &read}), nil
	}}
	req := &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{md}}}, Options: map[string]any{"privacy_level": "SELF_ONLY"}}
	if _, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	held, received, ranges := f.upload()
	if held != size || received != size || read.Load() != size || opens.Load() != 1 {
		t.Fatalf("held %d, received %d, read %d bytes in %d opens", held, received, read.Load(), opens.Load())
	}
	if len(ranges) != 102 || ranges[0] != "bytes 0-10485759/1073741824" || ranges[101] != "bytes 1059061760-1073741823/1073741824" {
		t.Errorf("%d ranges, first %q, last %q", len(ranges), ranges[0], ranges[len(ranges)-1])
	}
	for i, r := range ranges[:101] {
		if want := fmt.Sprintf("bytes %d-%d/%d", int64(i)*DefaultChunkSize, int64(i+1)*DefaultChunkSize-1, size); r != want {
			t.Errorf("chunk %d: %s, want %s", i, r, want)
		}
	}
	want := crc32.NewIEEE()
	io.Copy(want, &fastPattern{n: size})
	if f.crc != want.Sum32() {
		t.Error("the bytes TikTok received differ from the file")
	}
	// Nothing of a chunk's size (10 MiB, the last 14 MiB) is ever live.
	if grew := hp.grew(); grew > DefaultChunkSize/2 {
		t.Errorf("the live heap grew by %d KiB during the upload of 1 GiB in 10 MiB chunks", grew>>10)
	}
}

// BenchmarkUploadMemory reports the bytes allocated per uploaded MiB (the
// client's and the loopback test server's together): a few KiB a request,
// whatever the chunk size, as no chunk is buffered.
func BenchmarkUploadMemory(b *testing.B) {
	const size = 64 << 20
	_, srv := newFake(b)
	c, _ := newClient(b, srv.URL, func(cfg *Config) { cfg.ChunkSize = 16 << 20 })
	b.SetBytes(size)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		req, _ := videoReq(size, nil)
		if _, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil)); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	mib := float64(b.N) * size / (1 << 20)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/mib, "alloc-B/MiB")
}

func TestChunkBodyStreamFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		data  int64 // bytes the stream really has
		fault error // a read error after the data
		want  error
		say   string
	}{
		{"stream shorter than declared", 2*MinChunkSize + 10, nil, platform.ErrRejected, "ended after 10485770 bytes"},
		{"stream longer than declared", 2*MinChunkSize + 20, nil, platform.ErrRejected, "longer than"},
		{"disk error", MinChunkSize + 3, errors.New("input/output error"), platform.ErrTransient, "input/output error"},
	}
	const declared = 2*MinChunkSize + 15
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			c, _ := newClient(t, srv.URL)
			md := platform.Media{MIME: "video/mp4", Size: declared, Open: func(context.Context) (io.ReadCloser, error) {
				var r io.Reader = &patternReader{n: tt.data}
				if tt.fault != nil {
					r = io.MultiReader(r, &failReader{tt.fault})
				}
				return io.NopCloser(r), nil
			}}
			req := &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{md}}}, Options: map[string]any{"privacy_level": "SELF_ONLY"}}
			pr := platform.NewProgress(nil, nil)
			_, err := c.Publish(context.Background(), testAuth(), req, pr)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("err %v, want %v %q", err, tt.want, tt.say)
			}
			// TikTok never took the last chunk, and the progress says so.
			if held, _, _ := f.upload(); held != MinChunkSize {
				t.Errorf("TikTok holds %d bytes", held)
			}
			if v := pr.Values()["upload.final_sent"]; v != "" {
				t.Errorf("final_sent %q after a cut-short last chunk", v)
			}
		})
	}
}

type failReader struct{ err error }

func (r *failReader) Read([]byte) (int, error) { return 0, r.err }

// seekableMedia counts opens and seeks of a stream that can seek.
type seekableMedia struct {
	opens, seeks atomic.Int64
}

type seekCloser struct {
	*bytes.Reader
	m *seekableMedia
}

func (s seekCloser) Close() error { return nil }
func (s seekCloser) Seek(off int64, whence int) (int64, error) {
	s.m.seeks.Add(1)
	return s.Reader.Seek(off, whence)
}

func TestMediaStreamPositions(t *testing.T) {
	t.Parallel()
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i % 251)
	}
	read := func(s *mediaStream, off, n int64) []byte {
		t.Helper()
		if err := s.at(context.Background(), off); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(s.rc, b); err != nil {
			t.Fatal(err)
		}
		s.pos += n
		return b
	}
	// Without Seek: forward by skipping, backward by opening again.
	var opens atomic.Int64
	plain := &platform.Media{Size: 1000, Open: func(context.Context) (io.ReadCloser, error) {
		opens.Add(1)
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
	s := &mediaStream{md: plain}
	for _, step := range []struct{ off, n int64 }{{0, 10}, {500, 10}, {100, 10}, {110, 5}} {
		if got := read(s, step.off, step.n); !bytes.Equal(got, data[step.off:step.off+step.n]) {
			t.Fatalf("at %d: %v", step.off, got)
		}
	}
	if opens.Load() != 2 {
		t.Errorf("%d opens, want 2 (one backward move)", opens.Load())
	}
	// With Seek: one open, a seek for the backward move and after a break.
	sm := &seekableMedia{}
	seekable := &platform.Media{Size: 1000, Open: func(context.Context) (io.ReadCloser, error) {
		sm.opens.Add(1)
		return seekCloser{bytes.NewReader(data), sm}, nil
	}}
	s = &mediaStream{md: seekable}
	read(s, 0, 10)
	read(s, 900, 10)
	read(s, 5, 10)
	s.broken = true
	if got := read(s, 300, 10); !bytes.Equal(got, data[300:310]) || sm.opens.Load() != 1 || sm.seeks.Load() != 2 {
		t.Errorf("opens %d seeks %d", sm.opens.Load(), sm.seeks.Load())
	}
	s.close()
}

// The upload_url TikTok gives is used as given, or moved onto BaseURL
// when it names another host; without BaseURL it must be https. Its
// token never appears in an error.
func TestUploadTarget(t *testing.T) {
	t.Parallel()
	real, _ := newClient(t, "")
	sim, _ := newClient(t, "http://127.0.0.1:9/sim/tiktok/")
	tests := []struct {
		c        *Client
		in, want string
	}{
		{real, recordedURL, recordedURL},
		{real, "https://upload.us.tiktokapis.com/video/?upload_id=1&upload_token=t", "https://upload.us.tiktokapis.com/video/?upload_id=1&upload_token=t"},
		{real, "http://open-upload.tiktokapis.com/video/?upload_id=1", ""},
		{real, "/video/?upload_id=1", ""},
		{sim, recordedURL, "http://127.0.0.1:9/sim/tiktok/video/?upload_id=67890&upload_token=" + uploadToken},
		{sim, "http://127.0.0.1:9/sim/tiktok/upload/video/?upload_id=2", "http://127.0.0.1:9/sim/tiktok/upload/video/?upload_id=2"},
	}
	for _, tt := range tests {
		got, err := tt.c.uploadTarget(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("uploadTarget(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// A refused chunk's error shows no token.
	f, srv := newFake(t)
	f.putHook = func(w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, 400, []byte(`{"error":{"code":"invalid_file_upload","message":"bad range for `+r.URL.String()+`","log_id":"L"}}`))
		return true
	}
	c, _ := newClient(t, srv.URL)
	req, _ := videoReq(1000, nil)
	_, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil))
	if !errors.Is(err, platform.ErrRejected) || strings.Contains(err.Error(), uploadToken) || !strings.Contains(err.Error(), "chunk 1 of 1") {
		t.Errorf("refused chunk: %v", err)
	}
}
