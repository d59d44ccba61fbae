package media

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"
	"testing"

	"github.com/sns-os/snsos"
)

// vp8lBits writes a VP8L bit stream, least significant bit first.
type vp8lBits struct {
	b    []byte
	nbit uint
}

func (w *vp8lBits) put(v uint32, n uint) {
	for i := range n {
		if w.nbit%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.nbit % 8)
		w.nbit++
	}
}

// webpSolid returns a lossless WebP of w×h pixels all of colour c: a VP8L
// stream without transforms whose five prefix codes each have a single
// symbol, so that the pixels take no bits at all.
func webpSolid(w, h int, c color.NRGBA) []byte {
	var bw vp8lBits
	bw.put(0x2f, 8)
	bw.put(uint32(w-1), 14)
	bw.put(uint32(h-1), 14)
	bw.put(1, 1) // alpha is used
	bw.put(0, 3) // version 0
	bw.put(0, 1) // no transform
	bw.put(0, 1) // no colour cache
	bw.put(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.put(1, 1) // simple code
		bw.put(0, 1) // one symbol
		bw.put(1, 1) // of 8 bits
		bw.put(uint32(sym), 8)
	}
	return webpFile("VP8L", bw.b)
}

// webpLossy1x1 is the smallest lossy WebP (1×1), as used by
// feature-detection scripts.
const webpLossy1x1 = "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA"

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	if Sniff(b) != MIMEJPEG {
		t.Fatalf("output is %q, not JPEG", Sniff(b))
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// near reports whether c is within tol of r, g, b on each channel.
func near(c color.Color, r, g, b uint8, tol int) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { v := int(x>>8) - int(y); return v >= -tol && v <= tol }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func TestConvertToJPEGPNGAlpha(t *testing.T) {
	t.Parallel()
	// Left half transparent, right half opaque blue, a half-transparent red
	// band at the bottom.
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			switch {
			case y >= 32:
				img.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 128})
			case x >= 32:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	var src bytes.Buffer
	if err := png.Encode(&src, img); err != nil {
		t.Fatal(err)
	}
	out, err := ConvertToJPEG(bytes.NewReader(src.Bytes()), MIMEPNG, 95)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJPEG(t, out)
	if got.Bounds() != img.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), img.Bounds())
	}
	for _, p := range []struct {
		x, y    int
		r, g, b uint8
	}{
		{8, 8, 255, 255, 255},   // transparent → white, not black
		{56, 8, 0, 0, 255},      // opaque stays
		{16, 40, 255, 127, 127}, // half red over white
	} {
		if c := got.At(p.x, p.y); !near(c, p.r, p.g, p.b, 12) {
			t.Errorf("pixel (%d,%d) = %v, want about %d,%d,%d", p.x, p.y, c, p.r, p.g, p.b)
		}
	}
	// Probe agrees on the result.
	f, err := probeBytes(out)
	if err != nil || f != (Facts{MIME: MIMEJPEG, Width: 64, Height: 48}) {
		t.Fatalf("Probe(result) = %+v, %v", f, err)
	}
}

func TestConvertToJPEGWebP(t *testing.T) {
	t.Parallel()
	lossy, err := base64.StdEncoding.DecodeString(webpLossy1x1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		w, h    int
		r, g, b uint8
	}{
		{"lossless translucent green", webpSolid(37, 23, color.NRGBA{0, 200, 0, 128}), 37, 23, 127, 227, 127},
		{"lossless opaque", webpSolid(300, 200, color.NRGBA{10, 20, 200, 255}), 300, 200, 10, 20, 200},
		{"lossy 1x1", lossy, 1, 1, 128, 128, 128}, // a key frame of defaults: mid grey
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := ConvertToJPEG(bytes.NewReader(tt.data), MIMEWebP, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeJPEG(t, out)
			if got.Bounds().Dx() != tt.w || got.Bounds().Dy() != tt.h {
				t.Fatalf("bounds %v, want %d×%d", got.Bounds(), tt.w, tt.h)
			}
			if c := got.At(tt.w/2, tt.h/2); !near(c, tt.r, tt.g, tt.b, 12) {
				t.Errorf("centre pixel %v, want about %d,%d,%d", c, tt.r, tt.g, tt.b)
			}
		})
	}
}

