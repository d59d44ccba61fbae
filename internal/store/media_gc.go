package store

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// UnreferencedMedia returns up to limit media records that no post uses and
// that were created before createdBefore, with ids above afterID, in id
// order: the candidates of a media garbage collection. Page through them by
// passing the last id returned as afterID. A record returned here may be
// attached to a post a moment later; DeleteMedia still refuses then.
func (s *Store) UnreferencedMedia(ctx context.Context, createdBefore time.Time, afterID int64, limit int) ([]*snsos.MediaRef, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.queryMedia(ctx, `WHERE id > $1 AND created_at < $2
		AND NOT EXISTS (SELECT 1 FROM post_media WHERE post_media.media_id = media.id)
		ORDER BY id LIMIT $3`, afterID, dbTime(createdBefore), limit)
}
