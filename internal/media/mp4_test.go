package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/sns-os/snsos"
)

// mp4Spec describes a movie for buildMP4. Zero fields take defaults: brand
// "isom", codec "avc1", movie timescale 1000, media timescale 15360, 30 fps.
type mp4Spec struct {
	brand         string
	codec         string // sample entry type
	width, height int    // written in tkhd and in the sample entry
	tkhdNoSize    bool   // tkhd size 0: the sample entry's counts
	rotate        int    // 0, 90, 180, 270: the tkhd matrix
	durationMS    int64  // the movie's duration
	movieScale    uint32
	mediaScale    uint32
	frames        uint32      // samples in stts; default durationMS × fps
	delta         uint32      // sample duration in mediaScale; default mediaScale / 30
	stts          [][2]uint32 // explicit stts entries, replacing frames × delta
	version1      bool        // 64-bit mvhd, tkhd, mdhd
	audio         bool        // add a sound track (before the video one)
	noVideo       bool        // leave out the video track
	moovLast      bool        // moov after mdat
	mdat64        bool        // 64-bit mdat size
	mdatBytes     int
}

func mp4FullBox(typ string, version byte, flags uint32, payload ...[]byte) []byte {
	p := []byte{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}
	for _, b := range payload {
		p = append(p, b...)
	}
	return box(typ, p)
}

func mp4Cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// mp4TimeHeader returns an mvhd- or mdhd-shaped box with the given scale and
// duration and tail bytes after them.
func mp4TimeHeader(typ string, v1 bool, scale uint32, dur uint64, tail []byte) []byte {
	if v1 {
		return mp4FullBox(typ, 1, 0, be64(0), be64(0), be32(scale), be64(dur), tail)
	}
	return mp4FullBox(typ, 0, 0, be32(0), be32(0), be32(scale), be32(uint32(dur)), tail)
}

