package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/sns-os/snsos"
)

// MaxPixels is the most pixels (width × height) an image may have. Decoding
// an image takes memory in proportion to its pixels, however small the file:
// a 100,000 × 100,000 PNG of a few kilobytes would need 40 GB. No platform
// sns-os publishes to takes images anywhere near this size.
const MaxPixels = 100_000_000

// SniffLen is how many leading bytes Sniff needs to recognise every type it
// knows.
const SniffLen = 512

// The types Probe recognises.
const (
	MIMEJPEG      = "image/jpeg"
	MIMEPNG       = "image/png"
	MIMEGIF       = "image/gif"
	MIMEWebP      = "image/webp"
	MIMEMP4       = "video/mp4"
	MIMEQuickTime = "video/quicktime"
)

// supported names the accepted types for error messages.
const supported = "JPEG, PNG, GIF, WebP, MP4 and MOV are supported"

// Facts is what Probe found in a file.
type Facts struct {
	MIME   string // one of the MIME constants of this package
	Width  int    // pixels; images only for now
	Height int    // pixels; images only for now
	// DurationMS, FrameRate and Codec describe videos. They are zero until
	// the video probe (reading the moov box) is written.
	DurationMS int64
	FrameRate  float64
	Codec      string
}

// IsVideo reports whether the facts describe a video.
func (f Facts) IsVideo() bool { return strings.HasPrefix(f.MIME, "video/") }

// Sniff returns the type of a file from its first bytes (SniffLen are
// enough), or "" if it is not a type sns-os accepts. It looks only at
// signatures: Probe checks the rest.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return MIMEJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return MIMEPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return MIMEGIF
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return MIMEWebP
	}
	return sniffFtyp(head)
}

// mp4Brands are ftyp brands of MP4 files that hold video.
var mp4Brands = map[string]bool{
	"isom": true, "iso2": true, "iso3": true, "iso4": true, "iso5": true, "iso6": true,
	"iso7": true, "iso8": true, "iso9": true, "mp41": true, "mp42": true, "avc1": true,
	"M4V ": true, "M4VH": true, "M4VP": true, "dash": true, "f4v ": true, "MSNV": true,
	"XAVC": true, "mmp4": true,
}

// otherBrands are ftyp brands of ISO media files that are not MP4 or MOV
// video: HEIF/AVIF images, audio-only MP4s.
var otherBrands = map[string]bool{
	"heic": true, "heix": true, "hevc": true, "hevx": true, "heim": true, "heis": true,
	"hevm": true, "hevs": true, "mif1": true, "msf1": true, "avif": true, "avis": true,
	"M4A ": true, "M4B ": true, "M4P ": true, "crx ": true,
}

// sniffFtyp recognises MP4 and QuickTime files by their leading ftyp box.
// QuickTime files that predate the ftyp box are not recognised.
func sniffFtyp(head []byte) string {
	major, compat, ok := ftyp(head)
	switch {
	case !ok:
		return ""
	case major == "qt  ":
		return MIMEQuickTime
	case mp4Brands[major]:
		return MIMEMP4
	case otherBrands[major] || strings.HasPrefix(major, "3g"):
		return ""
	}
	for _, b := range compat {
		if mp4Brands[b] {
			return MIMEMP4
		}
		if b == "qt  " {
			return MIMEQuickTime
		}
	}
	return ""
}

// ftyp parses a leading ftyp box: its major brand and the compatible brands
// that lie within head.
func ftyp(head []byte) (major string, compat []string, ok bool) {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return "", nil, false
	}
	n := int(min(binary.BigEndian.Uint32(head), uint32(len(head))))
	if n < 16 {
		return "", nil, false
	}
	for i := 16; i+4 <= n; i += 4 {
		compat = append(compat, string(head[i:i+4]))
	}
	return string(head[8:12]), compat, true
}

// describe names an unsupported type for an error message.
func describe(head []byte) string {
	if major, _, ok := ftyp(head); ok {
		return fmt.Sprintf("ISO media of brand %q", major)
	}
	t, _, err := mime.ParseMediaType(http.DetectContentType(head))
	if err != nil || t == "application/octet-stream" {
		return "unrecognised data"
	}
	return t
}

