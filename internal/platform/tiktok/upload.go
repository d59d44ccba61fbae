package tiktok

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// chunkTries is how often one chunk is sent before the upload stops with a
// transient error (the next Publish goes on from the saved offset).
const chunkTries = 3

// errDeadUpload is in the chain of the error of an upload TikTok will take
// no more bytes for (403: the upload_url expired; 404: no such upload).
var errDeadUpload = errors.New("tiktok: the upload_url no longer takes chunks")

// uploadTarget returns where chunks go: TikTok's upload_url as given, or,
// when BaseURL is set and the upload_url names another host, its path and
// query on BaseURL. Without BaseURL it must be https.
func (c *Client) uploadTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
		return "", errors.New("TikTok gave no valid upload_url")
	}
	if c.base != nil {
		if strings.EqualFold(u.Host, c.base.Host) {
			return raw, nil
		}
		t := strings.TrimRight(c.cfg.BaseURL, "/") + u.EscapedPath()
		if u.RawQuery != "" {
			t += "?" + u.RawQuery
		}
		return t, nil
	}
	if u.Scheme != "https" {
		return "", errors.New("TikTok gave an upload_url that is not https")
	}
	return raw, nil
}

// uploadSecrets are the parts of an upload_url no error or log may show:
// the URL itself and its query values (upload_token).
func uploadSecrets(raw string) []string {
	out := []string{raw}
	if u, err := url.Parse(raw); err == nil {
		for _, vs := range u.Query() {
			out = append(out, vs...)
		}
	}
	return out
}

// upload sends the chunks of p's video from offset from (a chunk boundary)
// to target, saving the confirmed offset after each chunk. It returns nil
// once the last chunk landed, a *platform.Continue when the upload budget
// of this call is spent, and an error matching errDeadUpload when TikTok
// takes no more chunks.
func (c *Client) upload(ctx context.Context, pr *platform.Progress, g gen, p *post, cp chunkPlan, target string, from int64) error {
	s := &mediaStream{md: p.video}
	defer s.close()
	started := c.now()
	first, _ := cp.index(from)
	tries, moves := 0, 0
	for i := first; i < cp.count; {
		a, b := cp.bounds(i)
		if i > first && (c.now().Sub(started) >= c.cfg.UploadBudget || !before(ctx, chunkTimeout(b-a))) {
			return &platform.Continue{After: time.Second, Step: fmt.Sprintf("uploading the video to TikTok (%d of %d MB sent)", a>>20, cp.size>>20)}
		}
		next, oc, err := c.sendChunk(ctx, pr, g, p, s, cp, i, target)
		switch {
		case oc == chunkDone:
			i, tries = next, 0
		case oc == chunkRetry && tries+1 < chunkTries:
			tries++
			if serr := c.sleep(ctx, time.Duration(1<<tries)*time.Second); serr != nil {
				return fail(platform.KindTransient, "upload the video", "canceled between chunks")
			}
		case oc == chunkMoved && moves < 3:
			moves++
			i = next
		case oc == chunkMoved:
			return fail(platform.KindTransient, "upload the video", "TikTok keeps reporting another upload offset; "+
				"the next attempt asks TikTok where the upload stands")
		default:
			return err
		}
	}
	return nil
}

// chunkOutcome is what to do after a chunk.
type chunkOutcome int

const (
	chunkStop  chunkOutcome = iota // err says why
	chunkDone                      // send the next chunk
	chunkRetry                     // send this chunk again (err if no tries are left)
	chunkMoved                     // TikTok holds another offset: go on from next
)