func mp4Matrix(rotate int) []byte {
	const one, w = 1 << 16, 1 << 30
	m := map[int][9]int32{
		0:   {one, 0, 0, 0, one, 0, 0, 0, w},
		90:  {0, one, 0, -one, 0, 0, 0, 0, w},
		180: {-one, 0, 0, 0, -one, 0, 0, 0, w},
		270: {0, -one, 0, one, 0, 0, 0, 0, w},
	}[rotate]
	var b []byte
	for _, v := range m {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

func mp4Tkhd(v1 bool, rotate int, w, h int) []byte {
	var times []byte
	if v1 {
		times = mp4Cat(be64(0), be64(0), be32(1), be32(0), be64(0))
	} else {
		times = mp4Cat(be32(0), be32(0), be32(1), be32(0), be32(0))
	}
	rest := mp4Cat(make([]byte, 8), be16(0), be16(0), be16(0), be16(0), mp4Matrix(rotate), be32(uint32(w)<<16), be32(uint32(h)<<16))
	return mp4FullBox("tkhd", map[bool]byte{false: 0, true: 1}[v1], 3, times, rest)
}

func mp4Hdlr(handler string) []byte {
	return mp4FullBox("hdlr", 0, 0, be32(0), []byte(handler), make([]byte, 12), []byte("handler\x00"))
}

func mp4Stts(entries [][2]uint32) []byte {
	b := be32(uint32(len(entries)))
	for _, e := range entries {
		b = append(b, be32(e[0])...)
		b = append(b, be32(e[1])...)
	}
	return mp4FullBox("stts", 0, 0, b)
}

// mp4VisualEntry returns a VisualSampleEntry of type typ.
func mp4VisualEntry(typ string, w, h int) []byte {
	p := mp4Cat(make([]byte, 6), be16(1), make([]byte, 16), be16(uint16(w)), be16(uint16(h)),
		be32(0x00480000), be32(0x00480000), be32(0), be16(1), make([]byte, 32), be16(0x18), be16(0xffff))
	return box(typ, mp4Cat(p, box("avcC", []byte{1, 0x64, 0, 0x1f, 0xff, 0xe0, 0})))
}

func mp4TrakBox(handler string, v1 bool, tkhd, entry []byte, scale uint32, dur uint64, stts [][2]uint32) []byte {
	stsd := mp4FullBox("stsd", 0, 0, be32(1), entry)
	stbl := box("stbl", mp4Cat(stsd, mp4Stts(stts), mp4FullBox("stsz", 0, 0, be32(0), be32(0))))
	minf := box("minf", mp4Cat(box("dinf", nil), stbl))
	mdia := box("mdia", mp4Cat(mp4TimeHeader("mdhd", v1, scale, dur, make([]byte, 4)), mp4Hdlr(handler), minf))
	return box("trak", mp4Cat(tkhd, mdia))
}

// buildMP4 returns a small but structurally complete MP4 described by s.
func buildMP4(s mp4Spec) []byte {
	if s.brand == "" {
		s.brand = "isom"
	}
	if s.codec == "" {
		s.codec = "avc1"
	}
	if s.movieScale == 0 {
		s.movieScale = 1000
	}
	if s.mediaScale == 0 {
		s.mediaScale = 15360
	}
	if s.delta == 0 {
		s.delta = s.mediaScale / 30
	}
	if s.frames == 0 {
		s.frames = uint32(uint64(s.durationMS) * uint64(s.mediaScale) / 1000 / uint64(s.delta))
	}
	if s.stts == nil {
		s.stts = [][2]uint32{{s.frames, s.delta}}
	}
	movieDur := uint64(s.durationMS) * uint64(s.movieScale) / 1000
	mediaDur := uint64(s.durationMS) * uint64(s.mediaScale) / 1000

	mvhd := mp4TimeHeader("mvhd", s.version1, s.movieScale, movieDur,
		mp4Cat(be32(0x00010000), be16(0x0100), make([]byte, 10), mp4Matrix(0), make([]byte, 24), be32(3)))
	var traks []byte
	if s.audio {
		audio := box("mp4a", mp4Cat(make([]byte, 6), be16(1), make([]byte, 8), be16(2), be16(16), make([]byte, 4), be32(48000<<16)))
		traks = append(traks, mp4TrakBox("soun", s.version1, mp4Tkhd(s.version1, 0, 0, 0), audio, 48000, uint64(s.durationMS)*48, [][2]uint32{{uint32(s.durationMS * 48 / 1024), 1024}})...)
	}
	if !s.noVideo {
		tw, th := s.width, s.height
		if s.tkhdNoSize {
			tw, th = 0, 0
		}
		traks = append(traks, mp4TrakBox("vide", s.version1, mp4Tkhd(s.version1, s.rotate, tw, th),
			mp4VisualEntry(s.codec, s.width, s.height), s.mediaScale, mediaDur, s.stts)...)
	}
	moov := box("moov", mp4Cat(mvhd, traks))
	var mdat []byte
	if s.mdat64 {
		mdat = mp4Cat(be32(1), []byte("mdat"), be64(uint64(16+s.mdatBytes)), make([]byte, s.mdatBytes))
	} else {
		mdat = box("mdat", make([]byte, s.mdatBytes))
	}
	ftyp := ftypBox(s.brand, "isom", "iso2", "avc1", "mp41")
	if s.moovLast {
		return mp4Cat(ftyp, box("free", nil), mdat, moov)
	}
	return mp4Cat(ftyp, moov, box("free", nil), mdat)
}

func probeMP4Bytes(b []byte) (MP4Info, error) { return ProbeMP4(bytes.NewReader(b), int64(len(b))) }

func TestProbeMP4(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec mp4Spec
		want MP4Info
	}{
		{"X limit case: 141 s 1280x720 30 fps h264",
			mp4Spec{width: 1280, height: 720, durationMS: 141_000, mdatBytes: 1000},
			MP4Info{Width: 1280, Height: 720, DurationMS: 141_000, FrameRate: 30, Codec: "h264"}},
		{"moov after mdat",
			mp4Spec{width: 1280, height: 720, durationMS: 141_000, mdatBytes: 1000, moovLast: true},
			MP4Info{Width: 1280, Height: 720, DurationMS: 141_000, FrameRate: 30, Codec: "h264"}},
		{"moov after a 64-bit mdat",
			mp4Spec{width: 640, height: 360, durationMS: 2_500, mdatBytes: 10, moovLast: true, mdat64: true},
			MP4Info{Width: 640, Height: 360, DurationMS: 2_500, FrameRate: 30, Codec: "h264"}},
		{"29.97 fps hevc 9:16 with sound",
			mp4Spec{codec: "hvc1", width: 1080, height: 1920, durationMS: 15_015, mediaScale: 30000, delta: 1001, audio: true},
			MP4Info{Width: 1080, Height: 1920, DurationMS: 15_015, FrameRate: 29.97, Codec: "hevc", HasAudio: true}},
		{"60 fps vp9 version 1 boxes",
			mp4Spec{codec: "vp09", width: 3840, height: 2160, durationMS: 600_000, mediaScale: 90000, delta: 1500, version1: true},
			MP4Info{Width: 3840, Height: 2160, DurationMS: 600_000, FrameRate: 60, Codec: "vp9"}},
		{"av1", mp4Spec{codec: "av01", width: 320, height: 240, durationMS: 1000},
			MP4Info{Width: 320, Height: 240, DurationMS: 1000, FrameRate: 30, Codec: "av1"}},
		{"mpeg4 part 2", mp4Spec{codec: "mp4v", width: 176, height: 144, durationMS: 3000, mediaScale: 25, delta: 1},
			MP4Info{Width: 176, Height: 144, DurationMS: 3000, FrameRate: 25, Codec: "mpeg4"}},
		{"avc3", mp4Spec{codec: "avc3", width: 16, height: 16, durationMS: 500},
			MP4Info{Width: 16, Height: 16, DurationMS: 500, FrameRate: 30, Codec: "h264"}},
		{"unknown codec keeps its code", mp4Spec{codec: "xyz1", width: 16, height: 16, durationMS: 500},
			MP4Info{Width: 16, Height: 16, DurationMS: 500, FrameRate: 30, Codec: "xyz1"}},
		{"size from the sample entry when tkhd has none",
			mp4Spec{width: 1920, height: 1080, tkhdNoSize: true, durationMS: 1000},
			MP4Info{Width: 1920, Height: 1080, DurationMS: 1000, FrameRate: 30, Codec: "h264"}},
		{"phone video rotated 90°",
			mp4Spec{width: 1920, height: 1080, rotate: 90, durationMS: 1000},
			MP4Info{Width: 1080, Height: 1920, Rotation: 90, DurationMS: 1000, FrameRate: 30, Codec: "h264"}},
		{"rotated 270°",
			mp4Spec{width: 1920, height: 1080, rotate: 270, durationMS: 1000},
			MP4Info{Width: 1080, Height: 1920, Rotation: 270, DurationMS: 1000, FrameRate: 30, Codec: "h264"}},
		{"rotated 180°",
			mp4Spec{width: 1920, height: 1080, rotate: 180, durationMS: 1000},
			MP4Info{Width: 1920, Height: 1080, Rotation: 180, DurationMS: 1000, FrameRate: 30, Codec: "h264"}},
		{"variable frame rate: average",
			mp4Spec{width: 64, height: 64, durationMS: 1000, mediaScale: 600, stts: [][2]uint32{{10, 10}, {20, 20}, {1, 0}}},
			MP4Info{Width: 64, Height: 64, DurationMS: 1000, FrameRate: 37.2, Codec: "h264"}}, // 31 frames in 500/600 s
		{"odd average rounded to 3 decimals",
			mp4Spec{width: 64, height: 64, durationMS: 1000, mediaScale: 30000, stts: [][2]uint32{{2, 1001}, {1, 1000}}},
			MP4Info{Width: 64, Height: 64, DurationMS: 1000, FrameRate: 29.98, Codec: "h264"}}, // 3 × 30000 / 3002 = 29.98001
		{"no duration and no frames: zero, not refused", mp4Spec{width: 8, height: 8},
			MP4Info{Width: 8, Height: 8, Codec: "h264"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := buildMP4(tt.spec)
			got, err := probeMP4Bytes(data)
			if err != nil {
				t.Fatalf("ProbeMP4: %v", err)
			}
			if got != tt.want {
				t.Fatalf("ProbeMP4 = %+v\nwant        %+v", got, tt.want)
			}
			// Probe fills Facts from the same parse.
			f, err := probeBytes(data)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			want := Facts{MIME: MIMEMP4, Width: tt.want.Width, Height: tt.want.Height, DurationMS: tt.want.DurationMS, FrameRate: tt.want.FrameRate, Codec: tt.want.Codec}
			if f != want {
				t.Fatalf("Probe = %+v\nwant    %+v", f, want)
			}
		})
	}
}

func TestProbeMP4Durations(t *testing.T) {
	t.Parallel()
	// mvhd duration 7 in 1/3 s = 2333.33 ms → 2333; 8/3 s → 2667.
	for dur, want := range map[uint64]int64{7: 2333, 8: 2667, 0: 0} {
		mvhd := mp4TimeHeader("mvhd", false, 3, dur, make([]byte, 80))
		trak := mp4TrakBox("vide", false, mp4Tkhd(false, 0, 8, 8), mp4VisualEntry("avc1", 8, 8), 30, 0, [][2]uint32{{1, 1}})
		data := mp4Cat(ftypBox("isom"), box("moov", mp4Cat(mvhd, trak)))
		got, err := probeMP4Bytes(data)
		if err != nil || got.DurationMS != want {
			t.Errorf("duration %d/3 s: ProbeMP4 = %+v, %v; want %d ms", dur, got, err, want)
		}
	}
	// No movie duration: the video track's mdhd; then a fragmented file's mehd.
	mvhd := mp4TimeHeader("mvhd", false, 1000, 0, make([]byte, 80))
	trak := mp4TrakBox("vide", false, mp4Tkhd(false, 0, 8, 8), mp4VisualEntry("avc1", 8, 8), 90000, 90000*4, nil)
	got, err := probeMP4Bytes(mp4Cat(ftypBox("isom"), box("moov", mp4Cat(mvhd, trak))))
	if err != nil || got.DurationMS != 4000 || got.FrameRate != 0 {
		t.Errorf("mdhd duration: %+v, %v", got, err)
	}
	trak = mp4TrakBox("vide", false, mp4Tkhd(false, 0, 8, 8), mp4VisualEntry("avc1", 8, 8), 90000, 0, nil)
	mvex := box("mvex", mp4FullBox("mehd", 1, 0, be64(12_345)))
	got, err = probeMP4Bytes(mp4Cat(ftypBox("iso5"), box("moov", mp4Cat(mvhd, trak, mvex)), box("moof", nil), box("mdat", nil)))
	if err != nil || got.DurationMS != 12_345 || got.FrameRate != 0 {
		t.Errorf("fragmented: %+v, %v", got, err)
	}
}

func TestProbeMP4MOV(t *testing.T) {
	t.Parallel()
	data := buildMP4(mp4Spec{brand: "qt  ", width: 1920, height: 1080, durationMS: 10_000, mediaScale: 600, delta: 20, codec: "apcn"})
	f, err := probeBytes(data)
	want := Facts{MIME: MIMEQuickTime, Width: 1920, Height: 1080, DurationMS: 10_000, FrameRate: 30, Codec: "prores"}
	if err != nil || f != want {
		t.Fatalf("Probe = %+v, %v; want %+v", f, err, want)
	}
	_, err = probeBytes(buildMP4(mp4Spec{brand: "qt  ", noVideo: true, audio: true, durationMS: 1000}))
	if msg := snsos.ErrorMessage(err); !snsos.IsCode(err, snsos.EINVALID) || msg != "this MOV has no video track (it holds only sound)" {
		t.Fatalf("Probe(audio-only MOV) = %v", err)
	}
}

func TestProbeMP4Rejects(t *testing.T) {
	t.Parallel()
	good := buildMP4(mp4Spec{width: 1280, height: 720, durationMS: 2000, mdatBytes: 100})
	moovAt := bytes.Index(good, []byte("moov")) - 4
	sttsAt := bytes.Index(good, []byte("stts")) - 4
	tkhdAt := bytes.Index(good, []byte("tkhd")) - 4
	mvhdAt := bytes.Index(good, []byte("mvhd")) - 4
	set32 := func(b []byte, off int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	lateMoov := buildMP4(mp4Spec{width: 8, height: 8, durationMS: 2000, mdatBytes: 100, moovLast: true})

	// A box nested deeper than the limit: moov/trak/mdia/minf/stbl/stsd/entry/…
	deep := box("moov", mp4Cat(mp4TimeHeader("mvhd", false, 1000, 1000, make([]byte, 80)),
		box("trak", box("mdia", box("minf", box("stbl", mp4FullBox("stsd", 0, 0, be32(1),
			box("avc1", make([]byte, 10)))))))))
	deepBad := bytes.Clone(deep) // an entry 2 bytes too long for its stsd
	entryAt := bytes.Index(deepBad, []byte("avc1")) - 4
	binary.BigEndian.PutUint32(deepBad[entryAt:], 20)

	// Many empty boxes: the box-count limit.
	var many []byte
	for range mp4MaxBoxes + 1 {
		many = append(many, box("free", nil)...)
	}

	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "the MP4 file is empty"},
		{"no moov", mp4Cat(ftypBox("isom"), box("mdat", []byte{1})), "this MP4 has no moov box"},
		{"no video track", buildMP4(mp4Spec{noVideo: true, audio: true, durationMS: 1000}), "this MP4 has no video track (it holds only sound)"},
		{"no tracks", mp4Cat(ftypBox("isom"), box("moov", mp4TimeHeader("mvhd", false, 1000, 1000, make([]byte, 80)))), "this MP4 has no tracks"},
		{"no mvhd", mp4Cat(ftypBox("isom"), box("moov", mp4TrakBox("vide", false, mp4Tkhd(false, 0, 8, 8), mp4VisualEntry("avc1", 8, 8), 30, 30, [][2]uint32{{1, 1}}))), "no movie header (mvhd)"},
		{"truncated mdat", good[:len(good)-10], `the MP4 is truncated at byte ` + itoa(len(good)-10) + `: box "mdat" at byte`},
		{"truncated in moov (moov at end)", lateMoov[:len(lateMoov)-40], `the MP4 is truncated at byte ` + itoa(len(lateMoov)-40) + `: box "moov"`},
		{"cut header", good[:moovAt+5], "the MP4 is truncated at byte " + itoa(moovAt+5) + ": a box header is cut off"},
		{"moov larger than the file", set32(good, moovAt, 1<<31), `box "moov" at byte ` + itoa(moovAt) + ` needs 2147483648 bytes`},
		{"stts overruns its parent", set32(good, sttsAt, 1000), `the MP4 is damaged: box "stts" at byte ` + itoa(sttsAt) + ` (1000 bytes) runs past the end of its "stbl" box`},
		{"stts count larger than its box", set32(good, sttsAt+12, 1<<30), "its stts box lists 1073741824 entries but has room for 1"},
		{"box size below its header", set32(good, tkhdAt, 7), `box "tkhd" at byte ` + itoa(tkhdAt) + " has size 7"},
		{"64-bit size below its header", set32(set32(good, tkhdAt, 1), tkhdAt+8, 0), `box "tkhd" at byte ` + itoa(tkhdAt) + " has size 0"},
		{"tkhd too short", set32(good, tkhdAt, 20), `the MP4 is damaged: box "tkhd" at byte ` + itoa(tkhdAt) + " is too short"},
		{"mvhd unknown version", set32(good, mvhdAt+8, 2<<24), `box "mvhd" has unknown version 2`},
		{"mvhd timescale 0", set32(good, mvhdAt+20, 0), "movie header has a timescale of 0"},
		{"frames without duration", set32(good, sttsAt+20, 0), "video frames have no duration"},
		{"sample entry overruns stsd", mp4Cat(ftypBox("isom"), deepBad), `box "avc1" at byte`},
		{"too many boxes", mp4Cat(ftypBox("isom"), many), "more than 65536 boxes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := probeMP4Bytes(tt.data)
			assertCode(t, err, snsos.EINVALID)
			if msg := snsos.ErrorMessage(err); !contains(msg, tt.msg) {
				t.Fatalf("message %q does not contain %q", msg, tt.msg)
			}
		})
	}
}