// Probe reads the type and facts of the size bytes in r from their content.
// It returns an EINVALID snsos error for an empty file, a type sns-os does
// not accept ("unsupported file type: …"), or a damaged or truncated file,
// and an ETOOLARGE one for an image of more than MaxPixels pixels. It reads
// only headers and structure, never pixels: it allocates little whatever the
// file claims.
//
// Images: JPEG, PNG and GIF dimensions come from the standard library's
// DecodeConfig, WebP's from its VP8, VP8L or VP8X header. PNG files are also
// walked chunk by chunk to their IEND, so a truncated PNG is refused; a
// JPEG or GIF truncated after its header is not detected.
//
// Videos: MP4 and QuickTime are recognised by their ftyp box and their
// top-level boxes are walked (a truncated file, or one without a moov box,
// is refused). Their dimensions, duration and codec are left zero: reading
// them from the moov box comes in a later version.
func Probe(r io.ReaderAt, size int64) (Facts, error) {
	if size <= 0 {
		return Facts{}, snsos.Errorf(snsos.EINVALID, "the file is empty")
	}
	head := make([]byte, min(size, SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return Facts{}, fmt.Errorf("media: probe: %w", err)
	}
	f := Facts{MIME: Sniff(head)}
	if f.MIME == "" {
		return Facts{}, snsos.Errorf(snsos.EINVALID, "unsupported file type: %s (%s)", describe(head), supported)
	}
	sr := io.NewSectionReader(r, 0, size)
	var (
		cfg image.Config
		err error
	)
	switch f.MIME {
	case MIMEJPEG:
		cfg, err = jpeg.DecodeConfig(sr)
	case MIMEPNG:
		cfg, err = png.DecodeConfig(sr)
	case MIMEGIF:
		cfg, err = gif.DecodeConfig(sr)
	case MIMEWebP:
		cfg, err = webpConfig(r, size)
	case MIMEMP4, MIMEQuickTime:
		// Width, height, duration, frame rate and codec live in the moov
		// box: probeMovie (mp4.go) reads them.
		if err := walkBoxes(r, size, f.MIME); err != nil {
			return Facts{}, err
		}
		return probeMovie(r, size, f)
	}
	if err != nil {
		return Facts{}, damaged(f.MIME, err)
	}
	if err := checkPixels(cfg.Width, cfg.Height); err != nil {
		return Facts{}, err
	}
	if f.MIME == MIMEPNG {
		if err := walkPNG(r, size); err != nil {
			return Facts{}, err
		}
	}
	f.Width, f.Height = cfg.Width, cfg.Height
	return f, nil
}

// damaged returns the EINVALID error for a file of type t that could not be
// read, keeping the parser's error as the cause.
func damaged(t string, err error) error {
	var se *snsos.Error
	if errors.As(err, &se) {
		return err
	}
	msg := "the " + t + " file is damaged"
	// image/gif does not wrap io.ErrUnexpectedEOF: match its text too.
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.HasSuffix(err.Error(), io.ErrUnexpectedEOF.Error()) {
		msg = "the " + t + " file is truncated"
	}
	return snsos.WrapError(snsos.EINVALID, err, msg)
}

// checkPixels refuses images without pixels or with more than MaxPixels.
func checkPixels(w, h int) error {
	if w <= 0 || h <= 0 {
		return snsos.Errorf(snsos.EINVALID, "the image has no pixels (%d×%d)", w, h)
	}
	if int64(w)*int64(h) > MaxPixels {
		return snsos.Errorf(snsos.ETOOLARGE, "the image is %d×%d pixels, more than the limit of %d megapixels", w, h, MaxPixels/1_000_000)
	}
	return nil
}

// maxChunks bounds the chunks or boxes walked in one file, so a file of
// millions of empty chunks cannot make a probe slow.
const maxChunks = 1 << 16

// walkPNG follows a PNG's chunks from the signature to IEND without reading
// their data, and fails if a chunk runs past the end of the file.
func walkPNG(r io.ReaderAt, size int64) error {
	var hdr [8]byte
	off := int64(8)
	for range maxChunks {
		if off+12 > size {
			return snsos.Errorf(snsos.EINVALID, "the image/png file is truncated (no IEND chunk)")
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return damaged(MIMEPNG, err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n > 1<<31-1 {
			return snsos.Errorf(snsos.EINVALID, "the image/png file is damaged (chunk length %d)", n)
		}
		off += 12 + n
		if off > size {
			return snsos.Errorf(snsos.EINVALID, "the image/png file is truncated (chunk %q ends past the end of the file)", hdr[4:8])
		}
		if string(hdr[4:8]) == "IEND" {
			return nil
		}
	}
	return snsos.Errorf(snsos.EINVALID, "the image/png file has more than %d chunks", maxChunks)
}

// walkBoxes follows the top-level boxes of an MP4 or QuickTime file without
// reading their contents. It fails if a box runs past the end of the file or
// there is no moov box.
func walkBoxes(r io.ReaderAt, size int64, t string) error {
	var hdr [16]byte
	moov := false
	off := int64(0)
	for range maxChunks {
		if off == size {
			if !moov {
				return snsos.Errorf(snsos.EINVALID, "the %s file has no moov box: it is incomplete or not a playable video", t)
			}
			return nil
		}
		if off+8 > size {
			return snsos.Errorf(snsos.EINVALID, "the %s file is truncated (a box header is cut off)", t)
		}
		if _, err := r.ReadAt(hdr[:8], off); err != nil {
			return damaged(t, err)
		}
		n, hlen := int64(binary.BigEndian.Uint32(hdr[:4])), int64(8)
		typ := string(hdr[4:8])
		switch n {
		case 0: // the box extends to the end of the file
			n = size - off
		case 1: // a 64-bit size follows the type
			if off+16 > size {
				return snsos.Errorf(snsos.EINVALID, "the %s file is truncated (a box header is cut off)", t)
			}
			if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
				return damaged(t, err)
			}
			u := binary.BigEndian.Uint64(hdr[8:16])
			if u > uint64(size) {
				return snsos.Errorf(snsos.EINVALID, "the %s file is truncated (box %q ends past the end of the file)", t, typ)
			}
			n, hlen = int64(u), 16
		}
		if n < hlen {
			return snsos.Errorf(snsos.EINVALID, "the %s file is damaged (box %q has size %d)", t, typ, n)
		}
		if n > size-off {
			return snsos.Errorf(snsos.EINVALID, "the %s file is truncated (box %q ends past the end of the file)", t, typ)
		}
		if typ == "moov" {
			moov = true
		}
		off += n
	}
	return snsos.Errorf(snsos.EINVALID, "the %s file has more than %d top-level boxes", t, maxChunks)
}
