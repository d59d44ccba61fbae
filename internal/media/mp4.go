package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/sns-os/snsos"
)

// MP4Info is what ProbeMP4 reads from the moov box of an MP4 or QuickTime
// file.
type MP4Info struct {
	// Width and Height are the displayed size of the video track in pixels:
	// the track header's size (or, when that is zero, the sample entry's
	// coded size), swapped when the track matrix rotates by 90° or 270°.
	Width, Height int
	// Rotation is the clockwise rotation of the track matrix: 0, 90, 180 or
	// 270 (other matrices count as 0).
	Rotation int
	// DurationMS is the movie's duration (mvhd), rounded to the nearest
	// millisecond; when the movie header gives none, the video track's
	// (mdhd), or a fragmented file's (mehd).
	DurationMS int64
	// FrameRate is the video track's average frame rate: its sample count
	// divided by the sum of its sample durations (stts), rounded to three
	// decimals. It is 0 when the track lists no samples (fragmented MP4).
	FrameRate float64
	// Codec names the video coding: "h264", "hevc", "vp8", "vp9", "av1",
	// "mpeg4", "prores", or the sample entry's four-character code when it
	// is none of those.
	Codec string
	// HasAudio reports whether the movie has a sound track.
	HasAudio bool
}

// Bounds of the MP4 parser, so that no file can make a probe slow or large.
const (
	mp4MaxDepth       = 8       // moov/trak/mdia/minf/stbl/stsd/avc1 is 7 deep
	mp4MaxBoxes       = 1 << 16 // boxes visited in one file, all levels together
	mp4MaxSTTSEntries = 1 << 20 // a frame-by-frame VFR table of 4.8 h at 60 fps
)

// ProbeMP4 reads the facts of the video in the size bytes of an MP4 or
// QuickTime file in r: it finds the moov box (before or after the media data)
// and, in it, the movie header and the first video track. It reads box
// headers and a few fixed-size fields, never sample data, and allocates
// nothing in proportion to a size or count the file claims.
//
// A file that is truncated, whose boxes overrun their container, that has
// no moov box or no video track, or whose headers are damaged is refused
// with an EINVALID snsos error whose message says why ("this MP4 has no
// video track", "the MP4 is truncated at byte …"). Read errors of r are
// returned wrapped, without a code.
func ProbeMP4(r io.ReaderAt, size int64) (MP4Info, error) {
	return parseMP4(r, size, "MP4")
}

// probeMovie fills the video facts of f, an MP4 or QuickTime file that
// walkBoxes has accepted, for Probe.
//
// A moov box without any track at all is accepted with the facts left zero,
// as Probe did before it read the moov box. No encoder writes such a file;
// it is tolerated only because older test fixtures of this package are made
// that way. Every other failure of ProbeMP4 is Probe's.
func probeMovie(r io.ReaderAt, size int64, f Facts) (Facts, error) {
	name := "MP4"
	if f.MIME == MIMEQuickTime {
		name = "MOV"
	}
	info, err := parseMP4(r, size, name)
	if errors.Is(err, errNoTracks) {
		return f, nil
	}
	if err != nil {
		return Facts{}, err
	}
	f.Width, f.Height = info.Width, info.Height
	f.DurationMS, f.FrameRate, f.Codec = info.DurationMS, info.FrameRate, info.Codec
	return f, nil
}

// errNoTracks marks the error of a moov box that holds no trak box.
var errNoTracks = errors.New("no tracks")

// mp4Box is one box: its type and where its header and payload lie.
type mp4Box struct {
	typ        string
	start, end int64 // the whole box: [start, end)
	data       int64 // start of the payload
}

func (b mp4Box) payload() int64 { return b.end - b.data }

// mp4Parser walks the boxes of one file.
type mp4Parser struct {
	r     io.ReaderAt
	size  int64
	name  string // "MP4" or "MOV", for messages
	boxes int    // boxes visited

	// Found in moov.
	mvhd          bool
	movieScale    uint32
	movieDuration uint64 // in movieScale; 0 when unknown
	fragDuration  uint64 // mvex/mehd, in movieScale
	tracks        int
	video         *mp4Track // the first video track, or the first enabled one
	audio         bool
}