// TestProbeRejectsMP4 checks that Probe passes on the parser's refusals, and
// still accepts a moov without tracks (see probeMovie).
func TestProbeRejectsMP4(t *testing.T) {
	t.Parallel()
	_, err := probeBytes(buildMP4(mp4Spec{noVideo: true, audio: true, durationMS: 1000}))
	if msg := snsos.ErrorMessage(err); msg != "this MP4 has no video track (it holds only sound)" {
		t.Fatalf("Probe(audio only) = %v", err)
	}
	good := buildMP4(mp4Spec{width: 1280, height: 720, durationMS: 2000})
	sttsAt := bytes.Index(good, []byte("stts")) - 4
	bad := bytes.Clone(good)
	binary.BigEndian.PutUint32(bad[sttsAt:], 1000)
	if _, err := probeBytes(bad); !snsos.IsCode(err, snsos.EINVALID) || !contains(snsos.ErrorMessage(err), "the MP4 is damaged") {
		t.Fatalf("Probe(damaged moov) = %v", err)
	}
	if f, err := probeBytes(mp4Bytes("isom", 10)); err != nil || f != (Facts{MIME: MIMEMP4}) {
		t.Fatalf("Probe(moov without tracks) = %+v, %v", f, err)
	}
}

// TestProbeMP4ReadErrors checks that a failing reader is an error without a
// snsos code (not the file's fault), and a reader shorter than its claimed
// size is a truncated file.
func TestProbeMP4ReadErrors(t *testing.T) {
	t.Parallel()
	data := buildMP4(mp4Spec{width: 8, height: 8, durationMS: 1000})
	boom := errors.New("disk on fire")
	_, err := ProbeMP4(failAt{bytes.NewReader(data), boom}, int64(len(data)))
	if !errors.Is(err, boom) || snsos.ErrorCode(err) == snsos.EINVALID {
		t.Fatalf("ProbeMP4(failing reader) = %v", err)
	}
	_, err = ProbeMP4(bytes.NewReader(data), int64(len(data))+100)
	if !contains(snsos.ErrorMessage(err), "truncated") {
		t.Fatalf("ProbeMP4(short reader) = %v", err)
	}
}

