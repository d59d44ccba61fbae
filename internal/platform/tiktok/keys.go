package tiktok

import (
	"strconv"

	"github.com/sns-os/snsos/internal/platform"
)

// Progress keys that belong to no generation (see the package
// documentation).
const (
	KeyGeneration = "gen"
	KeyInbox      = "inbox"
	// KeyPostMode is the post mode (DIRECT_POST or MEDIA_UPLOAD) the post
	// was started in, saved before its first init call: a post already
	// started keeps it whatever the account's mode becomes meanwhile.
	KeyPostMode = "post_mode"
)

// maxGenerations bounds the uploads of one post: each one spends a post of
// the account's daily allowance.
const maxGenerations = 5

// gen is a generation of progress keys: 1 has no prefix, G > 1 "gG.".
type gen int

func (g gen) key(name string) string {
	if g <= 1 {
		return name
	}
	return "g" + strconv.Itoa(int(g)) + "." + name
}

// The keys of generation g.
func (g gen) initSent() string   { return g.key("init_sent") }
func (g gen) chunkSize() string  { return g.key("upload.chunk_size") }
func (g gen) publishID() string  { return g.key("publish_id") }
func (g gen) uploadURL() string  { return g.key("upload_url") }
func (g gen) nextOffset() string { return g.key("upload.next_offset") }
func (g gen) finalSent() string  { return g.key("upload.final_sent") }
func (g gen) uploadSize() string { return g.key("upload.size") }

// PublishIDKey, InitSentKey and UploadURLKey name the progress entries of
// generation g (from 1).
func PublishIDKey(g int) string { return gen(g).publishID() }
func InitSentKey(g int) string  { return gen(g).initSent() }
func UploadURLKey(g int) string { return gen(g).uploadURL() }

// NextOffsetKey names the bytes of generation g's video TikTok confirmed.
func NextOffsetKey(g int) string { return gen(g).nextOffset() }

// PostIDKey is where the post's id is saved (platform.PartIDKey(1)).
var PostIDKey = platform.PartIDKey(1)

// generationOf reads the gen value (1 when absent or invalid).
func generationOf(s string) gen {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 1
	}
	return gen(n)
}
