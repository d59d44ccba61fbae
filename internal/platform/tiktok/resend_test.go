package tiktok

// Chunks that fail mid-stream, after some of their bytes were sent: the
// connection dropped under the PUT, or the media failing under it. The
// chunk is streamed again from the media at its offset (by position from a
// file, after a seek from a stream that seeks, by opening again and
// skipping from one that does not), and the video reaches the simulator
// whole, as one post.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/platform"
)

// cutter drops the connection of the first PUT of the chunk that starts
// at offset at, after the simulator read cut bytes of it: the simulator
// sees a body shorter than its Content-Length, the client a connection
// lost while it was still sending.
type cutter struct {
	at, cut int64
	mu      sync.Mutex
	done    bool
	puts    map[string]int // PUTs by Content-Range
}

func (c *cutter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		cr := r.Header.Get("Content-Range")
		c.mu.Lock()
		c.puts[cr]++
		first := !c.done && strings.HasPrefix(cr, fmt.Sprintf("bytes %d-", c.at))
		c.done = c.done || first
		c.mu.Unlock()
		if !first {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = io.NopCloser(io.MultiReader(io.LimitReader(r.Body, c.cut), &failReader{io.ErrUnexpectedEOF}))
		next.ServeHTTP(httptest.NewRecorder(), r) // its answer never reaches the client
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
	})
}

func (c *cutter) count(cr string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts[cr]
}

// fileCounts counts what a media's streams were asked to do.
type fileCounts struct {
	opens, seeks, readAts atomic.Int64
}

type seekingFile struct {
	f *os.File
	n *fileCounts
}

func (s seekingFile) Read(p []byte) (int, error) { return s.f.Read(p) }
func (s seekingFile) Close() error               { return s.f.Close() }
func (s seekingFile) Seek(off int64, whence int) (int64, error) {
	s.n.seeks.Add(1)
	return s.f.Seek(off, whence)
}

// The three kinds of stream the chunks are read from.
var streamKinds = []struct {
	name string
	wrap func(*os.File, *fileCounts) io.ReadCloser
}{
	{"file", func(f *os.File, _ *fileCounts) io.ReadCloser { return f }},
	{"stream that seeks", func(f *os.File, n *fileCounts) io.ReadCloser { return seekingFile{f, n} }},
	{"stream that does not seek", func(f *os.File, _ *fileCounts) io.ReadCloser {
		return struct {
			io.Reader
			io.Closer
		}{f, f}
	}},
}

// as returns v's media, its streams made by wrap and counted in n.
func (v storedVideo) as(wrap func(*os.File, *fileCounts) io.ReadCloser, n *fileCounts) storedVideo {
	open := v.media.Open
	v.media.Open = func(ctx context.Context) (io.ReadCloser, error) {
		n.opens.Add(1)
		rc, err := open(ctx)
		if err != nil {
			return nil, err
		}
		return wrap(rc.(*os.File), n), nil
	}
	return v
}

func TestChunkCutMidStream(t *testing.T) {
	t.Parallel()
	const chunk = MinChunkSize
	stored := storeVideo(t, 3*chunk+12_345)
	second := fmt.Sprintf("bytes %d-%d/%d", chunk, 2*chunk-1, stored.media.Size)
	for _, kind := range streamKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			cut := &cutter{at: chunk, cut: chunk / 3, puts: map[string]int{}}
			e := newStreamEnv(t, cut.wrap, chunk)
			n := &fileCounts{}
			v := stored.as(kind.wrap, n)
			if _, err := e.publish(context.Background(), v, platform.NewProgress(nil, nil)); err != nil {
				t.Fatal(err)
			}
			e.oneUpload(t, v)
			if got := cut.count(second); got != 2 {
				t.Errorf("the cut chunk was sent %d times, want 2", got)
			}
			wantOpens, wantSeeks := int64(1), int64(0)
			switch kind.name {
			case "stream that seeks":
				wantSeeks = 1 // back to the cut chunk's start
			case "stream that does not seek":
				wantOpens = 2 // opened again, the first chunk skipped
			}
			if n.opens.Load() != wantOpens || n.seeks.Load() != wantSeeks {
				t.Errorf("%d opens and %d seeks, want %d and %d", n.opens.Load(), n.seeks.Load(), wantOpens, wantSeeks)
			}
		})
	}
}

