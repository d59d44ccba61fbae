package tiktok

// A large upload from the disk media store to the TikTok simulator over
// loopback, through the real client: the bytes arrive whole and in order
// (the simulator's SHA-256 equals the file's), and the heap of the test
// process, which holds the client and the simulator, stays far below one
// chunk while 1 GiB goes through.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/platform"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
)

// mp4Box returns a box of type typ holding the parts (byte slices or
// big-endian uint32s, uint16s and strings).
func mp4Box(typ string, parts ...any) []byte {
	var p []byte
	for _, v := range parts {
		switch v := v.(type) {
		case []byte:
			p = append(p, v...)
		case string:
			p = append(p, v...)
		case uint16:
			p = binary.BigEndian.AppendUint16(p, v)
		case int:
			p = binary.BigEndian.AppendUint32(p, uint32(v))
		}
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(8+len(p))), append([]byte(typ), p...)...)
}

// mp4Head returns the first bytes of an MP4 of one 1280×720 H.264 track
// lasting durationMS whose size is size: ftyp, moov, and the header of a
// 64-bit mdat box that runs to the end of the file.
func mp4Head(durationMS int, size int64) []byte {
	identity := mp4Box("", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)[4:] // no type: a 4-byte size to drop
	mvhd := mp4Box("mvhd", 0, 0, 0, 1000, durationMS, 0x10000, uint16(0x100), make([]byte, 10), identity, make([]byte, 24), 2)
	tkhd := mp4Box("tkhd", 3, 0, 0, 1, 0, durationMS, make([]byte, 8), uint16(0), uint16(0), uint16(0), uint16(0), identity, 1280<<16, 720<<16)
	mdhd := mp4Box("mdhd", 0, 0, 0, 12800, durationMS*128/10, uint16(0x55c4), uint16(0))
	hdlr := mp4Box("hdlr", 0, 0, "vide", make([]byte, 12), "VideoHandler\x00")
	avc1 := mp4Box("avc1", make([]byte, 6), uint16(1), make([]byte, 16), uint16(1280), uint16(720), 0x480000, 0x480000, 0, uint16(1),
		make([]byte, 32), uint16(0x18), uint16(0xffff), mp4Box("avcC", []byte{1, 0x64, 0, 0x1f, 0xff, 0xe0, 0}))
	frames := durationMS * 30 / 1000
	stbl := mp4Box("stbl", mp4Box("stsd", 0, 1, avc1), mp4Box("stts", 0, 1, frames, 12800/30),
		mp4Box("stsc", 0, 0), mp4Box("stsz", 0, 0, 0), mp4Box("stco", 0, 0))
	minf := mp4Box("minf", mp4Box("vmhd", 1, make([]byte, 8)), mp4Box("dinf", mp4Box("dref", 0, 1, mp4Box("url ", 1))), stbl)
	moov := mp4Box("moov", mvhd, mp4Box("trak", tkhd, mp4Box("mdia", mdhd, hdlr, minf)))
	head := append(mp4Box("ftyp", "isom", 0x200, "isomiso2avc1mp41"), moov...)
	mdat := append(binary.BigEndian.AppendUint32(nil, 1), "mdat"...)
	return binary.BigEndian.AppendUint64(append(head, mdat...), uint64(size-int64(len(head))))
}

// patternTable holds the pattern byte(i % 251) from every phase.
var patternTable = func() []byte {
	b := make([]byte, 251*256)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// fastPattern yields n bytes of the pattern by copying, quick enough for
// gigabytes (also under the race detector, which checks a copy once).
type fastPattern struct{ n, off int64 }

func (r *fastPattern) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	done := 0
	for done < len(p) {
		done += copy(p[done:], patternTable[(r.off+int64(done))%251:])
	}
	r.off += int64(done)
	return done, nil
}

// storedVideo is a video in a disk media store.
type storedVideo struct {
	media  platform.Media
	sha256 string
	facts  media.Facts
	path   string
}

