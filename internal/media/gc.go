package media

import (
	"context"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
)

// GCStore is the query a media garbage collection needs; *store.Store
// implements it.
type GCStore interface {
	// UnreferencedMedia returns up to limit records no post uses, created
	// before createdBefore, with ids above afterID, in id order.
	UnreferencedMedia(ctx context.Context, createdBefore time.Time, afterID int64, limit int) ([]*snsos.MediaRef, error)
}

// GCResult is what a garbage collection found and did.
type GCResult struct {
	// Removed lists the media deleted (or, in a dry run, that would be).
	Removed []*snsos.MediaRef
	// Bytes is the total size of Removed.
	Bytes int64
	// Skipped lists candidates a post started using (or another process
	// deleted) while the collection ran; they are kept.
	Skipped []*snsos.MediaRef
}

// gcPage is how many candidates GC reads at a time.
const gcPage = 200

// GC deletes the media that no post uses and that were created before
// createdBefore: each record, then its file (as Delete does). With dryRun
// it deletes nothing and returns what it would delete. q is the database
// query, usually the Library's own store.
//
// A candidate attached to a post between the query and its deletion is
// kept: the database refuses to delete media a post uses. GC must run in
// the process that owns the Store (see Library): the command line takes the
// data dir lock for it.
func (l *Library) GC(ctx context.Context, q GCStore, createdBefore time.Time, dryRun bool) (*GCResult, error) {
	res := &GCResult{Removed: []*snsos.MediaRef{}, Skipped: []*snsos.MediaRef{}}
	var after int64
	for {
		page, err := q.UnreferencedMedia(ctx, createdBefore, after, gcPage)
		if err != nil {
			return res, fmt.Errorf("media: gc: find unused media: %w", err)
		}
		for _, m := range page {
			after = m.ID
			if !dryRun {
				err := l.Delete(ctx, m.ID)
				switch {
				case snsos.IsCode(err, snsos.ECONFLICT), snsos.IsCode(err, snsos.ENOTFOUND):
					res.Skipped = append(res.Skipped, m)
					continue
				case err != nil:
					return res, fmt.Errorf("media: gc: delete media %d: %w", m.ID, err)
				}
			}
			res.Removed = append(res.Removed, m)
			res.Bytes += m.Size
		}
		if len(page) < gcPage {
			return res, nil
		}
	}
}