// failingAt is a file whose reads fail from byte at on.
type failingAt struct {
	f  *os.File
	at int64
}

var errDisk = errors.New("input/output error")

func (r failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.at {
		n, _ := r.f.ReadAt(p[:max(0, r.at-off)], off)
		return n, errDisk
	}
	return r.f.ReadAt(p, off)
}
func (r failingAt) Read([]byte) (int, error) { return 0, errors.New("read in order") }
func (r failingAt) Close() error             { return r.f.Close() }

// The media fails under the second chunk's PUT after a part of it was
// sent: the simulator takes none of that chunk and the attempt ends
// transient; the next one asks TikTok where the upload stands and sends
// the rest, under the same post.
func TestUploadResumesAfterMediaFailsMidChunk(t *testing.T) {
	t.Parallel()
	const chunk = MinChunkSize
	v := storeVideo(t, 3*chunk+777)
	e := newStreamEnv(t, nil, chunk)
	var broken atomic.Bool
	broken.Store(true)
	open := v.media.Open
	v.media.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := open(ctx)
		if err != nil || !broken.Load() {
			return rc, err
		}
		return failingAt{f: rc.(*os.File), at: chunk + chunk/2}, nil
	}
	var mu sync.Mutex
	db := map[string]string{}
	save := func(_ context.Context, k, val string) error {
		mu.Lock()
		defer mu.Unlock()
		db[k] = val
		return nil
	}
	_, err := e.publish(context.Background(), v, platform.NewProgress(nil, save))
	if !errors.Is(err, platform.ErrTransient) || !strings.Contains(err.Error(), errDisk.Error()) {
		t.Fatalf("err %v, want a transient read error", err)
	}
	if p := e.sim.Posts(); len(p) != 1 || p[0].UploadedBytes != chunk {
		t.Fatalf("after the failure the simulator holds %+v", p)
	}
	mu.Lock()
	saved := maps.Clone(db)
	mu.Unlock()
	if saved[NextOffsetKey(1)] != itoa(chunk) {
		t.Fatalf("saved progress %v", saved)
	}
	broken.Store(false)
	if _, err := e.publish(context.Background(), v, platform.NewProgress(saved, save)); err != nil {
		t.Fatal(err)
	}
	e.oneUpload(t, v)
}

// getLog records the GETs of an S3 server and their Range headers.
type getLog struct {
	mu   sync.Mutex
	gets []string
}

func (g *getLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/sha256/") {
			g.mu.Lock()
			g.gets = append(g.gets, "GET "+r.Header.Get("Range"))
			g.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (g *getLog) list() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.gets...)
}

// From the S3 media store, the chunks are read in order from one GET, and
// the chunk cut mid-stream is sent again from a ranged GET at its offset
// (the object's Seek), never by reading the object from its start again.
func TestChunkCutMidStreamFromS3(t *testing.T) {
	t.Parallel()
	const chunk = MinChunkSize
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	gets := &getLog{}
	s3srv := httptest.NewUnstartedServer(gets.wrap(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()))
	// gofakes3 complains when a GET is closed mid-body, as the seek does.
	s3srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s3srv.Start()
	t.Cleanup(s3srv.Close)
	store, err := media.NewS3(context.Background(), media.S3Config{Endpoint: strings.TrimPrefix(s3srv.URL, "http://"),
		Bucket: "media", Region: "us-east-1", AccessKey: "AKIDSNSOSTEST", SecretKey: "s3-SeCrEt-0123456789", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	size := int64(3*chunk + 4321)
	head := mp4Head(2000, size)
	key, sum, _, err := store.Put(context.Background(), io.MultiReader(bytes.NewReader(head), &fastPattern{n: size - int64(len(head))}))
	if err != nil {
		t.Fatal(err)
	}
	v := storedVideo{sha256: sum, facts: media.Facts{MIME: media.MIMEMP4, DurationMS: 2000},
		media: platform.Media{MIME: media.MIMEMP4, Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) { return store.Open(ctx, key) }}}
	cut := &cutter{at: chunk, cut: chunk / 3, puts: map[string]int{}}
	e := newStreamEnv(t, cut.wrap, chunk)
	if _, err := e.publish(context.Background(), v, platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	e.oneUpload(t, v)
	if got, want := gets.list(), []string{"GET ", fmt.Sprintf("GET bytes=%d-", chunk)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GETs of the object %q, want %q", got, want)
	}
}
