package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"path"
	"strings"

	"golang.org/x/image/webp"

	"github.com/sns-os/snsos"
)

// DefaultJPEGQuality is the quality Library.ConvertToJPEG encodes with, and
// ConvertToJPEG's when it is given 0.
const DefaultJPEGQuality = 90

// ConvertToJPEG decodes the image read from r, whose type (sniffed, as in a
// MediaRef) is mime, and returns it encoded as a JPEG of the same dimensions
// at the given quality (1–100; 0 means DefaultJPEGQuality). It converts PNG,
// WebP and GIF (the first frame, placed on the GIF's canvas). JPEG has no
// transparency: transparent and translucent pixels are flattened onto white.
//
// The dimensions are read from the header first, and an image of more than
// MaxPixels pixels is refused with an ETOOLARGE error before anything is
// decoded. A JPEG ("already JPEG"), a video, a type it does not convert, a
// file whose content is not of type mime, or a damaged file is an EINVALID
// error. Errors reading r are returned wrapped, without a code.
//
// The whole decoded image and its JPEG are held in memory: about 8 bytes a
// pixel, so up to some 800 MB for an image at the pixel limit.
func ConvertToJPEG(r io.Reader, mime string, quality int) ([]byte, error) {
	if err := convertible(mime); err != nil {
		return nil, err
	}
	if quality == 0 {
		quality = DefaultJPEGQuality
	}
	if quality < 1 || quality > 100 {
		return nil, snsos.Errorf(snsos.EINVALID, "JPEG quality %d is not between 1 and 100", quality)
	}
	src := &errReader{r: r}

	// Check the content against mime.
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("media: read image: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, snsos.Errorf(snsos.EINVALID, "the file is empty")
	}
	if got := Sniff(head); got != mime {
		if got == "" {
			got = describe(head)
		}
		return nil, snsos.Errorf(snsos.EINVALID, "the file is %s, not %s", got, mime)
	}

	// Read the dimensions, keeping the bytes read for the decoder.
	var seen bytes.Buffer
	seen.Write(head)
	tee := io.TeeReader(src, &seen)
	cfgR := io.MultiReader(bytes.NewReader(head), tee)
	var (
		cfg    image.Config
		decode func(io.Reader) (image.Image, error)
	)
	switch mime {
	case MIMEPNG:
		cfg, err = png.DecodeConfig(cfgR)
		decode = png.Decode
	case MIMEWebP:
		cfg, err = webp.DecodeConfig(cfgR)
		decode = webp.Decode
	case MIMEGIF:
		cfg, err = gif.DecodeConfig(cfgR)
		decode = gif.Decode // the first frame
	}
	if err != nil {
		return nil, src.or(damaged(mime, err))
	}
	if err := checkPixels(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}

	img, err := decode(io.MultiReader(&seen, src))
	if err != nil {
		return nil, src.or(damaged(mime, err))
	}
	canvas := image.Rect(0, 0, cfg.Width, cfg.Height)
	if !img.Bounds().In(canvas) {
		return nil, snsos.Errorf(snsos.EINVALID, "the %s file is damaged: its image %v lies outside its %d×%d canvas", mime, img.Bounds(), cfg.Width, cfg.Height)
	}
	flat := image.NewRGBA(canvas)
	draw.Draw(flat, canvas, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(flat, img.Bounds(), img, img.Bounds().Min, draw.Over)

	var out bytes.Buffer
	if err := jpeg.Encode(&out, flat, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("media: encode JPEG: %w", err)
	}
	return out.Bytes(), nil
}

// convertible refuses the types ConvertToJPEG does not convert.
func convertible(mime string) error {
	switch {
	case mime == MIMEJPEG:
		return snsos.Errorf(snsos.EINVALID, "the image is already JPEG")
	case mime == MIMEPNG, mime == MIMEWebP, mime == MIMEGIF:
		return nil
	case strings.HasPrefix(mime, "video/"):
		return snsos.Errorf(snsos.EINVALID, "only images can be converted to JPEG, not %s", mime)
	}
	return snsos.Errorf(snsos.EINVALID, "%q images cannot be converted to JPEG (PNG, WebP and GIF can)", mime)
}

// ConvertToJPEG converts image id to JPEG (see the function ConvertToJPEG,
// at DefaultJPEGQuality) and uploads the result as a new media item, which
// it returns; its filename is the original's with the extension ".jpg". The
// original is left as it was: replacing it in a post is the caller's
// decision. Converting the same image twice returns the same record.
//
// A JPEG, a video or an image that cannot be converted is an EINVALID
// error; a JPEG larger than the limit for images an ETOOLARGE one.
func (l *Library) ConvertToJPEG(ctx context.Context, id int64) (*snsos.MediaRef, error) {
	m, err := l.db.FindMediaByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := convertible(m.Mime); err != nil {
		return nil, err
	}
	rc, err := l.openFile(ctx, m)
	if err != nil {
		return nil, err
	}
	out, err := ConvertToJPEG(rc, m.Mime, DefaultJPEGQuality)
	rc.Close()
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > l.limits.MaxImageBytes {
		return nil, snsos.Errorf(snsos.ETOOLARGE, "the JPEG made from media %d is %s, larger than the limit for images of %s",
			id, formatBytes(int64(len(out))), formatBytes(l.limits.MaxImageBytes))
	}
	return l.Upload(ctx, bytes.NewReader(out), jpegName(m))
}

// jpegName is the filename of the JPEG made from m.
func jpegName(m *snsos.MediaRef) string {
	base := strings.TrimSuffix(m.Filename, path.Ext(m.Filename))
	if base == "" {
		base = fmt.Sprintf("media-%d", m.ID)
	}
	return base + ".jpg"
}

// errReader remembers the first error other than io.EOF from r, so that a
// failing store is not reported as a damaged file.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// or returns the read error, if reading failed, else err.
func (e *errReader) or(err error) error {
	if e.err != nil {
		return fmt.Errorf("media: read image: %w", e.err)
	}
	return err
}