type failAt struct {
	r   *bytes.Reader
	err error
}

func (f failAt) ReadAt(p []byte, off int64) (int, error) {
	if off > 100 {
		return 0, f.err
	}
	return f.r.ReadAt(p, off)
}

// TestProbeMP4Allocations checks that sizes and counts in the file do not
// drive allocation: a file claiming a 4 GiB box or a million stts entries
// costs a few kilobytes.
func TestProbeMP4Allocations(t *testing.T) {
	stts := make([][2]uint32, 100_000)
	for i := range stts {
		stts[i] = [2]uint32{1, 512}
	}
	vfr := buildMP4(mp4Spec{width: 8, height: 8, durationMS: 1000, stts: stts})
	huge := buildMP4(mp4Spec{width: 8, height: 8, durationMS: 1000})
	huge = append(huge, mp4Cat(be32(1), []byte("mdat"), be64(1<<40))...) // claims 1 TiB
	for _, data := range [][]byte{vfr, huge} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			_, _ = probeMP4Bytes(data)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 64<<10 {
			t.Errorf("probing allocated %d bytes per call", per)
		}
	}
	got, err := probeMP4Bytes(vfr)
	if err != nil || got.FrameRate != 30 {
		t.Fatalf("ProbeMP4(100000 stts entries) = %+v, %v", got, err)
	}
}

