package media

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/sns-os/snsos"
)

func probeBytes(b []byte) (Facts, error) { return Probe(bytes.NewReader(b), int64(len(b))) }

func TestProbe(t *testing.T) {
	t.Parallel()
	big64 := append(ftypBox("isom", "isom"), box("moov", nil)...)
	big64 = binary.BigEndian.AppendUint32(big64, 1)
	big64 = append(big64, "mdat"...)
	big64 = binary.BigEndian.AppendUint64(big64, 16+5)
	big64 = append(big64, 1, 2, 3, 4, 5)
	tests := []struct {
		name string
		data []byte
		want Facts
	}{
		{"jpeg", jpegBytes(t, 33, 17), Facts{MIME: MIMEJPEG, Width: 33, Height: 17}},
		{"png", pngBytes(t, 20, 10), Facts{MIME: MIMEPNG, Width: 20, Height: 10}},
		{"gif", gifBytes(t, 5, 7), Facts{MIME: MIMEGIF, Width: 5, Height: 7}},
		{"png 10000x10000 header", pngHeaderOnly(10000, 10000), Facts{MIME: MIMEPNG, Width: 10000, Height: 10000}},
		{"webp VP8", webpVP8(640, 480), Facts{MIME: MIMEWebP, Width: 640, Height: 480}},
		{"webp VP8 scale bits ignored", webpVP8(0x4000|300, 0xC000|200), Facts{MIME: MIMEWebP, Width: 300, Height: 200}},
		{"webp VP8L", webpVP8L(1, 16384), Facts{MIME: MIMEWebP, Width: 1, Height: 16384}},
		{"webp VP8X", webpVP8X(1080, 1350), Facts{MIME: MIMEWebP, Width: 1080, Height: 1350}},
		{"mp4", mp4Bytes("isom", 100), Facts{MIME: MIMEMP4}},
		{"mp4 mp42", mp4Bytes("mp42", 0), Facts{MIME: MIMEMP4}},
		{"mp4 unknown major, compatible isom", mp4Bytes("xxxx", 10), Facts{MIME: MIMEMP4}},
		{"mov", mp4Bytes("qt  ", 100), Facts{MIME: MIMEQuickTime}},
		{"mp4 64-bit box", big64, Facts{MIME: MIMEMP4}},
		{"mp4 box to end", append(append(ftypBox("isom"), box("moov", nil)...), 0, 0, 0, 0, 'm', 'd', 'a', 't', 9, 9), Facts{MIME: MIMEMP4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := probeBytes(tt.data)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Probe = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProbeRejects(t *testing.T) {
	t.Parallel()
	png := pngBytes(t, 64, 64)
	vp8 := webpVP8(10, 10)
	badVP8Start := bytes.Clone(vp8)
	badVP8Start[23] = 0
	interFrame := bytes.Clone(vp8)
	interFrame[20] |= 1
	vp8l := webpVP8L(10, 10)
	badVP8LVersion := bytes.Clone(vp8l)
	badVP8LVersion[24] |= 0x20
	tests := []struct {
		name string
		data []byte
		code string
		msg  string // in the operator-safe message
	}{
		{"empty", nil, snsos.EINVALID, "empty"},
		{"text", []byte("hello, world\n"), snsos.EINVALID, "unsupported file type: text/plain"},
		{"pdf", []byte("%PDF-1.7\n..."), snsos.EINVALID, "unsupported file type: application/pdf"},
		{"zeros", make([]byte, 100), snsos.EINVALID, "unsupported file type: unrecognised data"},
		{"bmp", []byte("BM\x00\x00\x00\x00"), snsos.EINVALID, "unsupported file type: image/bmp"},
		{"heic", append(ftypBox("heic", "mif1", "heic"), box("meta", nil)...), snsos.EINVALID, `unsupported file type: ISO media of brand "heic"`},
		{"3gp", mp4Bytes("3gp4", 10), snsos.EINVALID, "unsupported file type"},
		{"png truncated in IHDR", png[:20], snsos.EINVALID, "image/png file is truncated"},
		{"png truncated in IDAT", png[:len(png)/2], snsos.EINVALID, "image/png file is truncated"},
		{"png without IEND", png[:len(png)-12], snsos.EINVALID, "image/png file is truncated"},
		{"png 100000x100000 header", pngHeaderOnly(100000, 100000), snsos.ETOOLARGE, "100000×100000 pixels, more than the limit of 100 megapixels"},
		{"png zero width", pngHeaderOnly(0, 10), snsos.EINVALID, "image/png file is damaged"},
		{"jpeg truncated", jpegBytes(t, 16, 16)[:30], snsos.EINVALID, "image/jpeg file is truncated"},
		{"gif truncated", gifBytes(t, 4, 4)[:8], snsos.EINVALID, "image/gif file is truncated"},
		{"webp truncated header", vp8[:16], snsos.EINVALID, "image/webp file is truncated"},
		{"webp truncated riff", vp8[:len(vp8)-2], snsos.EINVALID, "image/webp file is truncated"},
		{"webp bad start code", badVP8Start, snsos.EINVALID, "VP8 start code missing"},
		{"webp inter frame", interFrame, snsos.EINVALID, "key frame"},
		{"webp VP8L version", badVP8LVersion, snsos.EINVALID, "VP8L version"},
		{"webp unknown chunk", webpFile("ALPH", make([]byte, 10)), snsos.EINVALID, "not VP8, VP8L or VP8X"},
		{"webp VP8X too many pixels", webpVP8X(1<<24, 1<<24), snsos.ETOOLARGE, "16777216×16777216 pixels"},
		{"webp VP8 zero size", webpVP8(0, 10), snsos.EINVALID, "no pixels"},
		{"mp4 truncated mdat", mp4Bytes("isom", 100)[:150], snsos.EINVALID, `video/mp4 file is truncated (box "mdat"`},
		{"mp4 cut box header", mp4Bytes("isom", 0)[:len(mp4Bytes("isom", 0))-3], snsos.EINVALID, "box header is cut off"},
		{"mp4 without moov", append(ftypBox("isom"), box("mdat", []byte{1})...), snsos.EINVALID, "no moov box"},
		{"mov box size 3", append(ftypBox("qt  "), 0, 0, 0, 3, 'f', 'r', 'e', 'e'), snsos.EINVALID, `video/quicktime file is damaged (box "free" has size 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := probeBytes(tt.data)
			assertCode(t, err, tt.code)
			if msg := snsos.ErrorMessage(err); !contains(msg, tt.msg) {
				t.Fatalf("message %q does not contain %q", msg, tt.msg)
			}
		})
	}
}

// TestProbeBombAllocations checks that a header claiming 10^10 pixels is
// refused without allocating in proportion to them.
func TestProbeBombAllocations(t *testing.T) {
	bomb := pngHeaderOnly(100000, 100000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := probeBytes(bomb); !snsos.IsCode(err, snsos.ETOOLARGE) {
			t.Fatalf("Probe(bomb) = %v, want ETOOLARGE", err)
		}
	}
	runtime.ReadMemStats(&after)
	perProbe := (after.TotalAlloc - before.TotalAlloc) / 10
	t.Logf("allocated %d bytes per probe of a 100000x100000 PNG header", perProbe)
	if perProbe > 256<<10 {
		t.Fatalf("probing a bomb header allocated %d bytes", perProbe)
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	for head, want := range map[string]string{
		"\xff\xd8\xff\xe0":         MIMEJPEG,
		"\x89PNG\r\n\x1a\n":        MIMEPNG,
		"GIF87a":                   MIMEGIF,
		"GIF89a":                   MIMEGIF,
		"RIFF\x00\x00\x00\x00WEBP": MIMEWebP,
		"RIFF\x00\x00\x00\x00WAVE": "",
		"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00":     MIMEQuickTime,
		"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00isom": "",
		"\x00\x00\x00\x10ftypavif\x00\x00\x00\x00":     "",
		"\x00\x00\x00\x08ftyp":                         "",
		"GIF8":                                         "",
	} {
		if got := Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}

func FuzzProbe(f *testing.F) {
	f.Add(pngBytes(f, 3, 2))
	f.Add(jpegBytes(f, 3, 2))
	f.Add(gifBytes(f, 3, 2))
	f.Add(webpVP8(3, 2))
	f.Add(webpVP8L(3, 2))
	f.Add(webpVP8X(3, 2))
	f.Add(mp4Bytes("isom", 4))
	f.Add(mp4Bytes("qt  ", 4))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := probeBytes(data)
		if err != nil {
			if c := snsos.ErrorCode(err); c != snsos.EINVALID && c != snsos.ETOOLARGE {
				t.Fatalf("Probe error %v has code %q", err, c)
			}
			return
		}
		if got.MIME != Sniff(data[:min(len(data), SniffLen)]) {
			t.Fatalf("Probe MIME %q disagrees with Sniff", got.MIME)
		}
		if !got.IsVideo() && (got.Width <= 0 || got.Height <= 0 || int64(got.Width)*int64(got.Height) > MaxPixels) {
			t.Fatalf("Probe accepted an image of %d×%d", got.Width, got.Height)
		}
	})
}
