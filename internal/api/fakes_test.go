package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/png" // DecodeConfig for the fake media layer
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/platform"
	pub "github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
)

// The fakes stand in for the real engine, connector, metrics collector and
// media store. Each method does something plausible with the real store
// unless its Func field is set.

var (
	_ api.Engine    = (*pub.Engine)(nil) // the real one, wired by the cli
	_ api.Engine    = (*fakeEngine)(nil)
	_ api.Connector = (*fakeConnector)(nil)
	_ api.Metrics   = (*fakeMetrics)(nil)
	_ api.Media     = (*fakeMedia)(nil)
)

type fakeEngine struct {
	st             *store.Store
	CreatePostFunc func(ctx context.Context, p *snsos.Post, approve bool) error
	CancelFunc     func(ctx context.Context, postID int64) (*snsos.Post, error)
}

func pastError(field string) error {
	var v snsos.ValidationErrors
	v.Add(field, "future", "must be in the future")
	return v.Err()
}

func (f *fakeEngine) CreatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	if f.CreatePostFunc != nil {
		return f.CreatePostFunc(ctx, p, approve)
	}
	state := snsos.StateDraft
	if approve {
		state = snsos.StateApproved
		p.ApprovedAt = time.Now()
		if !p.ScheduledAt.IsZero() {
			if p.ScheduledAt.Before(time.Now()) {
				return pastError("scheduled_at")
			}
			state = snsos.StateScheduled
		}
	}
	for _, t := range p.Targets {
		t.State = state
	}
	return f.st.CreatePost(ctx, p, nil)
}

// UpdatePost saves the edit through the store as the real engine does
// (targets matched by account, the versions as read), without the
// platform rules.
func (f *fakeEngine) UpdatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	cur, err := f.st.FindPostByID(ctx, p.ID)
	if err != nil {
		return err
	}
	expect := map[int64]snsos.TargetVersion{}
	byAccount := map[int64]*snsos.Target{}
	for _, t := range cur.Targets {
		expect[t.ID] = snsos.TargetVersion{State: t.State, UpdatedAt: t.UpdatedAt}
		byAccount[t.AccountID] = t
	}
	for _, t := range p.Targets {
		t.State = snsos.StateDraft
		if approve {
			t.State = snsos.StateApproved
		}
		if old := byAccount[t.AccountID]; old != nil {
			t.ID = old.ID
		}
	}
	return f.st.UpdatePost(ctx, p, expect, nil)
}

func (f *fakeEngine) eachTarget(ctx context.Context, postID int64, fn func(t *snsos.Target) error) (*snsos.Post, error) {
	p, err := f.st.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	for _, t := range p.Targets {
		if err := fn(t); err != nil {
			return nil, err
		}
	}
	return f.st.FindPostByID(ctx, postID)
}

func (f *fakeEngine) move(ctx context.Context, t *snsos.Target, to snsos.TargetState, mutate func(*snsos.Target)) error {
	_, err := f.st.TransitionTarget(ctx, store.Transition{TargetID: t.ID, From: t.State, To: to, Mutate: mutate, Actor: "operator"})
	return err
}

func (f *fakeEngine) Approve(ctx context.Context, postID int64) (*snsos.Post, error) {
	return f.eachTarget(ctx, postID, func(t *snsos.Target) error {
		if t.State != snsos.StateDraft {
			return nil
		}
		return f.move(ctx, t, snsos.StateApproved, nil)
	})
}

func (f *fakeEngine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	if at.Before(time.Now()) {
		return nil, pastError("scheduled_at")
	}
	return f.eachTarget(ctx, postID, func(t *snsos.Target) error {
		if t.State != snsos.StateApproved {
			return snsos.Errorf(snsos.ECONFLICT, "approve the post before scheduling it")
		}
		return f.move(ctx, t, snsos.StateScheduled, func(t *snsos.Target) { t.ScheduledAt = at })
	})
}

func (f *fakeEngine) Cancel(ctx context.Context, postID int64) (*snsos.Post, error) {
	if f.CancelFunc != nil {
		return f.CancelFunc(ctx, postID)
	}
	return f.eachTarget(ctx, postID, func(t *snsos.Target) error {
		if t.State.MayBeLive() {
			return snsos.Errorf(snsos.ECONFLICT, "the post is already %s on %s; it cannot be canceled", t.State, t.Platform.DisplayName())
		}
		if t.State == snsos.StateCanceled {
			return nil
		}
		return f.move(ctx, t, snsos.StateCanceled, nil)
	})
}

func (f *fakeEngine) RetryTarget(ctx context.Context, targetID int64) (*snsos.Target, error) {
	t, err := f.st.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	return f.st.TransitionTarget(ctx, store.Transition{TargetID: t.ID, From: snsos.StateFailed, To: snsos.StateScheduled,
		Mutate: func(t *snsos.Target) { t.Error = "" }})
}

func (f *fakeEngine) ReconcileTarget(ctx context.Context, targetID int64) (*snsos.Target, error) {
	t, err := f.st.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	return f.st.TransitionTarget(ctx, store.Transition{TargetID: t.ID, From: snsos.StateUnknown, To: snsos.StatePublished,
		Mutate: func(t *snsos.Target) { t.RemoteID, t.RemoteURL = "r-found", "https://x.example/p/r-found" }})
}

