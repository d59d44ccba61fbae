package platform

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// Media is one file handed to a platform, in the form the platform takes it:
// a stream for platforms that receive uploads (X: chunked upload), or a
// signed public URL for platforms that pull (Instagram, Threads, TikTok
// PULL_FROM_URL). A media store usually fills both.
type Media struct {
	// MIME is the sniffed type, e.g. "image/png", "video/mp4".
	MIME string
	// Size is the exact length in bytes. Uploaders announce it before
	// streaming and fail when the stream disagrees.
	Size int64
	// Open returns a fresh stream of the bytes; each call starts at the
	// beginning. Nil when the media is only available by URL.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// URL is a signed, expiring public HTTPS URL of the bytes ("" if none).
	URL string
	// URLExpires is when URL stops working.
	URLExpires time.Time
	// AltText is the description for screen readers ("" if none).
	AltText string
}

// IsVideo reports whether the media is a video.
func (m Media) IsVideo() bool { return strings.HasPrefix(m.MIME, "video/") }

// IsImage reports whether the media is an image (GIF included).
func (m Media) IsImage() bool { return strings.HasPrefix(m.MIME, "image/") }

// BytesMedia returns a Media streaming b (for small files, demos and tests).
func BytesMedia(mime string, b []byte) Media {
	return Media{
		MIME: mime,
		Size: int64(len(b)),
		Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		},
	}
}

// ErrNoStream is returned by an uploading client given media without Open.
var ErrNoStream = errors.New("platform: media has no stream to upload")