// storeVideo puts an MP4 of size bytes (its mdat holds the pattern) into a
// disk media store in a temporary folder, probes it like an upload, and
// returns it in the form the engine hands to clients (what
// media.Library.PlatformMedia builds: Open is the store's, an *os.File).
func storeVideo(t testing.TB, size int64) storedVideo {
	t.Helper()
	ctx := context.Background()
	disk, err := media.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	head := mp4Head(2000, size)
	h := sha256.New()
	src := io.TeeReader(io.MultiReader(bytes.NewReader(head), &fastPattern{n: size - int64(len(head))}), h)
	key, sum, n, err := disk.Put(ctx, src)
	if err != nil || n != size || sum != hex.EncodeToString(h.Sum(nil)) {
		t.Fatalf("put: %d bytes, %s, %v", n, sum, err)
	}
	rc, err := disk.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	facts, err := media.Probe(rc.(io.ReaderAt), size)
	if err != nil || facts.MIME != media.MIMEMP4 || facts.DurationMS != 2000 {
		t.Fatalf("probe: %+v %v", facts, err)
	}
	return storedVideo{
		media:  platform.Media{MIME: facts.MIME, Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) { return disk.Open(ctx, key) }},
		sha256: sum,
		facts:  facts,
		path:   rc.(*os.File).Name(),
	}
}

// heapProbe samples the live heap (after a full GC) every `every` bytes
// of the chunks the simulator reads, in the middle of each chunk, where a
// chunk held by the client, the transport or the simulator would be live.
type heapProbe struct {
	every      int64
	mu         sync.Mutex
	base, peak uint64
	rssPeak    int64
	samples    int
}

func newHeapProbe(every int64) *heapProbe {
	hp := &heapProbe{every: every}
	hp.base = liveHeap()
	hp.peak = hp.base
	return hp
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rss returns the process's resident set in bytes (-1 where /proc is
// missing).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func (hp *heapProbe) sample() {
	h, r := liveHeap(), rss()
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.peak = max(hp.peak, h)
	hp.rssPeak = max(hp.rssPeak, r)
	hp.samples++
}

// grew returns how much the live heap grew at its peak.
func (hp *heapProbe) grew() int64 {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	return int64(hp.peak) - int64(hp.base)
}

// wrap returns next with the body of every PUT sampled as it is read.
func (hp *heapProbe) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			r.Body = &sampledBody{ReadCloser: r.Body, hp: hp, next: hp.every}
		}
		next.ServeHTTP(w, r)
	})
}

type sampledBody struct {
	io.ReadCloser
	hp         *heapProbe
	read, next int64
}

func (b *sampledBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if b.read >= b.next {
		b.next += b.hp.every
		b.hp.sample()
	}
	return n, err
}

// streamEnv is the TikTok simulator behind wrap, and a client of chunk
// size chunk, with a connected account.
type streamEnv struct {
	sim  *ttsim.Sim
	c    *Client
	auth platform.Auth
}

func newStreamEnv(t testing.TB, wrap func(http.Handler) http.Handler, chunk int64) *streamEnv {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	sim := ttsim.New(ttsim.Options{ClientKey: "sim-client-key", ClientSecret: testSecret, Now: func() time.Time { return start }})
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	c := New(Config{
		ClientKey: "sim-client-key", ClientSecret: testSecret, RedirectURL: simRedirect, BaseURL: srv.URL,
		HTTP:      platform.NewHTTPClient(platform.HTTPOptions{Now: sim.Now, Timeout: 30 * time.Second}),
		Now:       sim.Now,
		Sleep:     func(_ context.Context, d time.Duration) error { sim.Advance(d); return nil },
		ChunkSize: chunk,
	})
	u := sim.AddUser("snsos_test", "sns-os Test")
	access, _ := sim.IssueTokens(u.OpenID)
	return &streamEnv{sim: sim, c: c, auth: platform.Auth{UserID: u.OpenID, Handle: u.Username, AccessToken: snsos.Secret(access)}}
}