// sendChunk sends chunk i and reads TikTok's answer, returning the chunk
// to send next and what to do. The chunk is streamed from the media as the
// transport sends it, never held: a stream that ends early or runs past
// the video's size cuts the PUT short, so TikTok never takes a chunk that
// is not the video's (and its Content-Range, from the plan, is never
// wrong).
func (c *Client) sendChunk(ctx context.Context, pr *platform.Progress, g gen, p *post, s *mediaStream, cp chunkPlan, i int, target string) (int, chunkOutcome, error) {
	a, b := cp.bounds(i)
	final := i == cp.count-1
	op := fmt.Sprintf("upload the video (chunk %d of %d)", i+1, cp.count)
	body, err := s.chunk(ctx, cp, i)
	if err != nil {
		return i, chunkStop, streamFailure(op, err)
	}
	if final {
		if err := saveProgress(ctx, pr, g.finalSent(), "1", op); err != nil {
			return i, chunkStop, err
		}
	}
	resp, err := c.http.Do(ctx, &platform.Request{
		Platform: snsos.PlatformTikTok, Op: op, Method: http.MethodPut, URL: target,
		Header:      http.Header{"Content-Range": {fmt.Sprintf("bytes %d-%d/%d", a, b-1, cp.size)}},
		ContentType: p.video.MIME, Body: body, ContentLength: b - a, Redact: c.secrets(uploadSecrets(target)...),
		Timeout: chunkTimeout(b - a),
	})
	if serr := s.release(body); serr != nil {
		// The stream failed under the PUT: TikTok got less than the
		// chunk and took none of it.
		if final {
			if err := saveProgress(ctx, pr, g.finalSent(), "", op); err != nil {
				return i, chunkStop, err
			}
		}
		return i, chunkStop, streamFailure(op, serr)
	}
	if err != nil {
		if platform.KindOf(err) == platform.KindTransient && !errors.Is(err, context.Canceled) {
			return i, chunkRetry, err
		}
		return i, chunkStop, err
	}
	return c.chunkAnswer(ctx, pr, g, cp, i, resp, op)
}

// chunkTimeout bounds the PUT of n bytes: a minute, and a second for
// every 128 KiB (a slow uplink).
func chunkTimeout(n int64) time.Duration { return time.Minute + time.Duration(n/(128<<10))*time.Second }

// deadlineMargin is kept free before the job's deadline for what follows
// a chunk (saving its offset, the engine's records).
const deadlineMargin = 15 * time.Second

// before reports whether ctx leaves at least d (and the margin) before
// its deadline: the job's own time, so real time.
func before(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) >= d+deadlineMargin
}

// chunkAnswer handles TikTok's answer to chunk i.
func (c *Client) chunkAnswer(ctx context.Context, pr *platform.Progress, g gen, cp chunkPlan, i int, resp *platform.Response, op string) (int, chunkOutcome, error) {
	final := i == cp.count-1
	_, b := cp.bounds(i)
	switch st := resp.StatusCode; {
	case resp.OK():
		if err := saveProgress(ctx, pr, g.nextOffset(), strconv.FormatInt(b, 10), op); err != nil {
			return i, chunkStop, err
		}
		return i + 1, chunkDone, nil
	case st == http.StatusRequestedRangeNotSatisfiable:
		if off, ok := rangeOffset(resp.Header.Get("Content-Range"), cp.size); ok {
			if next, ok := cp.index(off); ok {
				if err := saveProgress(ctx, pr, g.nextOffset(), strconv.FormatInt(off, 10), op); err != nil {
					return i, chunkStop, err
				}
				return next, chunkMoved, nil
			}
		}
		return i, chunkStop, fail(platform.KindTransient, op, "TikTok holds another part of the video than sns-os sent; "+
			"the next attempt asks TikTok where the upload stands")
	case st == http.StatusForbidden || st == http.StatusNotFound:
		return i, chunkStop, c.deadUpload(ctx, pr, g, final, resp, op)
	case st == http.StatusRequestTimeout || st == http.StatusTooManyRequests || st >= 500:
		e := ClassifyResponse(resp, c.now())
		e.Kind, e.RetryAt = platform.KindTransient, time.Time{}
		return i, chunkRetry, e
	}
	if final { // refused: TikTok does not have the last chunk
		if err := saveProgress(ctx, pr, g.finalSent(), "", op); err != nil {
			return i, chunkStop, err
		}
	}
	e := ClassifyResponse(resp, c.now())
	e.Kind, e.RetryAt = platform.KindRejected, time.Time{}
	return i, chunkStop, e
}

