package media

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// The S3 tests run against gofakes3, an in-memory S3 server. gofakes3 does
// NOT verify request signatures (a tampered presigned URL still gets 200),
// so presigned URLs are checked for their shape and expiry parameters only,
// not for enforcement; credentials are never really tested here.

const (
	fakeBucket    = "media"
	fakeAccessKey = "AKIDSNSOSTEST"
	fakeSecretKey = "sekrit-do-not-print-0123456789"
)

// newFakeS3 starts an in-process gofakes3 server with an empty bucket and
// returns its host:port.
func newFakeS3(t testing.TB) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(fakeBucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func fakeS3Config(endpoint string) S3Config {
	return S3Config{
		Endpoint: endpoint, Bucket: fakeBucket, Region: "us-east-1",
		AccessKey: fakeAccessKey, SecretKey: snsos.Secret(fakeSecretKey),
		UseSSL: false, PathStyle: true,
	}
}

func newTestS3(t testing.TB, endpoint string) *S3 {
	t.Helper()
	s, err := NewS3(context.Background(), fakeS3Config(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestDiskStore(t *testing.T) Store {
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newTestS3Store(t *testing.T) Store { return newTestS3(t, newFakeS3(t)) }

// listAll lists everything a store holds: objects, temporary objects and,
// on S3, unfinished multipart uploads ("upload:<key>").
func listAll(t *testing.T, s Store) []string {
	t.Helper()
	switch s := s.(type) {
	case *Disk:
		return files(t, s.dir)
	case *S3:
		var out []string
		for obj := range s.client.ListObjects(t.Context(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err != nil {
				t.Fatal(obj.Err)
			}
			out = append(out, obj.Key)
		}
		for up := range s.client.ListIncompleteUploads(t.Context(), s.bucket, "", true) {
			if minio.ToErrorResponse(up.Err).Code == "NoSuchUpload" {
				break // gofakes3's answer in a bucket that never had a multipart upload
			}
			if up.Err != nil {
				t.Fatal(up.Err)
			}
			out = append(out, "upload:"+up.Key)
		}
		slices.Sort(out)
		return out
	}
	t.Fatalf("cannot list a %T", s)
	return nil
}

// genReader yields n bytes that depend only on their position, so the same
// content can be produced twice without holding it.
type genReader struct{ pos, n int64 }

func (g *genReader) Read(p []byte) (int, error) {
	if g.pos >= g.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n-g.pos)]
	for i := range p {
		k := g.pos + int64(i)
		p[i] = byte(k*7 + k>>11 + k>>19)
	}
	g.pos += int64(len(p))
	return len(p), nil
}

func genBytes(n int) []byte {
	b, _ := io.ReadAll(&genReader{n: int64(n)})
	return b
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// rangeOpener is implemented by stores that serve byte ranges directly.
type rangeOpener interface {
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}

// suiteOptions tunes runStoreSuite to a backend.
type suiteOptions struct {
	// heapLimit bounds the heap growth of a 64 MiB Put.
	heapLimit uint64
	// heapNote explains the limit in the log.
	heapNote string
}

// runStoreSuite checks that a Store honours the contract in store.go.
// newStore returns an empty store.
func runStoreSuite(t *testing.T, newStore func(t *testing.T) Store) {
	runStoreSuiteOpts(t, newStore, suiteOptions{heapLimit: 24 << 20})
}

func runStoreSuiteOpts(t *testing.T, newStore func(t *testing.T) Store, opts suiteOptions) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		s := newStore(t)
		data := genBytes(100_000)
		key, sum, size, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if sum != sumHex(data) || key != KeyFor(sum) || size != int64(len(data)) {
			t.Fatalf("Put = %q %q %d", key, sum, size)
		}
		if got := listAll(t, s); !slices.Equal(got, []string{key}) {
			t.Fatalf("store holds %v, want only %s", got, key)
		}
		if n, err := s.Stat(ctx, key); err != nil || n != size {
			t.Fatalf("Stat = %d, %v", n, err)
		}
		rc, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Open read %d bytes (%v), want the %d put", len(got), err, len(data))
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("Stat after Delete = %v, want ENOTFOUND", err)
		}
		if _, err := s.Open(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("Open after Delete = %v, want ENOTFOUND", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete of a missing key = %v, want nil", err)
		}
		if got := listAll(t, s); len(got) != 0 {
			t.Fatalf("store holds %v after Delete", got)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		key, sum, size, err := s.Put(t.Context(), bytes.NewReader(nil))
		if err != nil || size != 0 || sum != sumHex(nil) {
			t.Fatalf("Put(empty) = %q %q %d %v", key, sum, size, err)
		}
		if n, err := s.Stat(t.Context(), key); err != nil || n != 0 {
			t.Fatalf("Stat = %d, %v", n, err)
		}
	})

	t.Run("Dedup", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		s := newStore(t)
		data := genBytes(50_000)
		key, _, _, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		key2, _, _, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil || key2 != key {
			t.Fatalf("second Put = %q, %v; want %q", key2, err, key)
		}
		// Concurrent puts of the same content all succeed with one object.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				k, _, _, err := s.Put(ctx, bytes.NewReader(data))
				if err == nil && k != key {
					err = fmt.Errorf("key %q", k)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := listAll(t, s); !slices.Equal(got, []string{key}) {
			t.Fatalf("store holds %v, want one object %s", got, key)
		}
	})

	t.Run("FailingReaderLeavesNothing", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		s := newStore(t)
		boom := errors.New("client went away")
		for _, n := range []int64{0, 1000, 20 << 20} { // 20 MiB: after a whole S3 part
			r := &failingReader{r: &genReader{n: n}, err: boom}
			if _, _, _, err := s.Put(ctx, r); err != boom {
				t.Fatalf("Put failing after %d bytes = %v, want the reader's error", n, err)
			}
			if got := listAll(t, s); len(got) != 0 {
				t.Fatalf("failing after %d bytes left %v", n, got)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, _, err := s.Put(cctx, bytes.NewReader([]byte("x"))); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		// Cancelled midway.
		cctx, cancel = context.WithCancel(ctx)
		r := &cancelAfter{r: &genReader{n: 1 << 20}, n: 300_000, cancel: cancel}
		if _, _, _, err := s.Put(cctx, r); err == nil {
			t.Fatal("Put cancelled midway succeeded")
		}
		if got := listAll(t, s); len(got) != 0 {
			t.Fatalf("failed puts left %v", got)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		s := newStore(t)
		key := KeyFor(sumHex([]byte("never stored")))
		if _, err := s.Stat(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Errorf("Stat(missing) = %v, want ENOTFOUND", err)
		}
		if _, err := s.Open(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Errorf("Open(missing) = %v, want ENOTFOUND", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(missing) = %v, want nil", err)
		}
		if ro, ok := s.(rangeOpener); ok {
			if _, err := ro.OpenRange(ctx, key, 0, 10); !snsos.IsCode(err, snsos.ENOTFOUND) {
				t.Errorf("OpenRange(missing) = %v, want ENOTFOUND", err)
			}
		}
		for _, bad := range []string{"", "../x", "tmp/abc", "sha256/" + sumHex(nil), "SHA256/00/" + sumHex(nil)} {
			if _, err := s.Stat(ctx, bad); !snsos.IsCode(err, snsos.EINVALID) {
				t.Errorf("Stat(%q) = %v, want EINVALID", bad, err)
			}
			if _, err := s.Open(ctx, bad); !snsos.IsCode(err, snsos.EINVALID) {
				t.Errorf("Open(%q) = %v, want EINVALID", bad, err)
			}
			if err := s.Delete(ctx, bad); !snsos.IsCode(err, snsos.EINVALID) {
				t.Errorf("Delete(%q) = %v, want EINVALID", bad, err)
			}
		}
	})

	t.Run("RandomAccess", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		s := newStore(t)
		data := genBytes(300_000)
		key, _, _, err := s.Put(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		ra, ok := rc.(io.ReaderAt)
		if !ok {
			t.Fatalf("Open's stream %T is not an io.ReaderAt: a Library cannot probe", rc)
		}
		size := int64(len(data))
		for _, c := range []struct{ off, n int64 }{
			{0, 12}, {65530, 20}, {4, 8}, {100_000, 200_000}, {1000, 150_000}, {size - 5, 5}, {size - 5, 10}, {size, 1}, {size + 10, 1},
		} {
			p := make([]byte, c.n)
			n, err := ra.ReadAt(p, c.off)
			wantN := max(0, min(c.n, size-c.off))
			if int64(n) != wantN || !bytes.Equal(p[:n], data[min(c.off, size):min(c.off, size)+wantN]) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d bytes (%v), want %d", c.n, c.off, n, err, wantN)
			}
			if wantN < c.n && err != io.EOF {
				t.Fatalf("short ReadAt at %d: err = %v, want io.EOF", c.off, err)
			}
			if wantN == c.n && err != nil && err != io.EOF {
				t.Fatalf("ReadAt at %d: %v", c.off, err)
			}
		}
		// Parallel ReadAt calls, as io.ReaderAt allows.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				off := int64(i) * 37_000
				p := make([]byte, 1000)
				if n, err := ra.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+1000]) {
					t.Errorf("parallel ReadAt at %d = %d, %v", off, n, err)
				}
			})
		}
		wg.Wait()

		sk, ok := rc.(io.Seeker)
		if !ok {
			t.Fatalf("Open's stream %T is not an io.Seeker", rc)
		}
		if _, err := sk.Seek(1000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 100)
		if _, err := io.ReadFull(rc, p); err != nil || !bytes.Equal(p, data[1000:1100]) {
			t.Fatalf("Read after Seek: %v", err)
		}
		if _, err := sk.Seek(-10, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if tail, err := io.ReadAll(rc); err != nil || !bytes.Equal(tail, data[size-10:]) {
			t.Fatalf("Read of the tail = %d bytes, %v", len(tail), err)
		}

		ro, ok := s.(rangeOpener)
		if !ok {
			return
		}
		for _, c := range []struct{ off, n int64 }{{0, 10}, {123, 4567}, {size - 3, 3}, {200_000, -1}} {
			r, err := ro.OpenRange(ctx, key, c.off, c.n)
			if err != nil {
				t.Fatalf("OpenRange(%d, %d): %v", c.off, c.n, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			end := c.off + c.n
			if c.n < 0 {
				end = size
			}
			if err != nil || !bytes.Equal(got, data[c.off:end]) {
				t.Fatalf("OpenRange(%d, %d) read %d bytes, %v", c.off, c.n, len(got), err)
			}
		}
		if _, err := ro.OpenRange(ctx, key, size+1, 10); !snsos.IsCode(err, snsos.EINVALID) {
			t.Fatalf("OpenRange past the end = %v, want EINVALID", err)
		}
	})

	// Last and alone: it measures the heap.
	t.Run("Streamed64MiB", func(t *testing.T) {
		if testing.Short() {
			t.Skip("64 MiB upload")
		}
		s := newStore(t)
		putMeasured(t, s, opts)
		if got := listAll(t, s); len(got) != 1 {
			t.Fatalf("store holds %v, want one object", got)
		}
	})
}

// putMeasured puts 64 MiB streamed from a generator, checks the result, and
// fails if the heap grew by more than opts.heapLimit meanwhile.
func putMeasured(t *testing.T, s Store, opts suiteOptions) {
	t.Helper()
	const n = 64 << 20
	want := sha256.New()
	io.Copy(want, &genReader{n: n})
	wantSum := hex.EncodeToString(want.Sum(nil))

	var key, sum string
	var size int64
	var err error
	growth := peakHeapGrowth(func() {
		key, sum, size, err = s.Put(t.Context(), &genReader{n: n})
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum != wantSum || key != KeyFor(wantSum) || size != n {
		t.Fatalf("Put = %q %q %d", key, sum, size)
	}
	if got, err := s.Stat(t.Context(), key); err != nil || got != n {
		t.Fatalf("Stat = %d, %v", got, err)
	}
	t.Logf("%T: 64 MiB Put: peak heap growth %.1f MiB (limit %d MiB) %s", s, float64(growth)/(1<<20), opts.heapLimit>>20, opts.heapNote)
	if growth > opts.heapLimit {
		t.Errorf("64 MiB Put grew the heap by %.1f MiB, over the %d MiB limit: is the upload held in memory?", float64(growth)/(1<<20), opts.heapLimit>>20)
	}
}

// peakHeapGrowth runs f and returns how far HeapInuse rose above its level
// before f, sampled every millisecond, with the GC made eager meanwhile.
func peakHeapGrowth(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	peak := <-done
	if peak < base {
		return 0
	}
	return peak - base
}

// cancelAfter cancels a context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.read += int64(n); c.read >= c.n {
		c.cancel()
	}
	return n, err
}

func TestStoreSuiteDisk(t *testing.T) {
	runStoreSuite(t, newTestDiskStore)
}

func TestStoreSuiteS3(t *testing.T) {
	runStoreSuiteOpts(t, newTestS3Store, suiteOptions{
		// The in-process gofakes3 server keeps every part, the assembled
		// object and its copy in this same heap, so this bound is loose;
		// TestS3PutMemory measures the client alone.
		heapLimit: 512 << 20,
		heapNote:  "(client and in-process gofakes3 server together)",
	})
}

// TestS3PutMemory measures the heap of a 64 MiB S3 Put with the fake server
// in a child process, so only the client's memory counts.
func TestS3PutMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB upload")
	}
	endpoint := startFakeS3Process(t)
	s := newTestS3(t, endpoint)
	putMeasured(t, s, suiteOptions{heapLimit: 40 << 20, heapNote: "(client only; part size 16 MiB)"})
}

const fakeS3ChildEnv = "SNSOS_TEST_FAKES3_CHILD"

// TestFakeS3ChildProcess is not a test: run by startFakeS3Process in a
// child process, it serves gofakes3 until its standard input closes.
func TestFakeS3ChildProcess(t *testing.T) {
	if os.Getenv(fakeS3ChildEnv) != "1" {
		return
	}
	backend := s3mem.New()
	if err := backend.CreateBucket(fakeBucket); err != nil {
		fmt.Println("FAKES3 ERROR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("FAKES3 ERROR", err)
		os.Exit(1)
	}
	go http.Serve(ln, gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	fmt.Println("FAKES3 ADDR", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

func startFakeS3Process(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeS3ChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fakeS3ChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "FAKES3 ADDR "); ok {
			go io.Copy(io.Discard, stdout)
			return addr
		}
		if strings.HasPrefix(lines.Text(), "FAKES3 ERROR") {
			t.Fatal(lines.Text())
		}
	}
	t.Fatalf("the fake S3 child process printed no address: %v", lines.Err())
	return ""
}

func TestS3PresignedGet(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	endpoint := newFakeS3(t)
	s := newTestS3(t, endpoint)
	data := pngBytes(t, 20, 10)
	key, _, _, err := s.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Add(-time.Minute)
	raw, err := s.PresignedGet(ctx, key, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, fakeSecretKey) {
		t.Fatal("the presigned URL contains the secret key")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != endpoint || u.Path != "/"+fakeBucket+"/"+key {
		t.Errorf("URL %s: want host %s, path /%s/%s", raw, endpoint, fakeBucket, key)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || q.Get("X-Amz-Expires") != "600" ||
		!strings.HasPrefix(q.Get("X-Amz-Credential"), fakeAccessKey+"/") || len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("URL %s lacks the SigV4 query parameters or has the wrong expiry", raw)
	}
	if d, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err != nil || d.Before(before) || d.After(time.Now().Add(time.Minute)) {
		t.Errorf("X-Amz-Date = %q (%v)", q.Get("X-Amz-Date"), err)
	}
	// gofakes3 ignores the signature, so this only shows the URL names
	// the object; a real S3 or R2 also checks signature and expiry.
	resp, err := http.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Errorf("GET presigned URL = %d, %d bytes", resp.StatusCode, len(got))
	}

	typed, err := s.PresignedGetAs(ctx, key, "image/png", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tu, _ := url.Parse(typed); tu.Query().Get("response-content-type") != "image/png" || tu.Query().Get("X-Amz-Expires") != "3600" {
		t.Errorf("PresignedGetAs = %s", typed)
	}

	for _, d := range []time.Duration{0, -time.Second, 500 * time.Millisecond, 8 * 24 * time.Hour} {
		if _, err := s.PresignedGet(ctx, key, d); !snsos.IsCode(err, snsos.EINVALID) {
			t.Errorf("PresignedGet(%v) = %v, want EINVALID", d, err)
		}
	}
	if _, err := s.PresignedGet(ctx, "../etc", time.Minute); !snsos.IsCode(err, snsos.EINVALID) {
		t.Errorf("PresignedGet(bad key) = %v, want EINVALID", err)
	}
}

func TestNewS3Errors(t *testing.T) {
	t.Parallel()
	endpoint := newFakeS3(t)
	good := fakeS3Config(endpoint)
	for _, c := range []struct {
		name    string
		edit    func(*S3Config)
		setting string
	}{
		{"no endpoint", func(c *S3Config) { c.Endpoint = "" }, "SNSOS_S3_ENDPOINT"},
		{"scheme", func(c *S3Config) { c.Endpoint = "https://" + c.Endpoint }, "SNSOS_S3_ENDPOINT"},
		{"path", func(c *S3Config) { c.Endpoint += "/media" }, "SNSOS_S3_ENDPOINT"},
		{"no bucket", func(c *S3Config) { c.Bucket = "" }, "SNSOS_S3_BUCKET"},
		{"no access key", func(c *S3Config) { c.AccessKey = "" }, "SNSOS_S3_ACCESS_KEY"},
		{"no secret", func(c *S3Config) { c.SecretKey = "" }, "SNSOS_S3_SECRET_KEY"},
		{"missing bucket", func(c *S3Config) { c.Bucket = "nosuchbucket" }, "SNSOS_S3_BUCKET"},
	} {
		cfg := good
		c.edit(&cfg)
		_, err := NewS3(t.Context(), cfg)
		if err == nil {
			t.Errorf("%s: NewS3 succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.setting) {
			t.Errorf("%s: error %q does not name %s", c.name, err, c.setting)
		}
		if strings.Contains(err.Error(), fakeSecretKey) || strings.Contains(fmt.Sprintf("%+v %#v", err, cfg), fakeSecretKey) {
			t.Errorf("%s: the secret key is printed", c.name)
		}
	}

	// Nothing listens on the endpoint.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	cfg := good
	cfg.Endpoint = closed
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err = NewS3(ctx, cfg)
	if !snsos.IsCode(err, snsos.EUNAVAILABLE) || !strings.Contains(err.Error(), "SNSOS_S3_ENDPOINT") || strings.Contains(err.Error(), fakeSecretKey) {
		t.Errorf("unreachable endpoint: %v", err)
	}

	s := newTestS3(t, endpoint)
	if str := fmt.Sprintf("%v %+v %s", s, s, s); strings.Contains(str, fakeSecretKey) {
		t.Error("printing an S3 shows the secret key")
	}
}

func TestS3RemovesStaleTemps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newTestS3(t, newFakeS3(t))
	if _, err := s.client.PutObject(ctx, s.bucket, s3TempPrefix+"leftover", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	key, _, _, err := s.Put(ctx, strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	s.removeStaleTemps(ctx, time.Now()) // too fresh
	if got := listAll(t, s); len(got) != 2 {
		t.Fatalf("fresh temporary object removed: %v", got)
	}
	s.removeStaleTemps(ctx, time.Now().Add(48*time.Hour))
	if got := listAll(t, s); !slices.Equal(got, []string{key}) {
		t.Fatalf("after the sweep the store holds %v, want %s", got, key)
	}
}

// TestLibraryOnS3 shows a Library works unchanged on S3: it probes through
// the S3Object's ReaderAt.
func TestLibraryOnS3(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newTestS3(t, newFakeS3(t))
	env := storetest.New(t, store.SQLite)
	lib := NewLibrary(s, env.Store, Limits{MaxImageBytes: 1 << 20})
	data := pngBytes(t, 40, 30)
	m, err := lib.Upload(ctx, bytes.NewReader(data), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	if m.Mime != "image/png" || m.Width != 40 || m.Height != 30 || m.Key != KeyFor(sumHex(data)) {
		t.Fatalf("record = %+v", m)
	}
	rc, _, err := lib.Open(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("Library.Open read other bytes")
	}
	// Too large: nothing is left in the bucket beyond the first upload.
	if _, err := lib.Upload(ctx, bytes.NewReader(pngBytes(t, 1000, 1000)), "big.png"); !snsos.IsCode(err, snsos.ETOOLARGE) {
		t.Fatalf("big upload = %v, want ETOOLARGE", err)
	}
	if got := listAll(t, s); !slices.Equal(got, []string{m.Key}) {
		t.Fatalf("bucket holds %v", got)
	}
	if err := lib.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s); len(got) != 0 {
		t.Fatalf("bucket holds %v after Delete", got)
	}
}