// mp4Track is what one trak box says.
type mp4Track struct {
	handler         string
	enabled         bool
	tkhdW, tkhdH    uint32 // 16.16 fixed point
	rotation        int
	scale           uint32 // mdhd timescale
	duration        uint64 // mdhd duration, in scale
	entry           string // the first sample entry's type
	entryW, entryH  int
	samples, ticks  uint64 // stts totals
	stts, stsd, hdl bool   // which boxes were seen
}

func parseMP4(r io.ReaderAt, size int64, name string) (MP4Info, error) {
	p := &mp4Parser{r: r, size: size, name: name}
	if size <= 0 {
		return MP4Info{}, p.invalid("the %s file is empty", name)
	}
	var moov *mp4Box
	err := p.children(mp4Box{end: size}, 0, func(b mp4Box) error {
		if b.typ == "moov" && moov == nil {
			moov = &b
		}
		return nil
	})
	if err != nil {
		return MP4Info{}, err
	}
	if moov == nil {
		return MP4Info{}, p.invalid("this %s has no moov box: it is incomplete or not a playable video", name)
	}
	if err := p.children(*moov, 1, p.moovChild); err != nil {
		return MP4Info{}, err
	}
	return p.result()
}

// result turns what the walk found into an MP4Info, or says what is
// missing.
func (p *mp4Parser) result() (MP4Info, error) {
	if p.tracks == 0 {
		return MP4Info{}, snsos.WrapError(snsos.EINVALID, errNoTracks, fmt.Sprintf("this %s has no tracks", p.name))
	}
	v := p.video
	if v == nil {
		if p.audio {
			return MP4Info{}, p.invalid("this %s has no video track (it holds only sound)", p.name)
		}
		return MP4Info{}, p.invalid("this %s has no video track", p.name)
	}
	if !p.mvhd {
		return MP4Info{}, p.invalid("the %s is damaged: its moov box has no movie header (mvhd)", p.name)
	}
	if !v.stsd || v.entry == "" {
		return MP4Info{}, p.invalid("the %s is damaged: its video track has no sample description (stsd)", p.name)
	}
	info := MP4Info{Codec: codecName(v.entry), HasAudio: p.audio, Rotation: v.rotation}

	// Size: the track header's presentation size, else the coded size.
	w, h := int(v.tkhdW>>16), int(v.tkhdH>>16)
	if w == 0 || h == 0 {
		w, h = v.entryW, v.entryH
	}
	if w == 0 || h == 0 {
		return MP4Info{}, p.invalid("the %s is damaged: its video track has no dimensions", p.name)
	}
	if v.rotation == 90 || v.rotation == 270 {
		w, h = h, w
	}
	info.Width, info.Height = w, h

	// Duration: the movie's, else the video track's, else the fragments'.
	var err error
	switch {
	case p.movieDuration > 0:
		if p.movieScale == 0 {
			return MP4Info{}, p.invalid("the %s is damaged: its movie header has a timescale of 0", p.name)
		}
		info.DurationMS, err = p.millis(p.movieDuration, p.movieScale)
	case v.duration > 0 && v.scale > 0:
		info.DurationMS, err = p.millis(v.duration, v.scale)
	case p.fragDuration > 0 && p.movieScale > 0:
		info.DurationMS, err = p.millis(p.fragDuration, p.movieScale)
	}
	if err != nil {
		return MP4Info{}, err
	}

	// Frame rate: samples per second of the track's own timescale.
	if v.samples > 0 {
		if v.scale == 0 {
			return MP4Info{}, p.invalid("the %s is damaged: its video track has a timescale of 0", p.name)
		}
		if v.ticks == 0 {
			return MP4Info{}, p.invalid("the %s is damaged: its video frames have no duration (stts)", p.name)
		}
		fps := float64(v.samples) * float64(v.scale) / float64(v.ticks)
		info.FrameRate = math.Round(fps*1000) / 1000
	}
	return info, nil
}

// millis converts d units of 1/scale s to milliseconds, rounded.
func (p *mp4Parser) millis(d uint64, scale uint32) (int64, error) {
	hi, lo := bits.Mul64(d, 1000)
	lo, carry := bits.Add64(lo, uint64(scale/2), 0)
	hi += carry
	if hi >= uint64(scale) {
		return 0, p.invalid("the %s is damaged: its duration is implausible", p.name)
	}
	ms, _ := bits.Div64(hi, lo, uint64(scale))
	if ms > math.MaxInt64 {
		return 0, p.invalid("the %s is damaged: its duration is implausible", p.name)
	}
	return int64(ms), nil
}

