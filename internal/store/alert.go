package store

import (
	"context"
	"database/sql"

	"github.com/sns-os/snsos"
)

// AlertsSent returns the keys of the attention items already sent on
// channel (such as "email" or "webhook").
func (s *Store) AlertsSent(ctx context.Context, channel string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item_key FROM alerts_sent WHERE channel = $1`, channel)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, mapErr(err)
		}
		out[k] = true
	}
	return out, mapErr(rows.Err())
}

// MarkAlertsSent records that the items with these keys were sent on
// channel. Keys already recorded are kept as they are.
func (s *Store) MarkAlertsSent(ctx context.Context, channel string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	now := s.nowUTC()
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alerts_sent (item_key, channel, sent_at) VALUES ($1, $2, $3)
				ON CONFLICT (item_key, channel) DO NOTHING`, k, channel, now); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

// PruneAlertsSent forgets the sent items whose keys are not in keep (the
// problems that were resolved), on every channel, and returns how many rows
// it removed: the same problem coming back later is alerted again.
func (s *Store) PruneAlertsSent(ctx context.Context, keep []string) (int64, error) {
	kept := make(map[string]bool, len(keep))
	for _, k := range keep {
		kept[k] = true
	}
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT item_key FROM alerts_sent`)
		if err != nil {
			return mapErr(err)
		}
		var gone []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return mapErr(err)
			}
			if !kept[k] {
				gone = append(gone, k)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
		for _, k := range gone {
			res, err := tx.ExecContext(ctx, `DELETE FROM alerts_sent WHERE item_key = $1`, k)
			if err != nil {
				return mapErr(err)
			}
			c, _ := res.RowsAffected()
			n += c
		}
		return nil
	})
	return n, err
}

// ListRecentlyPublished returns the last limit published targets (without
// metrics), most recently published first.
func (s *Store) ListRecentlyPublished(ctx context.Context, limit int) ([]*snsos.Target, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	// Two reads, each walking an index from its end, rather than one
	// ORDER BY (published_at IS NULL), …, which no index serves and which
	// sorted every published target: those with a time, newest first,
	// then (rare, never written by sns-os) those without one.
	out, err := queryTargets(ctx, s.db, recentQuery, limit)
	if err != nil || len(out) == limit {
		return out, err
	}
	rest, err := queryTargets(ctx, s.db, recentUndatedQuery, limit-len(out))
	return append(out, rest...), err
}

const (
	recentQuery = `SELECT ` + targetCols + ` FROM targets WHERE state = 'published' AND published_at IS NOT NULL
		ORDER BY published_at DESC, id DESC LIMIT $1`
	recentUndatedQuery = `SELECT ` + targetCols + ` FROM targets WHERE state = 'published' AND published_at IS NULL
		ORDER BY id DESC LIMIT $1`
)