// deadUpload records that TikTok takes no more chunks for generation g:
// its upload_url is cleared (and the last chunk, if this was it, known
// refused), so that the status decides what comes next.
func (c *Client) deadUpload(ctx context.Context, pr *platform.Progress, g gen, final bool, resp *platform.Response, op string) error {
	if err := saveProgress(ctx, pr, g.uploadURL(), "", op); err != nil {
		return err
	}
	if final {
		if err := saveProgress(ctx, pr, g.finalSent(), "", op); err != nil {
			return err
		}
	}
	e := ClassifyResponse(resp, c.now())
	e.Kind, e.Err, e.RetryAt = platform.KindTransient, errDeadUpload, time.Time{}
	e.Reason = fmt.Sprintf("TikTok takes no more chunks for this upload: its upload link expired or is unknown (HTTP %d)", resp.StatusCode)
	return e
}

// rangeOffset reads how many bytes TikTok holds from the Content-Range of
// an upload answer ("bytes 0-{last}/{total}").
func rangeOffset(h string, size int64) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !ok {
		return 0, false
	}
	span, total, ok := strings.Cut(rest, "/")
	if !ok || total != "*" && total != strconv.FormatInt(size, 10) {
		return 0, false
	}
	first, last, ok := strings.Cut(span, "-")
	if !ok || first != "0" {
		return 0, false
	}
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil || n < 0 || n >= size {
		return 0, false
	}
	return n + 1, true
}

// saveProgress persists key=value; a failure stops publishing.
func saveProgress(ctx context.Context, pr *platform.Progress, key, value, op string) error {
	if err := pr.Set(ctx, key, value); err != nil {
		return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformTikTok, Op: op, Reason: "could not save progress", Err: err}
	}
	return nil
}

// mediaStream reads the video from Media.Open, one chunk at a time, at any
// offset, without holding it. A stream that reads by position (a file of
// the disk media store) gives each chunk an io.SectionReader of its own:
// no shared offset, so a resend needs no seek. Any other is read in order
// from where it stands: forward by reading through, backward by seeking
// when it can (an S3 object's Seek makes its next Read one ranged GET from
// there), else by opening it again and skipping. (A resumed upload starts
// at the saved offset this way.)
type mediaStream struct {
	md     *platform.Media
	rc     io.ReadCloser
	ra     io.ReaderAt // rc, when chunks are read from it by position
	pos    int64       // of rc read in order
	broken bool        // pos is unknown (a read failed)
}

// positional returns rc as an io.ReaderAt when chunks are best read from
// it by position: a file (pread, nothing shared between two PUTs). A
// stream that can also seek is read in order instead: an S3 object's
// ReadAt costs a GET for every 64 KiB read, its Seek and Read one ranged
// GET for the rest of the video.
func positional(rc io.ReadCloser) io.ReaderAt {
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		return nil
	}
	if _, file := rc.(*os.File); file {
		return ra
	}
	if _, seeks := rc.(io.Seeker); seeks {
		return nil
	}
	return ra
}

func (s *mediaStream) open(ctx context.Context) error {
	s.close()
	rc, err := s.md.Open(ctx)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	s.rc, s.ra, s.pos, s.broken = rc, positional(rc), 0, false
	return nil
}

// at positions the stream, read in order, at off.
func (s *mediaStream) at(ctx context.Context, off int64) error {
	if s.rc != nil && (s.broken || off < s.pos) {
		if sk, ok := s.rc.(io.Seeker); ok {
			if _, err := sk.Seek(off, io.SeekStart); err == nil {
				s.pos, s.broken = off, false
			}
		}
	}
	if s.rc == nil || s.broken || off < s.pos {
		if err := s.open(ctx); err != nil {
			return err
		}
	}
	if off > s.pos {
		n, err := io.CopyN(io.Discard, s.rc, off-s.pos)
		s.pos += n
		switch {
		case errors.Is(err, io.EOF):
			s.broken = true
			return fmt.Errorf("%w (it ended after %d bytes)", errStreamShort, s.pos)
		case err != nil:
			s.broken = true
			return fmt.Errorf("skip to byte %d: %w", off, err)
		}
	}
	return nil
}