func TestConvertToJPEGGIFFirstFrame(t *testing.T) {
	t.Parallel()
	pal := color.Palette{color.Transparent, color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}}
	first := image.NewPaletted(image.Rect(8, 8, 24, 24), pal) // a frame smaller than the canvas
	for i := range first.Pix {
		first.Pix[i] = 1 // black
	}
	second := image.NewPaletted(image.Rect(0, 0, 32, 32), pal)
	for i := range second.Pix {
		second.Pix[i] = 2 // red
	}
	var src bytes.Buffer
	err := gif.EncodeAll(&src, &gif.GIF{
		Image: []*image.Paletted{first, second}, Delay: []int{10, 10},
		Config: image.Config{ColorModel: pal, Width: 32, Height: 32},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ConvertToJPEG(&src, MIMEGIF, 90)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJPEG(t, out)
	if got.Bounds() != image.Rect(0, 0, 32, 32) {
		t.Fatalf("bounds %v, want the 32×32 canvas", got.Bounds())
	}
	if c := got.At(16, 16); !near(c, 0, 0, 0, 12) {
		t.Errorf("centre %v, want black (the first frame)", c)
	}
	if c := got.At(1, 1); !near(c, 255, 255, 255, 12) {
		t.Errorf("corner %v, want white (outside the first frame)", c)
	}
}

func TestConvertToJPEGRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		mime string
		code string
		msg  string
	}{
		{"already JPEG", jpegBytes(t, 8, 8), MIMEJPEG, snsos.EINVALID, "the image is already JPEG"},
		{"video", buildMP4(mp4Spec{width: 8, height: 8, durationMS: 100}), MIMEMP4, snsos.EINVALID, "only images can be converted to JPEG, not video/mp4"},
		{"unknown type", []byte("BM"), "image/bmp", snsos.EINVALID, `"image/bmp" images cannot be converted`},
		{"content is not its type", jpegBytes(t, 8, 8), MIMEPNG, snsos.EINVALID, "the file is image/jpeg, not image/png"},
		{"empty", nil, MIMEPNG, snsos.EINVALID, "the file is empty"},
		{"png bomb header", pngHeaderOnly(100000, 100000), MIMEPNG, snsos.ETOOLARGE, "100000×100000 pixels, more than the limit of 100 megapixels"},
		{"webp bomb header", webpVP8X(20000, 20000), MIMEWebP, snsos.ETOOLARGE, "20000×20000 pixels"},
		{"png truncated", pngBytes(t, 64, 64)[:200], MIMEPNG, snsos.EINVALID, "the image/png file is"},
		{"webp damaged", webpFile("VP8L", []byte{0x2f, 0, 0, 0, 0}), MIMEWebP, snsos.EINVALID, "image/webp file"},
		{"gif truncated", gifBytes(t, 16, 16)[:30], MIMEGIF, snsos.EINVALID, "the image/gif file is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ConvertToJPEG(bytes.NewReader(tt.data), tt.mime, 90)
			assertCode(t, err, tt.code)
			if msg := snsos.ErrorMessage(err); !contains(msg, tt.msg) {
				t.Fatalf("message %q does not contain %q", msg, tt.msg)
			}
		})
	}
	for _, q := range []int{-1, 101} {
		if _, err := ConvertToJPEG(bytes.NewReader(pngBytes(t, 4, 4)), MIMEPNG, q); !snsos.IsCode(err, snsos.EINVALID) {
			t.Errorf("quality %d: %v", q, err)
		}
	}
}