// TestProbeMP4FFmpeg checks the parser on real files that ffmpeg makes,
// when ffmpeg is installed. Nothing it writes is kept.
func TestProbeMP4FFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		mime  string
		want  Facts
		remux []string // a second pass, copying the streams
	}{
		{"h264 30 fps 1280x720 3 s with sound", []string{"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=3", "-f", "lavfi", "-i", "sine=duration=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"}, MIMEMP4,
			Facts{MIME: MIMEMP4, Width: 1280, Height: 720, FrameRate: 30, Codec: "h264"}, nil},
		{"h264 faststart 29.97 fps", []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30000/1001:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart"}, MIMEMP4,
			Facts{MIME: MIMEMP4, Width: 320, Height: 240, FrameRate: 29.97, Codec: "h264"}, nil},
		{"mpeg4 mov 25 fps", []string{"-f", "lavfi", "-i", "testsrc2=size=176x144:rate=25:duration=2", "-c:v", "mpeg4", "-f", "mov"}, MIMEQuickTime,
			Facts{MIME: MIMEQuickTime, Width: 176, Height: 144, FrameRate: 25, Codec: "mpeg4"}, nil},
		{"rotated phone video", []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=1", "-c:v", "libx264", "-preset", "ultrafast"}, MIMEMP4,
			Facts{MIME: MIMEMP4, Width: 180, Height: 320, FrameRate: 30, Codec: "h264"},
			// ffmpeg 5 writes the rotation matrix only when copying streams.
			[]string{"-c", "copy", "-metadata:s:v:0", "rotate=90"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "v.mp4")
			args := append([]string{"-hide_banner", "-loglevel", "error", "-y"}, tt.args...)
			cmd := exec.Command(ffmpeg, append(args, out)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("ffmpeg could not make the file: %v\n%s", err, b)
			}
			if tt.remux != nil {
				in := out
				out = filepath.Join(filepath.Dir(in), "remuxed.mp4")
				args := append([]string{"-hide_banner", "-loglevel", "error", "-y", "-i", in}, tt.remux...)
				if b, err := exec.Command(ffmpeg, append(args, out)...).CombinedOutput(); err != nil {
					t.Skipf("ffmpeg could not remux the file: %v\n%s", err, b)
				}
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f, err := probeBytes(data)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if f.DurationMS < 900 || f.DurationMS > 3100 {
				t.Errorf("DurationMS = %d", f.DurationMS)
			}
			got := f
			got.DurationMS = 0
			if got != tt.want {
				t.Errorf("Probe = %+v\nwant    %+v (duration ignored)", f, tt.want)
			}
			t.Logf("%s: %+v", tt.name, f)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzProbeMP4 checks that the parser never panics, allocates sanely and
// refuses what it cannot read with EINVALID only.
func FuzzProbeMP4(f *testing.F) {
	f.Add(buildMP4(mp4Spec{width: 1280, height: 720, durationMS: 2000}))
	f.Add(buildMP4(mp4Spec{width: 64, height: 48, durationMS: 500, moovLast: true, mdat64: true, audio: true}))
	f.Add(buildMP4(mp4Spec{codec: "hvc1", width: 8, height: 8, durationMS: 100, version1: true, rotate: 90}))
	f.Add(buildMP4(mp4Spec{brand: "qt  ", codec: "apcn", width: 8, height: 8, durationMS: 100, tkhdNoSize: true}))
	f.Add(mp4Bytes("isom", 4))
	f.Add(buildMP4(mp4Spec{noVideo: true, audio: true, durationMS: 100}))
	f.Add(buildMP4(mp4Spec{width: 8, height: 8, durationMS: 100, mediaScale: 600, stts: [][2]uint32{{1, 10}, {2, 20}, {1, 0}}}))
	mvhd := mp4TimeHeader("mvhd", false, 1000, 0, make([]byte, 80))
	trak := mp4TrakBox("vide", false, mp4Tkhd(false, 0, 8, 8), mp4VisualEntry("av01", 8, 8), 90000, 0, nil)
	f.Add(mp4Cat(ftypBox("iso5"), box("moov", mp4Cat(mvhd, trak, box("mvex", mp4FullBox("mehd", 0, 0, be32(5)))))))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := probeMP4Bytes(data)
		if err != nil {
			if c := snsos.ErrorCode(err); c != snsos.EINVALID {
				t.Fatalf("ProbeMP4 error %v has code %q", err, c)
			}
		} else if info.Width <= 0 || info.Height <= 0 || info.DurationMS < 0 || info.FrameRate < 0 || info.Codec == "" {
			t.Fatalf("ProbeMP4 accepted %+v", info)
		}
		if _, err := probeBytes(data); err != nil {
			if c := snsos.ErrorCode(err); c != snsos.EINVALID && c != snsos.ETOOLARGE {
				t.Fatalf("Probe error %v has code %q", err, c)
			}
		}
	})
}
