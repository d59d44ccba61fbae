package x

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Media limits of X (bytes).
const (
	MaxImageBytes = 5 << 20
	MaxGIFBytes   = 15 << 20
	MaxVideoBytes = 512 << 20
)

// mediaCategory returns the upload category and size limit for a MIME type.
func mediaCategory(mime string) (string, int64, bool) {
	switch mime {
	case "image/gif":
		return "tweet_gif", MaxGIFBytes, true
	case "image/jpeg", "image/png", "image/webp":
		return "tweet_image", MaxImageBytes, true
	case "video/mp4", "video/quicktime":
		return "tweet_video", MaxVideoBytes, true
	}
	return "", 0, false
}

// MediaKey, UploadKey and TweetKey name the progress entries of part n and
// its media m (both counted from 1).
func MediaKey(n, m int) string  { return fmt.Sprintf("part%d.media%d.media_id", n, m) }
func UploadKey(n, m int) string { return fmt.Sprintf("part%d.media%d.upload_id", n, m) }
func TweetKey(n int) string     { return platform.PartIDKey(n) }

// AltTextKey names the progress entry recording that the alt text of media
// m of part n was set; its value is the media id it was set on.
func AltTextKey(n, m int) string { return fmt.Sprintf("part%d.media%d.alt_text", n, m) }

// MaxAltText is the most characters (code points) of an alt text on X.
const MaxAltText = 1000

// ensureAltText sets md's alt text on uploaded media id (images and GIFs;
// X takes none for videos), unless progress says it was set on that id.
// Its length was checked by validate, before anything was uploaded.
// The call changes nothing visible and may be repeated, so a lost answer
// is transient, never outcome-unknown.
func (c *Client) ensureAltText(ctx context.Context, acct platform.Auth, pr *platform.Progress, n, m int, id string, md platform.Media) error {
	if md.AltText == "" || !md.IsImage() {
		return nil
	}
	if done, ok := pr.Get(AltTextKey(n, m)); ok && done == id {
		return nil
	}
	op := fmt.Sprintf("set alt text of media %d of part %d", m, n)
	var body struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText struct {
				Text string `json:"text"`
			} `json:"alt_text"`
		} `json:"metadata"`
	}
	body.ID = id
	body.Metadata.AltText.Text = md.AltText
	b, err := json.Marshal(body)
	if err != nil {
		return rejected(op, "encode alt text: "+err.Error())
	}
	if _, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/2/media/metadata", token: acct.AccessToken,
		body: b, ct: "application/json"}); err != nil {
		return err
	}
	return c.saveProgress(ctx, pr, AltTextKey(n, m), id, op, false)
}

// ensureMedia returns the id of a ready upload of media m of part n,
// reusing what progress holds.
func (c *Client) ensureMedia(ctx context.Context, acct platform.Auth, pr *platform.Progress, n, m int, md platform.Media) (string, error) {
	if id, ok := pr.Get(MediaKey(n, m)); ok {
		return id, nil
	}
	op := fmt.Sprintf("upload media %d of part %d", m, n)
	if id, ok := pr.Get(UploadKey(n, m)); ok {
		// An earlier attempt started this upload: if X finished it, reuse it.
		ready, err := c.resumeUpload(ctx, acct, op, id)
		if err != nil {
			return "", err
		}
		if ready {
			return id, c.saveProgress(ctx, pr, MediaKey(n, m), id, op, false)
		}
	}
	id, err := c.upload(ctx, acct, pr, op, UploadKey(n, m), md)
	if err != nil {
		return "", err
	}
	return id, c.saveProgress(ctx, pr, MediaKey(n, m), id, op, false)
}

