package media

import (
	"encoding/binary"
	"image"
	"io"

	"github.com/sns-os/snsos"
)

// webpConfig reads the dimensions of a WebP file from the header of its
// first chunk (https://developers.google.com/speed/webp/docs/riff_container):
//
//   - "VP8 " (lossy): a key frame's 10-byte header holds 14-bit width and
//     height after the start code 9d 01 2a;
//   - "VP8L" (lossless): after the signature byte 0x2f, 14 bits of width-1
//     and 14 bits of height-1, then the alpha bit and a 3-bit version (0);
//   - "VP8X" (extended: alpha, animation, metadata): 24-bit canvas width-1
//     and height-1 after a flag byte and three reserved bytes.
//
// It checks that the RIFF container and the chunk fit in the file, so a
// truncated file is refused; it does not decode any image data.
func webpConfig(r io.ReaderAt, size int64) (image.Config, error) {
	var b [30]byte // RIFF header (12) + chunk header (8) + chunk header data (≤ 10)
	if size < 20 {
		return image.Config{}, io.ErrUnexpectedEOF
	}
	n, err := r.ReadAt(b[:min(size, int64(len(b)))], 0)
	if err != nil && err != io.EOF {
		return image.Config{}, err
	}
	if n < 20 {
		return image.Config{}, io.ErrUnexpectedEOF
	}
	riff := int64(binary.LittleEndian.Uint32(b[4:8]))
	if riff < 4+8 {
		return image.Config{}, invalidWebP("RIFF size %d is too small", riff)
	}
	if 8+riff > size {
		return image.Config{}, io.ErrUnexpectedEOF
	}
	chunk, clen := string(b[12:16]), int64(binary.LittleEndian.Uint32(b[16:20]))
	if 20+clen > 8+riff {
		return image.Config{}, io.ErrUnexpectedEOF
	}
	d := b[20:n]
	need := map[string]int{"VP8 ": 10, "VP8L": 5, "VP8X": 10}[chunk]
	if need == 0 {
		return image.Config{}, invalidWebP("first chunk %q is not VP8, VP8L or VP8X", chunk)
	}
	if clen < int64(need) || len(d) < need {
		return image.Config{}, io.ErrUnexpectedEOF
	}
	var w, h int
	switch chunk {
	case "VP8 ":
		if d[0]&1 != 0 {
			return image.Config{}, invalidWebP("VP8 data does not start with a key frame")
		}
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return image.Config{}, invalidWebP("VP8 start code missing")
		}
		w = int(binary.LittleEndian.Uint16(d[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(d[8:10]) & 0x3fff)
	case "VP8L":
		if d[0] != 0x2f {
			return image.Config{}, invalidWebP("VP8L signature missing")
		}
		bits := binary.LittleEndian.Uint32(d[1:5])
		if bits>>29 != 0 {
			return image.Config{}, invalidWebP("VP8L version %d is unknown", bits>>29)
		}
		w = int(bits&0x3fff) + 1
		h = int(bits>>14&0x3fff) + 1
	case "VP8X":
		w = int(uint32(d[4])|uint32(d[5])<<8|uint32(d[6])<<16) + 1
		h = int(uint32(d[7])|uint32(d[8])<<8|uint32(d[9])<<16) + 1
	}
	return image.Config{Width: w, Height: h}, nil
}

func invalidWebP(format string, args ...any) error {
	return snsos.Errorf(snsos.EINVALID, "the image/webp file is damaged: "+format, args...)
}
