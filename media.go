package snsos

import "time"

// MediaRef describes one stored media file and the facts a probe found in it.
// The bytes live in the media store under Key.
type MediaRef struct {
	ID         int64     `json:"id"`
	Key        string    `json:"-"`      // storage key (content address)
	SHA256     string    `json:"sha256"` // hex
	Mime       string    `json:"mime"`   // sniffed, never taken from the client
	Size       int64     `json:"size"`
	Width      int       `json:"width,omitempty"`
	Height     int       `json:"height,omitempty"`
	DurationMS int64     `json:"duration_ms,omitempty"`
	FrameRate  float64   `json:"frame_rate,omitempty"`
	Codec      string    `json:"codec,omitempty"`
	Filename   string    `json:"filename,omitempty"` // as uploaded, for display only
	CreatedAt  time.Time `json:"created_at"`
}

// IsVideo reports whether the media is a video.
func (m *MediaRef) IsVideo() bool { return len(m.Mime) > 6 && m.Mime[:6] == "video/" }

// IsImage reports whether the media is an image.
func (m *MediaRef) IsImage() bool { return len(m.Mime) > 6 && m.Mime[:6] == "image/" }
