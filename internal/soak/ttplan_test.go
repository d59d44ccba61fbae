package soak

import (
	"bytes"
	"crypto/sha256"
	enc "encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// A soakVideo is one of the videos the soak posts to TikTok: a valid MP4
// header (a 720×1280 H.264 track of ms milliseconds at 30 frames a second)
// and filler, size bytes in all. sns-os uploads a video of up to 10 MiB
// (its chunk size) whole and a bigger one in chunks of 10 MiB, the last
// absorbing the rest; TikTok's minimum chunk of 5 MiB leaves no smaller
// setting, so the videos of two and three chunks are 21 and 33 MiB.
type soakVideo struct {
	size int64
	ms   int
}

var soakVideos = []soakVideo{
	{size: 96 << 10, ms: 7000},
	{size: 3<<20 + 512<<10, ms: 12000},
	{size: 8 << 20, ms: 9000},
	{size: 21 << 20, ms: 15000},
	{size: 33<<20 + 256<<10, ms: 20000},
}

// soakVideoWeights is how often a TikTok target takes each video: half of
// them are uploaded in more than one chunk.
var soakVideoWeights = []int{25, 15, 10, 30, 20}

// ttChunkSize is sns-os's chunk size (internal/platform/tiktok
// DefaultChunkSize).
const ttChunkSize = 10 << 20

// chunks returns how many chunks sns-os cuts the video into.
func (v soakVideo) chunks() int {
	if v.size <= ttChunkSize {
		return 1
	}
	return int(v.size / ttChunkSize)
}

// bytes builds video i: its filler depends on i, so every video has its
// own SHA-256.
func (v soakVideo) bytes(i int) []byte {
	box := func(typ string, parts ...[]byte) []byte {
		body := bytes.Join(parts, nil)
		return append(append(enc.BigEndian.AppendUint32(nil, uint32(8+len(body))), typ...), body...)
	}
	be32 := func(vs ...uint32) []byte {
		var b []byte
		for _, x := range vs {
			b = enc.BigEndian.AppendUint32(b, x)
		}
		return b
	}
	be16 := func(vs ...uint16) []byte {
		var b []byte
		for _, x := range vs {
			b = enc.BigEndian.AppendUint16(b, x)
		}
		return b
	}
	const w, h, fps, scale = 720, 1280, 30, 90000
	ms := uint32(v.ms)
	unity := be32(1<<16, 0, 0, 0, 1<<16, 0, 0, 0, 1<<30) // the identity matrix
	mvhd := box("mvhd", be32(0, 0, 0, 1000, ms, 1<<16), be16(1<<8), make([]byte, 10), unity, make([]byte, 24), be32(2))
	tkhd := box("tkhd", be32(3, 0, 0, 1, 0, ms, 0, 0), be16(0, 0, 0, 0), unity, be32(w<<16, h<<16))
	mdhd := box("mdhd", be32(0, 0, 0, scale, ms*(scale/1000)), be16(0x55c4, 0)) // language "und"
	hdlr := box("hdlr", be32(0, 0), []byte("vide"), make([]byte, 12), []byte("soak video\x00"))
	sps, pps := []byte{0x67, 0x64, 0x00, 0x1f, 0xac}, []byte{0x68, 0xeb, 0xe3, 0xcb}
	avcC := box("avcC", []byte{1, 0x64, 0x00, 0x1f, 0xff, 0xe1}, be16(uint16(len(sps))), sps, []byte{1}, be16(uint16(len(pps))), pps)
	avc1 := box("avc1", make([]byte, 6), be16(1), make([]byte, 16), be16(w, h), be32(0x480000, 0x480000, 0), be16(1),
		make([]byte, 32), be16(0x18, 0xffff), avcC)
	frames := ms * fps / 1000
	stbl := box("stbl", box("stsd", be32(0, 1), avc1), box("stts", be32(0, 1, frames, scale/fps)),
		box("stsc", be32(0, 0)), box("stsz", be32(0, 0, 0)), box("stco", be32(0, 0)))
	minf := box("minf", box("vmhd", be32(1, 0, 0)), box("dinf", box("dref", be32(0, 1), box("url ", be32(1)))), stbl)
	moov := box("moov", mvhd, box("trak", tkhd, box("mdia", mdhd, hdlr, minf)))
	head := append(box("ftyp", []byte("isom"), be32(0x200), []byte("isomiso2avc1mp41")), moov...)
	filler := make([]byte, v.size-int64(len(head))-8)
	for n := range filler {
		filler[n] = byte(n*(2*i+3) + i)
	}
	return append(head, box("mdat", filler)...)
}

// uploadVideos makes and uploads the soak's shared videos and each inbox
// upload's own, tells the TikTok front which media id each one's bytes
// are and which target an inbox upload of each size is, and gives the
// inbox uploads their text as the judge finds them (inboxText).
func (s *soak) uploadVideos() {
	bySHA := map[string]string{}
	up := func(v soakVideo, seed int, name string) int64 {
		b := v.bytes(seed)
		if int64(len(b)) != v.size {
			s.t.Fatalf("%s is %d bytes, want %d", name, len(b), v.size)
		}
		id, err := s.c.upload(b, name)
		if err != nil {
			s.t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		bySHA[hex.EncodeToString(sum[:])] = strconv.FormatInt(id, 10)
		return id
	}
	for i, v := range soakVideos {
		s.videos = append(s.videos, up(v, i, fmt.Sprintf("soak-clip-%d.mp4", i)))
	}
	n := 0
	for _, p := range s.posts {
		for _, tg := range p.targets {
			if tg.clip == nil {
				continue
			}
			n++
			tg.clipID = up(*tg.clip, len(soakVideos)+n, fmt.Sprintf("soak-inbox-%s.mp4", tg.key))
			tg.parts = []string{inboxText(strconv.FormatInt(tg.clipID, 10))}
			s.plat.tt.expectVideo(s.accounts[tg.account].user, tg.clip.size, tg.key)
		}
	}
	s.plat.tt.setVideos(bySHA)
}

// inboxText is what the judge takes as the text of an upload to a TikTok
// inbox, which has no caption until its owner posts it in the app: the
// video it carries (each inbox target has its own).
func inboxText(mediaID string) string { return "inbox upload of video " + mediaID }

// ttTarget adds a TikTok target on account a: a Direct Post of one of the
// shared videos, to an audience the account offers (TikTok's
// privacy_level, which a Direct Post must carry), with its own caption or
// the post's; or, on an account that uploads to its inbox, an upload of a
// video of its own, with no settings (the owner chooses them in the app).
func (pl *planner) ttTarget(p *planPost, a int) {
	tg := pl.add(p, a, "tiktok")
	pl.ownOrShared(tg, 0.5)
	video := 0
	n := pl.rng.IntN(100)
	for i, w := range soakVideoWeights {
		if n < w {
			video = i
			break
		}
		n -= w
	}
	tg.chunks = soakVideos[video].chunks()
	if _, to := pl.v.accountRange("tiktok"); a >= to-pl.v.ttInbox {
		// A size of its own on its account, so the front knows its init.
		pl.clips++
		clip := soakVideos[video]
		clip.size += int64(pl.clips) << 12
		tg.inbox, tg.clip, tg.chunks = true, &clip, clip.chunks()
		return
	}
	tg.video = video
	privacy := []string{"PUBLIC_TO_EVERYONE", "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY", "SELF_ONLY"}
	tg.options = map[string]any{"privacy_level": privacy[pl.rng.IntN(len(privacy))]}
	if pl.rng.Float64() < 0.3 {
		tg.options["disable_comment"] = false // comments on: TikTok's are off unless the post turns them on
	}
}

// ttPerAccount is the most TikTok targets the plan gives one account:
// sns-os refuses to schedule more than TikTok's 15 posts a day.
const ttPerAccount = 14

// ttRoom picks a post without a target on a TikTok account that has room
// for one more, and that account; nil when a few tries find none.
func (pl *planner) ttRoom(posts []*planPost) (*planPost, int) {
	from, to := pl.v.accountRange("tiktok")
	used := map[int]int{}
	for _, p := range posts {
		for _, tg := range p.targets {
			used[tg.account]++
		}
	}
	var open []int
	for a := from; a < to; a++ {
		if used[a] < ttPerAccount {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return nil, -1
	}
	for range 20 {
		p := posts[pl.rng.IntN(len(posts))]
		var free []int
		for _, a := range open {
			if !hasAccount(p, a) {
				free = append(free, a)
			}
		}
		if len(free) > 0 {
			return p, free[pl.rng.IntN(len(free))]
		}
	}
	return nil, open[pl.rng.IntN(len(open))]
}

func hasAccount(p *planPost, a int) bool {
	for _, tg := range p.targets {
		if tg.account == a {
			return true
		}
	}
	return false
}

// setInbox sets the last v.ttInbox TikTok accounts to upload to their
// TikTok inbox (publish_mode "inbox"), as the operator would on Accounts.
func (s *soak) setInbox() {
	_, to := s.v.accountRange("tiktok")
	for a := to - s.v.ttInbox; a < to; a++ {
		acct := s.accounts[a]
		var got struct {
			Options map[string]any `json:"options"`
		}
		path := fmt.Sprintf("/api/v1/accounts/%d", acct.api.ID)
		status, raw, err := s.c.call(time.Now().Add(20*time.Second), "PATCH", path,
			func() any { return map[string]any{"options": map[string]string{"publish_mode": "inbox"}} }, &got)
		if err != nil || status != http.StatusOK || got.Options["publish_mode"] != "inbox" {
			s.t.Fatalf("PATCH %s (publish_mode inbox) for @%s: %d %v %s", path, acct.handle, status, err, raw)
		}
	}
}
