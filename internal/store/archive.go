package store

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// The readers below serve the git archive (internal/archive), which polls
// for what changed since its last look rather than being told: a missed
// signal would lose a change, a poll with an overlap cannot.

// ChangedPostIDs returns, in ascending order, the ids of the posts that
// changed at or after since: the post itself, one of its targets (every
// state change, attempt and published id moves the target's updated_at),
// or a metric snapshot of one of its targets.
func (s *Store) ChangedPostIDs(ctx context.Context, since time.Time) ([]int64, error) {
	t := since.UTC().Truncate(time.Microsecond)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM posts WHERE updated_at >= $1
		UNION SELECT post_id FROM targets WHERE updated_at >= $1
		UNION SELECT t.post_id FROM metric_snapshots m JOIN targets t ON t.id = m.target_id WHERE m.fetched_at >= $1
		ORDER BY 1`, t)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, id)
	}
	return out, mapErr(rows.Err())
}

// PostsByID returns the posts with these ids that still exist, in the
// order of ids, with their media, targets and metric snapshots.
func (s *Store) PostsByID(ctx context.Context, ids []int64) ([]*snsos.Post, error) {
	return s.findPosts(ctx, ids)
}

// MediaByIDs returns the media records with these ids that exist, by id:
// the archive files each post's media with the post.
func (s *Store) MediaByIDs(ctx context.Context, ids []int64) (map[int64]*snsos.MediaRef, error) {
	out := map[int64]*snsos.MediaRef{}
	if len(ids) == 0 {
		return out, nil
	}
	ms, err := s.queryMedia(ctx, `WHERE id IN (`+idList(ids)+`) ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out, nil
}

// CountPosts returns how many posts the database holds: the total of the
// archive's full comparison, for `sns-os archive sync`'s progress.
func (s *Store) CountPosts(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM posts`).Scan(&n)
	return n, mapErr(err)
}
