package e2e

import (
	"bytes"
	"crypto/sha256"
	enc "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// mp4Box returns an MP4 box of type typ around payload.
func mp4Box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := enc.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

// be returns big-endian fields: uint16 for int16 values, uint32 for the rest.
func be(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case uint16:
			b = enc.BigEndian.AppendUint16(b, v)
		case int:
			b = enc.BigEndian.AppendUint32(b, uint32(v))
		case []byte:
			b = append(b, v...)
		case string:
			b = append(b, v...)
		}
	}
	return b
}

// testMP4 returns a structurally complete MP4 with one H.264 video track of
// w×h pixels, 50 frames at 25 fps (2 s), and frames bytes of media data.
func testMP4(w, h, frames int) []byte {
	identity := be(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
	mvhd := mp4Box("mvhd", be(0, 0, 0, 1000, 2000, 0x10000, uint16(0x100), make([]byte, 10), identity, make([]byte, 24), 2))
	tkhd := mp4Box("tkhd", be(3, 0, 0, 1, 0, 2000, make([]byte, 8), uint16(0), uint16(0), uint16(0), uint16(0), identity, w<<16, h<<16))
	mdhd := mp4Box("mdhd", be(0, 0, 0, 12800, 25600, uint16(0x55c4), uint16(0)))
	hdlr := mp4Box("hdlr", be(0, 0, "vide", make([]byte, 12), "VideoHandler\x00"))
	avcC := mp4Box("avcC", []byte{1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80})
	avc1 := mp4Box("avc1", be(make([]byte, 6), uint16(1), make([]byte, 16), uint16(w), uint16(h), 0x480000, 0x480000, 0, uint16(1),
		make([]byte, 32), uint16(0x18), uint16(0xffff)), avcC)
	stbl := mp4Box("stbl",
		mp4Box("stsd", be(0, 1), avc1),
		mp4Box("stts", be(0, 1, 50, 512)),
		mp4Box("stsc", be(0, 0)),
		mp4Box("stsz", be(0, 0, 0)),
		mp4Box("stco", be(0, 0)))
	minf := mp4Box("minf", mp4Box("vmhd", be(1, make([]byte, 8))), mp4Box("dinf", mp4Box("dref", be(0, 1), mp4Box("url ", be(1)))), stbl)
	moov := mp4Box("moov", mvhd, mp4Box("trak", tkhd, mp4Box("mdia", mdhd, hdlr, minf)))
	data := make([]byte, frames)
	for i := range data {
		data[i] = byte(i*31 + i/7)
	}
	return bytes.Join([][]byte{mp4Box("ftyp", be("isom", 0x200, "isomiso2avc1mp41")), moov, mp4Box("mdat", data)}, nil)
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for i := range img.Pix {
		img.Pix[i] = byte(i*13 + i/101)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type mediaView struct {
	ID         int64     `json:"id"`
	Mime       string    `json:"mime"`
	Size       int64     `json:"size"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	DurationMS int64     `json:"duration_ms"`
	SHA256     string    `json:"sha256"`
	URL        string    `json:"url"`
	URLExpires time.Time `json:"url_expires"`
}

// upload sends data as a multipart upload under filename.
func (s *server) upload(t *testing.T, data []byte, filename string) mediaView {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/media", &body)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		t.Fatalf("upload %s = %d: %s", filename, resp.StatusCode, b)
	}
	var m mediaView
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMediaPublishAndSignedLinks: an image and a video uploaded through the
// API; the video published to X through the chunked upload, byte for byte,
// once; the image fetched by a signed link as a platform would, without
// credentials.
func TestMediaPublishAndSignedLinks(t *testing.T) {
	t.Parallel()
	t.Run("disk", func(t *testing.T) {
		t.Parallel()
		sim := newSimulator(t)
		testMediaPublish(t, sim, baseEnv(t, sim))
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		sim := newSimulator(t)
		backend := s3mem.New()
		if err := backend.CreateBucket("media"); err != nil {
			t.Fatal(err)
		}
		bucket := httptest.NewServer(gofakes3.New(backend).Server())
		t.Cleanup(bucket.Close)
		env := baseEnv(t, sim)
		env["SNSOS_S3_ENDPOINT"] = strings.TrimPrefix(bucket.URL, "http://")
		env["SNSOS_S3_BUCKET"] = "media"
		env["SNSOS_S3_ACCESS_KEY"] = "e2e-access"
		env["SNSOS_S3_SECRET_KEY"] = "e2e-secret-key-0123456789"
		env["SNSOS_S3_USE_SSL"] = "false"
		env["SNSOS_S3_PATH_STYLE"] = "true"
		testMediaPublish(t, sim, env)
		// The media is in the bucket, not in the data dir.
		objs, err := backend.ListBucket("media", nil, gofakes3.ListBucketPage{})
		if err != nil || len(objs.Contents) < 2 {
			t.Fatalf("bucket holds %v, %v", objs, err)
		}
		if _, err := os.Stat(filepath.Join(env["SNSOS_DATA_DIR"], "media")); err == nil {
			t.Fatal("media folder created in the data dir with the S3 backend")
		}
	})
}

func testMediaPublish(t *testing.T, sim *simulator, env map[string]string) {
	a := start(t, env)
	account := a.connect(t)

	imgData := testPNG(t)
	vidData := testMP4(320, 240, 300_000) // several X upload chunks
	img := a.upload(t, imgData, "cover.png")
	vid := a.upload(t, vidData, "clip.mp4")
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	if img.Mime != "image/png" || img.Width != 120 || img.Height != 90 || img.Size != int64(len(imgData)) || img.SHA256 != sum(imgData) {
		t.Fatalf("image = %+v", img)
	}
	if vid.Mime != "video/mp4" || vid.Size != int64(len(vidData)) || vid.SHA256 != sum(vidData) {
		t.Fatalf("video = %+v", vid)
	}
	if vid.Width != 320 || vid.Height != 240 || vid.DurationMS != 2000 {
		t.Fatalf("video facts = %+v", vid)
	}

	// Publish the video on X.
	const text = "e2e: a video through the chunked upload"
	var p post
	a.do(t, "POST", "/api/v1/posts", map[string]any{"body": text, "media_ids": []int64{vid.ID},
		"targets": []any{map[string]any{"account_id": account}}, "approve": true,
		"scheduled_at": time.Now().Format(time.RFC3339Nano)}, &p)
	tg := a.waitState(t, p.ID, "published")
	live := sim.live(text)
	if len(live) != 1 || live[0].ID != tg.RemoteID {
		t.Fatalf("%d posts with the text on X, target %+v", len(live), tg)
	}
	if len(live[0].MediaIDs) != 1 {
		t.Fatalf("post on X has %d media", len(live[0].MediaIDs))
	}
	xm, ok := sim.Media(live[0].MediaIDs[0])
	if !ok || xm.SHA256 != sum(vidData) || xm.Received != int64(len(vidData)) || xm.TotalSize != int64(len(vidData)) || xm.MediaType != "video/mp4" {
		t.Fatalf("X received %+v, want %d bytes with SHA-256 %s", xm, len(vidData), sum(vidData))
	}
	time.Sleep(500 * time.Millisecond) // a second publication would show now
	if live := sim.live(text); len(live) != 1 || len(sim.Posts()) != 1 {
		t.Fatalf("published %d times (%d posts on X)", len(live), len(sim.Posts()))
	}
	if tg := a.waitState(t, p.ID, "published"); tg.RemoteID != live[0].ID {
		t.Fatalf("target now %+v", tg)
	}

	// The image's signed link, fetched without any credential.
	var got mediaView
	a.do(t, "GET", fmt.Sprintf("/api/v1/media/%d", img.ID), nil, &got)
	if !strings.HasPrefix(got.URL, a.base+fmt.Sprintf("/m/%d?exp=", img.ID)) || time.Until(got.URLExpires) < 50*time.Minute {
		t.Fatalf("media view url %q expires %v", got.URL, got.URLExpires)
	}
	plain := &http.Client{Timeout: 30 * time.Second}
	get := func(u string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get(got.URL)
	if resp.StatusCode != 200 || !bytes.Equal(b, imgData) || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Accept-Ranges") != "bytes" ||
		!strings.HasPrefix(resp.Header.Get("Cache-Control"), "private, max-age=") || len(resp.Cookies()) != 0 {
		t.Fatalf("signed link: %s, %d bytes, %v", resp.Status, len(b), resp.Header)
	}
	resp, b = get(got.URL, "Range", "bytes=0-9")
	if resp.StatusCode != 206 || !bytes.Equal(b, imgData[:10]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(imgData)) {
		t.Fatalf("range: %s %q %v", resp.Status, b, resp.Header)
	}
	resp, b = get(got.URL, "Range", "bytes=-5")
	if resp.StatusCode != 206 || !bytes.Equal(b, imgData[len(imgData)-5:]) {
		t.Fatalf("suffix range: %s %q", resp.Status, b)
	}
	// Tampered: the id of the video under the image's signature.
	bad := strings.Replace(got.URL, fmt.Sprintf("/m/%d?", img.ID), fmt.Sprintf("/m/%d?", vid.ID), 1)
	if resp, _ := get(bad); resp.StatusCode != 403 {
		t.Fatalf("link with another id: %s", resp.Status)
	}
	if resp, _ := get(a.base + "/m/"); resp.StatusCode != 404 {
		t.Fatalf("GET /m/: %s", resp.Status)
	}
}