func (p *mp4Parser) moovChild(b mp4Box) error {
	switch b.typ {
	case "mvhd":
		if p.mvhd {
			return nil
		}
		p.mvhd = true
		scale, dur, err := p.timeHeader(b)
		if err != nil {
			return err
		}
		p.movieScale, p.movieDuration = scale, dur
	case "mvex":
		return p.children(b, 2, func(c mp4Box) error {
			if c.typ != "mehd" {
				return nil
			}
			var buf [12]byte
			d, err := p.read(c, buf[:], 0, 8)
			if err != nil {
				return err
			}
			if d[0] == 1 {
				if d, err = p.read(c, buf[:], 0, 12); err != nil {
					return err
				}
				p.fragDuration = binary.BigEndian.Uint64(d[4:12])
			} else {
				p.fragDuration = uint64(binary.BigEndian.Uint32(d[4:8]))
			}
			return nil
		})
	case "trak":
		p.tracks++
		t := &mp4Track{}
		if err := p.children(b, 2, func(c mp4Box) error { return p.trakChild(t, c) }); err != nil {
			return err
		}
		switch t.handler {
		case "vide":
			if p.video == nil || (!p.video.enabled && t.enabled) {
				p.video = t
			}
		case "soun":
			p.audio = true
		}
	}
	return nil
}

// timeHeader reads the timescale and duration of an mvhd or mdhd box, which
// share their layout up to the duration. A duration of all ones means
// unknown and is returned as 0.
func (p *mp4Parser) timeHeader(b mp4Box) (scale uint32, duration uint64, err error) {
	var buf [32]byte
	d, err := p.read(b, buf[:], 0, 20)
	if err != nil {
		return 0, 0, err
	}
	switch d[0] {
	case 0:
		scale, duration = binary.BigEndian.Uint32(d[12:16]), uint64(binary.BigEndian.Uint32(d[16:20]))
		if duration == math.MaxUint32 {
			duration = 0
		}
	case 1:
		if d, err = p.read(b, buf[:], 0, 32); err != nil {
			return 0, 0, err
		}
		scale, duration = binary.BigEndian.Uint32(d[20:24]), binary.BigEndian.Uint64(d[24:32])
		if duration == math.MaxUint64 {
			duration = 0
		}
	default:
		return 0, 0, p.invalid("the %s is damaged: box %q has unknown version %d", p.name, b.typ, d[0])
	}
	return scale, duration, nil
}

func (p *mp4Parser) trakChild(t *mp4Track, b mp4Box) error {
	switch b.typ {
	case "tkhd":
		return p.tkhd(t, b)
	case "mdia":
		return p.children(b, 3, func(c mp4Box) error {
			switch c.typ {
			case "mdhd":
				scale, dur, err := p.timeHeader(c)
				if err != nil {
					return err
				}
				t.scale, t.duration = scale, dur
			case "hdlr":
				if t.hdl {
					return nil
				}
				t.hdl = true
				var buf [12]byte
				d, err := p.read(c, buf[:], 0, 12)
				if err != nil {
					return err
				}
				t.handler = string(d[8:12])
			case "minf":
				return p.children(c, 4, func(s mp4Box) error {
					if s.typ != "stbl" {
						return nil
					}
					return p.children(s, 5, func(e mp4Box) error { return p.stblChild(t, e) })
				})
			}
			return nil
		})
	}
	return nil
}