// publish posts v privately, with its probed duration as the engine sends
// it.
func (e *streamEnv) publish(ctx context.Context, v storedVideo, pr *platform.Progress) (*platform.Published, error) {
	return e.c.Publish(ctx, e.auth, simReq(v.media, map[string]any{OptPrivacyLevel: PrivacySelfOnly,
		OptVideoDurationMS: v.facts.DurationMS}), pr)
}

// oneUpload checks that the simulator holds one post, whose bytes are v's.
func (e *streamEnv) oneUpload(t testing.TB, v storedVideo) {
	t.Helper()
	posts := e.sim.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts in the simulator, want 1", len(posts))
	}
	if p := posts[0]; p.SHA256 != v.sha256 || p.UploadedBytes != v.media.Size || p.Status != ttsim.StatusPublishComplete {
		t.Fatalf("the simulator holds %d bytes of SHA-256 %s (%s), want %d of %s", p.UploadedBytes, p.SHA256, p.Status, v.media.Size, v.sha256)
	}
}

// TestUploadLargeFileFromDiskStore uploads a 1 GiB MP4 from the disk media
// store to the simulator in the default 10 MiB chunks (the last 14 MiB).
// The bound on the heap: every chunk is streamed, so nothing of a chunk's
// size is live at any time; a single chunk held anywhere (in the client,
// the transport or the simulator, all in this process) would be ≥ 10 MiB,
// above the bound of half a chunk. The samples are taken mid-chunk, every
// 4 MiB the simulator reads. 6–8 s on two cores (15 s under -race), half
// of it writing the file into the store; skipped under -short.
// It is not parallel, so that no other test moves the heap.
func TestUploadLargeFileFromDiskStore(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and uploads 1 GiB")
	}
	const size = 1 << 30
	v := storeVideo(t, size)
	hp := newHeapProbe(4 << 20)
	e := newStreamEnv(t, hp.wrap, DefaultChunkSize)
	rssBase := rss()
	if _, err := e.publish(context.Background(), v, platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	e.oneUpload(t, v)
	grew := hp.grew()
	t.Logf("1 GiB from %s: live heap grew at most %d KiB over %d samples; RSS %d MiB before, %d MiB at most during",
		v.path, grew>>10, hp.samples, rssBase>>20, hp.rssPeak>>20)
	if hp.samples < 2*size/DefaultChunkSize {
		t.Errorf("only %d heap samples", hp.samples)
	}
	if grew > DefaultChunkSize/2 {
		t.Errorf("the live heap grew by %d KiB during the upload of 1 GiB in %d MiB chunks: a chunk is held", grew>>10, DefaultChunkSize>>20)
	}
	// The resident set, which also counts garbage not yet collected and
	// the runtime's own memory, stays within one chunk of where it was.
	if rssBase > 0 && hp.rssPeak-rssBase > DefaultChunkSize {
		t.Errorf("the resident set grew from %d MiB to %d MiB during the upload", rssBase>>20, hp.rssPeak>>20)
	}
}

// BenchmarkUploadFromDiskStore uploads a 256 MiB MP4 from the disk media
// store to the simulator over loopback in 10 MiB chunks, the simulator
// hashing every byte, and reports the throughput (MB/s) and the most the
// live heap grew while a chunk was being read (peak-heap-KiB, sampled
// every 4 MiB; the samples' forced GCs slow the run a little).
func BenchmarkUploadFromDiskStore(b *testing.B) {
	const size = 256 << 20
	v := storeVideo(b, size)
	hp := newHeapProbe(4 << 20)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		e := newStreamEnv(b, hp.wrap, DefaultChunkSize)
		if _, err := e.publish(context.Background(), v, platform.NewProgress(nil, nil)); err != nil {
			b.Fatal(err)
		}
		e.oneUpload(b, v)
	}
	b.ReportMetric(float64(hp.grew())/1024, "peak-heap-KiB")
}