// TestConvertToJPEGBombAllocations checks that a bomb header is refused
// before the pixels are allocated.
func TestConvertToJPEGBombAllocations(t *testing.T) {
	bomb := pngHeaderOnly(20000, 20000) // 400 Mpx: 1.6 GB decoded
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := ConvertToJPEG(bytes.NewReader(bomb), MIMEPNG, 90); !snsos.IsCode(err, snsos.ETOOLARGE) {
			t.Fatalf("ConvertToJPEG(bomb) = %v, want ETOOLARGE", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 256<<10 {
		t.Fatalf("refusing a bomb header allocated %d bytes", per)
	}
}

// TestConvertToJPEGReadError checks that a failing reader is not reported
// as a damaged file.
func TestConvertToJPEGReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("store unreachable")
	data := pngBytes(t, 64, 64)
	r := &failingReader{r: bytes.NewReader(data[:len(data)/2]), err: boom}
	_, err := ConvertToJPEG(r, MIMEPNG, 90)
	if !errors.Is(err, boom) || snsos.ErrorCode(err) == snsos.EINVALID {
		t.Fatalf("ConvertToJPEG(failing reader) = %v", err)
	}
}

func TestLibraryConvertToJPEG(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	orig, err := lib.Upload(ctx, bytes.NewReader(pngBytes(t, 40, 30)), "holiday.png")
	if err != nil {
		t.Fatal(err)
	}
	m, err := lib.ConvertToJPEG(ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == orig.ID || m.Mime != MIMEJPEG || m.Width != 40 || m.Height != 30 || m.Filename != "holiday.jpg" || m.Key == orig.Key {
		t.Fatalf("ConvertToJPEG = %+v", m)
	}
	rc, got, err := lib.Open(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if got.Mime != MIMEJPEG || Sniff(b) != MIMEJPEG || int64(len(b)) != m.Size {
		t.Fatalf("stored conversion: %+v, %d bytes sniffed %q", got, len(b), Sniff(b))
	}
	// The original is untouched; converting again finds the same record.
	if o, err := lib.Get(ctx, orig.ID); err != nil || o.Mime != MIMEPNG || o.Key != orig.Key {
		t.Fatalf("original after conversion: %+v, %v", o, err)
	}
	if again, err := lib.ConvertToJPEG(ctx, orig.ID); err != nil || again.ID != m.ID {
		t.Fatalf("second conversion = %+v, %v; want record %d", again, err, m.ID)
	}

	// A JPEG, a video, a missing id.
	if _, err := lib.ConvertToJPEG(ctx, m.ID); !snsos.IsCode(err, snsos.EINVALID) || snsos.ErrorMessage(err) != "the image is already JPEG" {
		t.Fatalf("ConvertToJPEG(JPEG) = %v", err)
	}
	v, err := lib.Upload(ctx, bytes.NewReader(buildMP4(mp4Spec{width: 8, height: 8, durationMS: 100})), "v.mp4")
	if err != nil {
		t.Fatal(err)
	}
	assertCode(t, func() error { _, err := lib.ConvertToJPEG(ctx, v.ID); return err }(), snsos.EINVALID)
	assertCode(t, func() error { _, err := lib.ConvertToJPEG(ctx, v.ID+100); return err }(), snsos.ENOTFOUND)

	// A result larger than the image limit is refused, and nothing is stored.
	small := newTestLib(t, Limits{MaxImageBytes: 4 << 10})
	w, err := small.Upload(ctx, bytes.NewReader(webpSolid(2000, 2000, color.NRGBA{1, 2, 3, 255})), "")
	if err != nil {
		t.Fatal(err)
	}
	before := len(files(t, small.dir))
	_, err = small.ConvertToJPEG(ctx, w.ID)
	assertCode(t, err, snsos.ETOOLARGE)
	if after := len(files(t, small.dir)); after != before {
		t.Fatalf("files %d → %d after a refused conversion", before, after)
	}
	if name := jpegName(w); name != "media-"+itoa(int(w.ID))+".jpg" {
		t.Fatalf("jpegName(no filename) = %q", name)
	}
}