// resumeUpload reports whether upload id finished processing, waiting for
// it if it is still processing. An upload X does not know (never
// finalized, expired) is not ready.
func (c *Client) resumeUpload(ctx context.Context, acct platform.Auth, op, id string) (bool, error) {
	info, err := c.mediaStatus(ctx, acct, op, id)
	if err != nil {
		if k := platform.KindOf(err); k == platform.KindAuth || k == platform.KindRateLimited {
			return false, err
		}
		return false, nil
	}
	switch {
	case info == nil || info.State == "succeeded":
		return true, nil
	case info.State == "pending" || info.State == "in_progress":
		if err := c.waitProcessing(ctx, acct, op, id, info); err != nil {
			if platform.KindOf(err) == platform.KindRejected {
				return false, nil
			}
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// upload sends md with INITIALIZE, APPEND (in ChunkSize segments, streamed
// from md.Open) and FINALIZE, then waits for processing. It saves the id
// under key right after INITIALIZE.
func (c *Client) upload(ctx context.Context, acct platform.Auth, pr *platform.Progress, op, key string, md platform.Media) (string, error) {
	category, limit, ok := mediaCategory(md.MIME)
	if !ok {
		return "", rejected(op, fmt.Sprintf("X does not take media of type %q", md.MIME))
	}
	if md.Size <= 0 || md.Size > limit {
		return "", rejected(op, fmt.Sprintf("media of %d bytes is outside X's limit of 1 to %d bytes for %s", md.Size, limit, category))
	}
	if md.Open == nil {
		return "", &platform.Error{Kind: platform.KindRejected, Platform: snsos.PlatformX, Op: op, Reason: "media has no stream to upload", Err: platform.ErrNoStream}
	}
	body, _ := json.Marshal(map[string]any{"media_type": md.MIME, "total_bytes": md.Size, "media_category": category})
	resp, err := c.do(ctx, request{op: op + " (initialize)", method: http.MethodPost, path: "/2/media/upload/initialize",
		token: acct.AccessToken, body: body, ct: "application/json"})
	if err != nil {
		return "", err
	}
	id, _, err := decodeMedia(resp)
	if err != nil {
		return "", err
	}
	if err := c.saveProgress(ctx, pr, key, id, op, false); err != nil {
		return "", err
	}
	if err := c.appendAll(ctx, acct, op, id, md); err != nil {
		return "", err
	}
	resp, err = c.do(ctx, request{op: op + " (finalize)", method: http.MethodPost,
		path: "/2/media/upload/" + url.PathEscape(id) + "/finalize", token: acct.AccessToken})
	if err != nil {
		return "", err
	}
	_, info, err := decodeMedia(resp)
	if err != nil {
		return "", err
	}
	if err := c.waitProcessing(ctx, acct, op, id, info); err != nil {
		return "", err
	}
	return id, nil
}

// appendAll streams md in segments of c.chunk bytes; only one segment is in
// memory at a time.
func (c *Client) appendAll(ctx context.Context, acct platform.Auth, op, id string, md platform.Media) error {
	rc, err := md.Open(ctx)
	if err != nil {
		return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op, Reason: "open media: " + err.Error()}
	}
	defer rc.Close()
	segments := int((md.Size + int64(c.chunk) - 1) / int64(c.chunk))
	if segments > 1000 {
		return rejected(op, fmt.Sprintf("media needs %d segments; X takes at most 1000", segments))
	}
	buf := make([]byte, c.chunk)
	var sent int64
	for i := 0; i < segments; i++ {
		want := min(int64(c.chunk), md.Size-sent)
		n, err := io.ReadFull(rc, buf[:want])
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return rejected(op, fmt.Sprintf("media stream ended after %d bytes; expected %d", sent+int64(n), md.Size))
			}
			return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op, Reason: "read media: " + err.Error()}
		}
		if err := c.appendSegment(ctx, acct, fmt.Sprintf("%s (append segment %d of %d)", op, i+1, segments), id, i, buf[:n]); err != nil {
			return err
		}
		sent += int64(n)
	}
	if n, _ := rc.Read(buf[:1]); n > 0 {
		return rejected(op, fmt.Sprintf("media stream is longer than its declared %d bytes", md.Size))
	}
	return nil
}

func (c *Client) appendSegment(ctx context.Context, acct platform.Auth, op, id string, index int, chunk []byte) error {
	var b bytes.Buffer
	b.Grow(len(chunk) + 512)
	w := multipart.NewWriter(&b)
	_ = w.WriteField("segment_index", strconv.Itoa(index))
	fw, _ := w.CreateFormFile("media", "blob")
	_, _ = fw.Write(chunk)
	_ = w.Close()
	_, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/2/media/upload/" + url.PathEscape(id) + "/append",
		token: acct.AccessToken, body: b.Bytes(), ct: w.FormDataContentType(), timeout: c.cfg.AppendTimeout})
	return err
}

// mediaStatus reads GET /2/media/upload?command=STATUS.
func (c *Client) mediaStatus(ctx context.Context, acct platform.Auth, op, id string) (*processingInfo, error) {
	resp, err := c.do(ctx, request{op: op + " (status)", method: http.MethodGet, path: "/2/media/upload",
		query: url.Values{"command": {"STATUS"}, "media_id": {id}}, token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	_, info, err := decodeMedia(resp)
	return info, err
}

// waitProcessing polls STATUS, sleeping check_after_secs (1 to 60 s) between
// polls, until processing succeeds or fails or MaxProcessingWait is spent.
// info nil means the media needs no processing.
func (c *Client) waitProcessing(ctx context.Context, acct platform.Auth, op, id string, info *processingInfo) error {
	var waited time.Duration
	for info != nil {
		switch info.State {
		case "succeeded", "":
			return nil
		case "failed":
			reason := "X could not process the media"
			if info.Error != nil && (info.Error.Message != "" || info.Error.Name != "") {
				reason += ": " + truncate(firstNonEmpty(info.Error.Message, info.Error.Name), 300)
			}
			return rejected(op, reason)
		}
		d := time.Duration(min(max(info.CheckAfterSecs, 1), 60)) * time.Second
		if waited+d > c.maxWait {
			return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op,
				Reason: fmt.Sprintf("media %s still processing after %s (%d%%)", id, waited, info.ProgressPercent)}
		}
		if err := c.sleep(ctx, d); err != nil {
			return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op, Reason: "canceled while waiting for media processing", Err: err}
		}
		waited += d
		var err error
		if info, err = c.mediaStatus(ctx, acct, op, id); err != nil {
			return err
		}
	}
	return nil
}

func rejected(op, reason string) *platform.Error {
	return &platform.Error{Kind: platform.KindRejected, Platform: snsos.PlatformX, Op: op, Reason: reason}
}

// saveProgress persists key=value; a failure stops publishing. After a
// mutating call (posted) the failure is outcome-unknown: the thing exists
// but the engine does not know its id.
func (c *Client) saveProgress(ctx context.Context, pr *platform.Progress, key, value, op string, posted bool) error {
	err := pr.Set(ctx, key, value)
	if err == nil {
		return nil
	}
	e := &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op, Reason: "could not save progress", Err: err}
	if posted {
		e.Kind = platform.KindOutcomeUnknown
		e.Reason = fmt.Sprintf("posted as %s but the id could not be saved", value)
	}
	return e
}