// chunk returns the body of chunk i. The last chunk's must end the stream.
func (s *mediaStream) chunk(ctx context.Context, cp chunkPlan, i int) (*chunkBody, error) {
	a, b := cp.bounds(i)
	last := i == cp.count-1
	if s.rc == nil {
		if err := s.open(ctx); err != nil {
			return nil, err
		}
	}
	body := &chunkBody{start: a, left: b - a}
	if ra := s.ra; ra != nil {
		body.src = io.NewSectionReader(ra, a, b-a)
		if last {
			body.longer = func() bool {
				var one [1]byte
				n, _ := ra.ReadAt(one[:], cp.size)
				return n > 0
			}
		}
		return body, nil
	}
	if err := s.at(ctx, a); err != nil {
		return nil, err
	}
	rc := s.rc
	body.src, body.inOrder = rc, true
	if last {
		body.longer = func() bool {
			var one [1]byte
			n, _ := io.ReadFull(rc, one[:])
			return n > 0
		}
	}
	return body, nil
}

// release takes the stream back from body once its PUT is over, and
// returns why the stream failed under it (nil if it did not).
func (s *mediaStream) release(body *chunkBody) error {
	read, err := body.release()
	if body.inOrder {
		s.pos += read
		if err != nil {
			s.broken = true
		}
	}
	return err
}

func (s *mediaStream) close() {
	if s.rc != nil {
		s.rc.Close()
		s.rc, s.ra = nil, nil
	}
}

var (
	errStreamShort = errors.New("the video stream ended before its declared size")
	errStreamLong  = errors.New("the video stream is longer than its declared size")
	// errBodyReleased answers a transport that reads a chunk's body after
	// its PUT is over.
	errBodyReleased = errors.New("the chunk's request is over")
)

// chunkBody is the body of one chunk's PUT: the chunk's bytes, read from
// the media stream while the transport sends them. The transport may still
// read or close it after Do returned (an answer that came before the whole
// body was sent): release stops it first, so that the stream is the
// upload's alone again. A read that fails, or that finds the stream
// shorter or longer than the video, sends none of its bytes: TikTok is
// left short of the chunk and takes none of it.
type chunkBody struct {
	mu         sync.Mutex // held while src is read
	src        io.Reader
	start      int64       // the chunk's first byte in the video
	left, read int64       // bytes still to send, bytes read from src
	longer     func() bool // for the last chunk: whether the stream goes on past the video
	inOrder    bool        // src is the media stream itself, which reading moves
	err        error       // why the stream failed
	done       bool        // released or closed: src is not read again
}

func (b *chunkBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.err != nil:
		return 0, b.err
	case b.done:
		return 0, errBodyReleased
	case b.left == 0:
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.src.Read(p)
	b.read += int64(n)
	b.left -= int64(n)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		b.err = err
	case b.left > 0 && err != nil:
		b.err = fmt.Errorf("%w (it ended after %d bytes)", errStreamShort, b.start+b.read)
	case b.left == 0 && b.longer != nil && b.longer():
		b.err = errStreamLong
	}
	if b.err != nil {
		return 0, b.err
	}
	return n, nil
}

// Close is the transport's: it is done with the body.
func (b *chunkBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	return nil
}

// release ends the body's reads (waiting for one in progress) and returns
// how many bytes it read from its source and why that failed.
func (b *chunkBody) release() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	return b.read, b.err
}

// streamFailure is the error for a video stream that could not be read:
// rejected when its length is wrong, transient otherwise.
func streamFailure(op string, err error) *platform.Error {
	if errors.Is(err, errStreamShort) || errors.Is(err, errStreamLong) {
		return rejected(op, err.Error())
	}
	return fail(platform.KindTransient, op, "read the video: "+err.Error())
}