// tkhd reads a track header: enabled flag, matrix rotation, size.
func (p *mp4Parser) tkhd(t *mp4Track, b mp4Box) error {
	var buf [96]byte
	d, err := p.read(b, buf[:], 0, 4)
	if err != nil {
		return err
	}
	var matrix int
	switch d[0] {
	case 0:
		d, err = p.read(b, buf[:], 0, 84)
		matrix = 40
	case 1:
		d, err = p.read(b, buf[:], 0, 96)
		matrix = 52
	default:
		return p.invalid("the %s is damaged: box %q has unknown version %d", p.name, b.typ, d[0])
	}
	if err != nil {
		return err
	}
	t.enabled = d[3]&1 != 0
	m := d[matrix : matrix+36]
	a, bb := int32(binary.BigEndian.Uint32(m[0:4])), int32(binary.BigEndian.Uint32(m[4:8]))
	c, dd := int32(binary.BigEndian.Uint32(m[12:16])), int32(binary.BigEndian.Uint32(m[16:20]))
	const one = 1 << 16
	switch {
	case a == 0 && bb == one && c == -one && dd == 0:
		t.rotation = 90
	case a == -one && bb == 0 && c == 0 && dd == -one:
		t.rotation = 180
	case a == 0 && bb == -one && c == one && dd == 0:
		t.rotation = 270
	}
	t.tkhdW = binary.BigEndian.Uint32(d[matrix+36 : matrix+40])
	t.tkhdH = binary.BigEndian.Uint32(d[matrix+40 : matrix+44])
	return nil
}

func (p *mp4Parser) stblChild(t *mp4Track, b mp4Box) error {
	switch b.typ {
	case "stsd":
		if t.stsd {
			return nil
		}
		t.stsd = true
		var buf [8]byte
		d, err := p.read(b, buf[:], 0, 8)
		if err != nil {
			return err
		}
		if binary.BigEndian.Uint32(d[4:8]) == 0 {
			return nil // no entry: reported by result for a video track
		}
		// The entries follow the 8-byte header; only the first counts.
		entries := mp4Box{typ: "stsd", start: b.start, end: b.end, data: b.data + 8}
		first := true
		return p.children(entries, 6, func(e mp4Box) error {
			if !first {
				return nil
			}
			first = false
			t.entry = e.typ
			if t.handler != "" && t.handler != "vide" {
				return nil // hdlr comes before minf: skip other tracks' entries
			}
			// VisualSampleEntry: 6 reserved, data reference index, 16
			// bytes pre-defined and reserved, then width and height.
			var vb [28]byte
			if e.payload() < 28 {
				return nil // not a visual entry; the size comes from tkhd
			}
			v, err := p.read(e, vb[:], 0, 28)
			if err != nil {
				return err
			}
			t.entryW = int(binary.BigEndian.Uint16(v[24:26]))
			t.entryH = int(binary.BigEndian.Uint16(v[26:28]))
			return nil
		})
	case "stts":
		if t.stts {
			return nil
		}
		t.stts = true
		return p.stts(t, b)
	}
	return nil
}

// stts sums a time-to-sample table: sample count and total duration.
func (p *mp4Parser) stts(t *mp4Track, b mp4Box) error {
	var hdr [8]byte
	d, err := p.read(b, hdr[:], 0, 8)
	if err != nil {
		return err
	}
	n := int64(binary.BigEndian.Uint32(d[4:8]))
	if n > (b.payload()-8)/8 {
		return p.invalid("the %s is damaged: its stts box lists %d entries but has room for %d", p.name, n, (b.payload()-8)/8)
	}
	if n > mp4MaxSTTSEntries {
		return p.invalid("the %s has %d frame timing (stts) entries, more than the %d this probe reads", p.name, n, mp4MaxSTTSEntries)
	}
	var buf [4096]byte
	for off := int64(0); off < n*8; {
		chunk := min(n*8-off, int64(len(buf)))
		e, err := p.read(b, buf[:], 8+off, chunk)
		if err != nil {
			return err
		}
		for i := 0; i < len(e); i += 8 {
			count := uint64(binary.BigEndian.Uint32(e[i : i+4]))
			delta := uint64(binary.BigEndian.Uint32(e[i+4 : i+8]))
			var c1, c2 uint64
			t.samples, c1 = bits.Add64(t.samples, count, 0)
			t.ticks, c2 = bits.Add64(t.ticks, count*delta, 0) // count, delta < 2^32: no overflow
			if c1 != 0 || c2 != 0 {
				return p.invalid("the %s is damaged: its frame timing (stts) overflows", p.name)
			}
		}
		off += chunk
	}
	return nil
}