// xStatusID reads the id from an X permalink (the real engine asks the X
// client, tested in internal/platform/x).
var xStatusID = regexp.MustCompile(`/status/([0-9]+)/?$`)

// ResolveTarget does what the real engine does with the operator's answer:
// only a target in needs_operator; a link must be http(s) (and, on X, a
// post's permalink); not published fails the target so it can be retried.
func (f *fakeEngine) ResolveTarget(ctx context.Context, targetID int64, r pub.Resolution) (*snsos.Target, error) {
	t, err := f.st.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateNeedsOperator {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only a target waiting for the operator can be resolved", targetID, t.State)
	}
	if !r.Published {
		return f.st.TransitionTarget(ctx, store.Transition{TargetID: t.ID, From: t.State, To: snsos.StateFailed, Actor: "operator",
			Mutate: func(t *snsos.Target) { t.Error, t.Progress = "confirmed by the operator: not published", nil }})
	}
	var v snsos.ValidationErrors
	u, perr := url.Parse(r.RemoteURL)
	if perr != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		v.Add("remote_url", "url", "give the post's link on %s", t.Platform.DisplayName())
		return nil, v.Err()
	}
	id := r.RemoteID
	if m := xStatusID.FindStringSubmatch(u.Path); m != nil && id == "" {
		id = m[1]
	} else if t.Platform == snsos.PlatformX && id == "" {
		v.Add("remote_url", "post_link", "%q is not a link to a post on X", r.RemoteURL)
		return nil, v.Err()
	}
	return f.st.TransitionTarget(ctx, store.Transition{TargetID: t.ID, From: t.State, To: snsos.StatePublished, Actor: "operator",
		Mutate: func(t *snsos.Target) {
			t.RemoteURL, t.RemoteID, t.Error = u.String(), id, ""
			if t.Progress == nil {
				t.Progress = map[string]string{}
			}
			if id != "" && t.Progress[platform.PartIDKey(1)] == "" {
				t.Progress[platform.PartIDKey(1)] = id
			}
		}})
}

type fakeConnector struct{}

func (fakeConnector) StartConnect(ctx context.Context, p snsos.Platform, binding string) (string, error) {
	return "https://" + string(p) + ".example/oauth/authorize?state=st4te&binding=" + binding, nil
}

type fakeMetrics struct{ st *store.Store }

func (f fakeMetrics) RefreshNow(ctx context.Context, targetID int64) (*snsos.MetricSnapshot, error) {
	t, err := f.st.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StatePublished {
		return nil, snsos.Errorf(snsos.ECONFLICT, "only a published post has metrics")
	}
	m := &snsos.MetricSnapshot{TargetID: targetID, Checkpoint: snsos.CheckpointManual,
		Values: map[string]int64{"views": 100, "likes": 7, "reposts": 2}}
	return m, f.st.PutSnapshot(ctx, m)
}

// fakeMedia stores nothing on disk: it hashes and probes the bytes and
// records them in the store. Files over max bytes are ETOOLARGE.
type fakeMedia struct {
	st  *store.Store
	max int64

	mu    sync.Mutex
	names []string
}

func (f *fakeMedia) Upload(ctx context.Context, r io.Reader, filename string) (*snsos.MediaRef, error) {
	b, err := io.ReadAll(io.LimitReader(r, f.max+1))
	if err != nil {
		return nil, err // a cut body (http.MaxBytesError) passes through
	}
	if int64(len(b)) > f.max {
		return nil, snsos.Errorf(snsos.ETOOLARGE, "images are at most %d bytes", f.max)
	}
	mime := http.DetectContentType(b)
	if mime != "image/png" {
		return nil, snsos.Errorf(snsos.EINVALID, "this file type (%s) is not supported", mime)
	}
	sum := sha256.Sum256(b)
	m := &snsos.MediaRef{SHA256: hex.EncodeToString(sum[:]), Mime: mime, Size: int64(len(b)), Filename: filename}
	m.Key = "sha256/" + m.SHA256
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		m.Width, m.Height = cfg.Width, cfg.Height
	}
	f.mu.Lock()
	f.names = append(f.names, filename)
	f.mu.Unlock()
	if _, err := f.st.CreateMedia(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

func (f *fakeMedia) Delete(ctx context.Context, id int64) error { return f.st.DeleteMedia(ctx, id) }

// ConvertToJPEG records a JPEG twin of a PNG (the real conversion is tested
// in internal/media).
func (f *fakeMedia) ConvertToJPEG(ctx context.Context, id int64) (*snsos.MediaRef, error) {
	src, err := f.st.FindMediaByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if src.Mime == "image/jpeg" {
		return nil, snsos.Errorf(snsos.EINVALID, "the image is already JPEG")
	}
	m := &snsos.MediaRef{SHA256: "jpeg-" + src.SHA256, Key: "sha256/jpeg-" + src.SHA256, Mime: "image/jpeg", Size: src.Size,
		Width: src.Width, Height: src.Height, Filename: src.Filename + ".jpg"}
	if _, err := f.st.CreateMedia(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}
