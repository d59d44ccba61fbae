package x

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
)

// AvatarSize is the width and height of the generated profile pictures.
const AvatarSize = 48

// defaultProfileImage is X's picture of users without one, the
// profile_image_url of every user when the simulator has no base URL.
const defaultProfileImage = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"

// avatarURL is the profile_image_url of the user with this id: the
// simulator's own picture when it knows its base URL. Callers hold s.mu.
func (s *Sim) avatarURL(id string) string {
	if s.baseURL == "" {
		return defaultProfileImage
	}
	return s.baseURL + "/__sim/avatars/" + id + ".png"
}

// handleSimAvatar serves GET /__sim/avatars/{id}.png: a plain square PNG in
// a colour derived from the user id, for every existing user.
func (s *Sim) handleSimAvatar(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	s.mu.Lock()
	_, known := s.usersByID[id]
	s.mu.Unlock()
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	b := AvatarPNG(id)
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b)
}

// AvatarPNG returns the generated profile picture of the user with this
// id: AvatarSize × AvatarSize pixels of one colour derived from the id.
func AvatarPNG(id string) []byte {
	h := fnv.New32a()
	h.Write([]byte(id))
	v := h.Sum32()
	// Mid-tone colours: each channel in 64..191.
	c := color.NRGBA{R: 64 + uint8(v)%128, G: 64 + uint8(v>>8)%128, B: 64 + uint8(v>>16)%128, A: 255}
	img := image.NewNRGBA(image.Rect(0, 0, AvatarSize, AvatarSize))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return buf.Bytes()
}
