package archive

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/media"
)

// Restoring reads the archive's head tree back into records for a fresh
// database. What the archive never held stays out: tokens (accounts come
// back needing re-authorisation), a target's working progress, the media
// files themselves: their records come back with their ids, and a storage
// key that is the file's content address (media.KeyFor), where the file is
// once the operator copies the media directory or bucket back. Posts filed
// before the archive held media records keep their media ids and alt texts
// over placeholder records, as the store makes them.

// RestoreStore is what a restore writes through (*store.Store): one
// transaction per call.
type RestoreStore interface {
	IsEmpty(ctx context.Context) (bool, error)
	RestoreAccounts(ctx context.Context, accts []*snsos.Account) error
	RestoreMedia(ctx context.Context, media []*snsos.MediaRef) error
	RestorePosts(ctx context.Context, posts []*snsos.Post, attempts map[int64][]*snsos.Attempt) (held int, err error)
	FinishRestore(ctx context.Context) error
}

// RestoreReport says what a restore wrote.
type RestoreReport struct {
	Accounts, Media, Posts, Targets, Snapshots int
	Held                                       int // deliveries that wait for the operator
}

// restoreBatch is how many posts one transaction writes.
const restoreBatch = 200

// OpenSource opens the archive to restore from: a local bare repository
// given as a path, read in place, or a URL (file://, https://, ssh://)
// whose branch is fetched into tmp, a directory that must be empty or
// absent. It never writes to the source.
func OpenSource(ctx context.Context, src string, rm Remote, tmp string) (*Repo, error) {
	if !strings.Contains(src, "://") {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("archive: no archive at %s", src)
		}
		return openExisting(src)
	}
	rm.URL = src
	r, err := Open(tmp)
	if err != nil {
		return nil, err
	}
	head, err := r.Fetch(ctx, rm)
	if err != nil {
		return nil, err
	}
	if head.IsZero() {
		return nil, fmt.Errorf("archive: %s has no %s branch: nothing to restore", redact(src), Branch.Short())
	}
	if err := r.setHead(head, plumbing.ZeroHash); err != nil {
		return nil, err
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// openExisting opens a repository that must already hold an archive:
// Open would make a new one in an empty directory.
func openExisting(path string) (*Repo, error) {
	if entries, err := os.ReadDir(path); err == nil && len(entries) == 0 {
		return nil, fmt.Errorf("archive: %s is empty, not an archive", path)
	}
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	if r.Head().IsZero() {
		return nil, fmt.Errorf("archive: %s has no commit on %s: nothing to restore", path, Branch.Short())
	}
	return r, nil
}

// Restore writes the archive's accounts, posts (with targets, attempts and
// media lists) and metric snapshots into st, which must be empty. Ids are
// kept. progress (when not nil) is told after each batch how many posts
// were written, of how many.
func Restore(ctx context.Context, r *Repo, st RestoreStore, progress func(done, total int)) (RestoreReport, error) {
	var rep RestoreReport
	if empty, err := st.IsEmpty(ctx); err != nil {
		return rep, err
	} else if !empty {
		return rep, errors.New("archive: the database already holds accounts, posts or media; restore only into a fresh one")
	}
	var accts []*snsos.Account
	var posts []string
	for _, p := range r.Files() {
		switch {
		case strings.HasPrefix(p, "accounts/") && strings.HasSuffix(p, ".json"):
			a, err := r.readAccount(p)
			if err != nil {
				return rep, err
			}
			accts = append(accts, a)
		case strings.HasPrefix(p, "posts/") && strings.HasSuffix(p, ".json"):
			posts = append(posts, p)
		}
	}
	if err := st.RestoreAccounts(ctx, accts); err != nil {
		return rep, fmt.Errorf("archive: restore accounts: %w", err)
	}
	rep.Accounts = len(accts)
	seen := map[int64]*snsos.MediaRef{} // every record read so far: posts share media
	for i := 0; i < len(posts); i += restoreBatch {
		batch := posts[i:min(i+restoreBatch, len(posts))]
		ps, attempts := make([]*snsos.Post, 0, len(batch)), map[int64][]*snsos.Attempt{}
		var fresh []*snsos.MediaRef
		for _, path := range batch {
			p, ms, err := r.readPost(path, attempts)
			if err != nil {
				return rep, err
			}
			if fresh, err = addMedia(seen, fresh, ms, path); err != nil {
				return rep, err
			}
			ps = append(ps, p)
			rep.Targets += len(p.Targets)
			for _, t := range p.Targets {
				rep.Snapshots += len(t.Metrics)
			}
		}
		if err := st.RestoreMedia(ctx, fresh); err != nil {
			return rep, fmt.Errorf("archive: restore media: %w", err)
		}
		rep.Media += len(fresh)
		held, err := st.RestorePosts(ctx, ps, attempts)
		if err != nil {
			return rep, fmt.Errorf("archive: restore posts: %w", err)
		}
		rep.Posts, rep.Held = rep.Posts+len(ps), rep.Held+held
		if progress != nil {
			progress(rep.Posts, len(posts))
		}
	}
	return rep, st.FinishRestore(ctx)
}

// addMedia adds the records ms of the post file at path to seen, and
// those seen for the first time to fresh. One id must name one file
// throughout: two posts that disagree make the archive unreadable.
func addMedia(seen map[int64]*snsos.MediaRef, fresh, ms []*snsos.MediaRef, path string) ([]*snsos.MediaRef, error) {
	for _, m := range ms {
		if prev := seen[m.ID]; prev != nil {
			if *prev != *m {
				return nil, fmt.Errorf("archive: %s: media %d differs from the same media in another post", path, m.ID)
			}
			continue
		}
		seen[m.ID] = m
		fresh = append(fresh, m)
	}
	return fresh, nil
}

// decode reads the JSON file at path into v, numbers kept as written.
func (r *Repo) decode(path string, v any) error {
	b, err := r.File(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("archive: %s cannot be read: %w", path, err)
	}
	return nil
}

func (r *Repo) readAccount(path string) (*snsos.Account, error) {
	var d accountDoc
	if err := r.decode(path, &d); err != nil {
		return nil, err
	}
	created, err := unstamp(d.CreatedAt)
	if err != nil || d.ID <= 0 {
		return nil, fmt.Errorf("archive: %s: no id or a bad created_at", path)
	}
	return &snsos.Account{ID: d.ID, Platform: d.Platform, Handle: d.Handle, RemoteID: d.RemoteID, DisplayName: d.DisplayName,
		AvatarURL: d.AvatarURL, Status: snsos.AccountStatus(d.Status), StatusReason: d.StatusReason, Options: d.Options, CreatedAt: created}, nil
}

// readPost reads a post file, its attempts into attempts (by target id),
// and the snapshots of its metrics file onto its targets. It returns the
// media records the file holds too (none from an older file).
func (r *Repo) readPost(path string, attempts map[int64][]*snsos.Attempt) (*snsos.Post, []*snsos.MediaRef, error) {
	var d postDoc
	if err := r.decode(path, &d); err != nil {
		return nil, nil, err
	}
	bad := func(what string) error { return fmt.Errorf("archive: %s: %s", path, what) }
	p := &snsos.Post{ID: d.ID, Body: d.Body, MediaIDs: []int64{}}
	var err error
	if p.CreatedAt, err = unstamp(d.CreatedAt); err != nil || p.CreatedAt.IsZero() || d.ID <= 0 {
		return nil, nil, bad("no id or a bad created_at")
	}
	if p.ApprovedAt, err = unstamp(d.ApprovedAt); err != nil {
		return nil, nil, bad("bad approved_at")
	}
	if p.ScheduledAt, err = unstamp(d.ScheduledAt); err != nil {
		return nil, nil, bad("bad scheduled_at")
	}
	var ms []*snsos.MediaRef
	for _, m := range d.Media {
		p.MediaIDs = append(p.MediaIDs, m.ID)
		if m.SHA256 != "" {
			ref, err := readMedia(m)
			if err != nil {
				return nil, nil, bad(fmt.Sprintf("media %d: %v", m.ID, err))
			}
			ms = append(ms, ref)
		}
		if m.Alt != "" {
			if p.MediaAlt == nil {
				p.MediaAlt = map[int64]string{}
			}
			p.MediaAlt[m.ID] = m.Alt
		}
	}
	byID := map[int64]*snsos.Target{}
	for _, td := range d.Targets {
		t, err := readTarget(td, attempts)
		if err != nil {
			return nil, nil, bad(fmt.Sprintf("target %d: %v", td.ID, err))
		}
		p.Targets = append(p.Targets, t)
		byID[t.ID] = t
	}
	if err := r.readMetrics(MetricsPath(p.ID, p.CreatedAt), byID); err != nil {
		return nil, nil, err
	}
	return p, ms, nil
}

// readMedia reads a medium's record; its storage key is the content
// address of its hash, as internal/media names every file.
func readMedia(d mediaDoc) (*snsos.MediaRef, error) {
	m := &snsos.MediaRef{ID: d.ID, Key: media.KeyFor(d.SHA256), SHA256: d.SHA256, Mime: d.Mime, Size: d.Size, Width: d.Width,
		Height: d.Height, DurationMS: d.DurationMS, FrameRate: d.FrameRate, Codec: d.Codec, Filename: d.Filename}
	created, err := unstamp(d.CreatedAt)
	switch {
	case d.ID <= 0:
		return nil, errors.New("no id")
	case m.Key == "":
		return nil, fmt.Errorf("sha256 %q is not a SHA-256 in hex", d.SHA256)
	case d.Mime == "" || d.Size < 0 || d.Width < 0 || d.Height < 0 || d.DurationMS < 0 || d.FrameRate < 0:
		return nil, errors.New("no type, or a negative size")
	case err != nil || created.IsZero():
		return nil, errors.New("bad created_at")
	}
	m.CreatedAt = created
	return m, nil
}

func readTarget(td targetDoc, attempts map[int64][]*snsos.Attempt) (*snsos.Target, error) {
	t := &snsos.Target{ID: td.ID, AccountID: td.AccountID, Platform: td.Platform, State: snsos.TargetState(td.State), Body: td.Body,
		Options: td.Options, MediaIDs: td.MediaIDs, RemoteID: td.RemoteID, RemoteURL: td.RemoteURL, Error: td.Error, Metrics: []*snsos.MetricSnapshot{}}
	if td.NoMedia {
		t.MediaIDs = []int64{}
	}
	var err error
	if t.ScheduledAt, err = unstamp(td.ScheduledAt); err != nil {
		return nil, errors.New("bad scheduled_at")
	}
	if t.PublishedAt, err = unstamp(td.PublishedAt); err != nil {
		return nil, errors.New("bad published_at")
	}
	if t.ID <= 0 || !t.State.Valid() {
		return nil, fmt.Errorf("no id or a state %q that is not one", td.State)
	}
	for _, ad := range td.Attempts {
		a := &snsos.Attempt{TargetID: t.ID, Number: ad.Number, Outcome: snsos.TargetState(ad.Outcome), Detail: ad.Detail, Error: ad.Error}
		if a.StartedAt, err = unstamp(ad.StartedAt); err != nil || a.StartedAt.IsZero() {
			return nil, fmt.Errorf("attempt %d: bad started_at", ad.Number)
		}
		if a.FinishedAt, err = unstamp(ad.FinishedAt); err != nil {
			return nil, fmt.Errorf("attempt %d: bad finished_at", ad.Number)
		}
		attempts[t.ID] = append(attempts[t.ID], a)
	}
	return t, nil
}

// readMetrics reads the metrics CSV at path (absent: no snapshot) onto
// the targets it names.
func (r *Repo) readMetrics(path string, targets map[int64]*snsos.Target) error {
	if _, ok := r.files[path]; !ok {
		return nil
	}
	b, err := r.File(path)
	if err != nil {
		return err
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 || len(recs[0]) < 6 {
		return fmt.Errorf("archive: %s is not the archive's metrics CSV", path)
	}
	head := recs[0]
	for i, rec := range recs[1:] {
		bad := func(what string) error { return fmt.Errorf("archive: %s row %d: %s", path, i+2, what) }
		tid, err := strconv.ParseInt(rec[0], 10, 64)
		t := targets[tid]
		if err != nil || t == nil {
			return bad("names no target of the post")
		}
		m := &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint(rec[2]), Status: snsos.SnapshotStatus(rec[4]),
			Reason: rec[5], Values: map[string]int64{}}
		if m.FetchedAt, err = unstamp(rec[3]); err != nil || m.FetchedAt.IsZero() {
			return bad("bad fetched_at")
		}
		for c := 6; c < len(head) && c < len(rec); c++ {
			if rec[c] == "" {
				continue
			}
			v, err := strconv.ParseInt(rec[c], 10, 64)
			if err != nil {
				return bad(fmt.Sprintf("%s is not a whole number", head[c]))
			}
			m.Values[head[c]] = v
		}
		t.Metrics = append(t.Metrics, m)
	}
	return nil
}

// unstamp reads a time written by stamp ("" is the zero time).
func unstamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}