// children calls fn for each box in the payload of parent, which lies at
// the given depth (0 for the file itself). It checks every box against its
// container and the file, and the depth and box-count limits.
func (p *mp4Parser) children(parent mp4Box, depth int, fn func(mp4Box) error) error {
	if depth >= mp4MaxDepth {
		return p.invalid("the %s is damaged: boxes are nested more than %d deep", p.name, mp4MaxDepth)
	}
	end := parent.end
	where := "the file"
	if parent.typ != "" {
		where = fmt.Sprintf("its %q box", parent.typ)
	}
	var hdr [16]byte
	for off := parent.data; off < end; {
		p.boxes++
		if p.boxes > mp4MaxBoxes {
			return p.invalid("the %s has more than %d boxes", p.name, mp4MaxBoxes)
		}
		if end-off < 8 {
			return p.cut(off, end, where)
		}
		if err := p.readAt(hdr[:8], off); err != nil {
			return err
		}
		b := mp4Box{typ: fourCC(hdr[4:8]), start: off, data: off + 8}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch n {
		case 0: // to the end of the container
			n = end - off
		case 1: // 64-bit size after the type
			if end-off < 16 {
				return p.cut(off, end, where)
			}
			if err := p.readAt(hdr[8:16], off+8); err != nil {
				return err
			}
			u := binary.BigEndian.Uint64(hdr[8:16])
			if u > uint64(end-off) {
				return p.overrun(b, off, u, end, where)
			}
			n, b.data = int64(u), off+16
		}
		if n < b.data-off {
			return p.invalid("the %s is damaged: box %q at byte %d has size %d", p.name, b.typ, off, n)
		}
		if n > end-off {
			return p.overrun(b, off, uint64(n), end, where)
		}
		b.end = off + n
		if err := fn(b); err != nil {
			return err
		}
		off = b.end
	}
	return nil
}

// cut reports a box header cut off at the end of its container.
func (p *mp4Parser) cut(off, end int64, where string) error {
	if end == p.size {
		return p.invalid("the %s is truncated at byte %d: a box header is cut off", p.name, p.size)
	}
	return p.invalid("the %s is damaged: a box header at byte %d is cut off by the end of %s", p.name, off, where)
}

// overrun reports box b, of size n at off, running past end.
func (p *mp4Parser) overrun(b mp4Box, off int64, n uint64, end int64, where string) error {
	if end == p.size {
		return p.invalid("the %s is truncated at byte %d: box %q at byte %d needs %d bytes", p.name, p.size, b.typ, off, n)
	}
	return p.invalid("the %s is damaged: box %q at byte %d (%d bytes) runs past the end of %s", p.name, b.typ, off, n, where)
}

// read reads n bytes of b's payload from offset off into buf, which must
// hold them; a payload too short for them is damage.
func (p *mp4Parser) read(b mp4Box, buf []byte, off, n int64) ([]byte, error) {
	if off+n > b.payload() {
		return nil, p.invalid("the %s is damaged: box %q at byte %d is too short (%d bytes)", p.name, b.typ, b.start, b.end-b.start)
	}
	if err := p.readAt(buf[:n], b.data+off); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// readAt fills buf from off, which the caller has checked lies within size.
// A reader shorter than size means the file is truncated.
func (p *mp4Parser) readAt(buf []byte, off int64) error {
	n, err := p.r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return p.invalid("the %s is truncated at byte %d", p.name, off+int64(n))
	}
	return fmt.Errorf("media: probe %s: %w", p.name, err)
}

func (p *mp4Parser) invalid(format string, args ...any) error {
	return snsos.Errorf(snsos.EINVALID, format, args...)
}

// fourCC returns a box or sample entry type as text, escaping bytes that are
// not printable ASCII so that messages stay readable.
func fourCC(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			q := strconv.Quote(string(b))
			return q[1 : len(q)-1]
		}
	}
	return string(b)
}

// codecName names the coding of a video sample entry type.
func codecName(entry string) string {
	switch entry {
	case "avc1", "avc2", "avc3", "avc4":
		return "h264"
	case "hvc1", "hev1", "dvh1", "dvhe":
		return "hevc"
	case "vp08":
		return "vp8"
	case "vp09":
		return "vp9"
	case "av01":
		return "av1"
	case "mp4v":
		return "mpeg4"
	case "apch", "apcn", "apcs", "apco", "ap4h", "ap4x":
		return "prores"
	}
	return strings.TrimSpace(entry)
}
