package threads

import (
	"errors"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// statusReasons are a failed container's error_message values in plain
// words; retryable says a new container may succeed (Threads could not
// fetch the file, or failed for no stated reason), while the format errors
// are final.
var statusReasons = map[string]struct {
	words     string
	retryable bool
}{
	"FAILED_DOWNLOADING_VIDEO":     {"Threads could not download the video from its link", true},
	"FAILED_DOWNLOADING_IMAGE":     {"Threads could not download the image from its link", true},
	"FAILED_PROCESSING_AUDIO":      {"Threads could not process the video's sound; export it again with AAC audio", false},
	"FAILED_PROCESSING_VIDEO":      {"Threads could not process the video; export it again as H.264 or HEVC MP4", false},
	"INVALID_ASPEC_RATIO":          {"the picture's aspect ratio is outside what Threads accepts (at most 10:1)", false},
	"INVALID_ASPECT_RATIO":         {"the picture's aspect ratio is outside what Threads accepts (at most 10:1)", false},
	"INVALID_BIT_RATE":             {"the video's bit rate is too high for Threads (at most 100 Mbps)", false},
	"INVALID_DURATION":             {"the video is too long for Threads (at most 5 minutes)", false},
	"INVALID_FRAME_RATE":           {"the video's frame rate is outside what Threads accepts (23 to 60 fps)", false},
	"INVALID_AUDIO_CHANNELS":       {"the video's sound must have one or two channels", false},
	"INVALID_AUDIO_CHANNEL_LAYOUT": {"the video's sound channel layout is not one Threads accepts", false},
	"UNKNOWN":                      {"Threads failed to process the media without saying why", true},
}

// containerFailed turns a container that ended in ERROR or EXPIRED into the
// error Publish returns: new containers for an expiry or a retryable
// failure, else a final rejection with the reason in plain words. what
// names the container when it is not the part's own ("carousel item 2").
func containerFailed(s *spec, ct *meta.Container, what string) error {
	prefix := ""
	if what != "" {
		prefix = what + ": "
	}
	if ct.Status == meta.Expired {
		return &newGeneration{why: prefix + "the container expired before it was published (after 24 hours)"}
	}
	code := strings.ToUpper(strings.TrimSpace(ct.Reason))
	r, known := statusReasons[code]
	switch {
	case known:
		if r.retryable {
			return &newGeneration{why: prefix + r.words, failure: true}
		}
		return rejected(s.op("publish"), prefix+r.words+" ("+code+")")
	case ct.Code != 0 && meta.RetryableSubcode(ct.Code):
		return &newGeneration{why: prefix + "Threads could not process the media: " + ct.Reason, failure: true}
	case code == "":
		return &newGeneration{why: prefix + "Threads failed to process the container without saying why", failure: true}
	}
	return rejected(s.op("publish"), prefix+"Threads refused the media: "+ct.Reason)
}

// Meta's refusals of a container that the rules package checks before
// sending; the reasons say what to change.
const (
	linkLimitMarker = "threads_api__link_limit_exceeded"
	linkLimitWords  = "Threads allows at most 5 different links in a post, the link attachment included; remove some links"
	textLimitWords  = "the text is longer than the 500 characters Threads allows (an emoji counts as its size in bytes); shorten it"
)

// plainWords rewrites the reason of a refusal Threads words obscurely,
// keeping Meta's own text after it; other errors pass unchanged. g is the
// refusal's envelope (nil when none): the link limit's marker has been
// seen in the message and in the title.
func plainWords(err error, g *meta.GraphError) error {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return err
	}
	text := pe.Reason
	if g != nil {
		text += " " + g.Message + " " + g.UserTitle + " " + g.UserMessage
	}
	low := strings.ToLower(text)
	switch {
	case strings.Contains(low, linkLimitMarker):
		pe.Kind, pe.RetryAt = platform.KindRejected, time.Time{}
		pe.Reason = linkLimitWords + " (" + pe.Reason + ")"
	case strings.Contains(low, "at most 500 characters") || strings.Contains(low, "text is too long"):
		pe.Kind, pe.RetryAt = platform.KindRejected, time.Time{}
		pe.Reason = textLimitWords + " (" + pe.Reason + ")"
	case strings.TrimSpace(pe.Reason) == "" && pe.Err == nil:
		pe.Reason = "Threads refused the call without saying why"
	}
	return err
}
