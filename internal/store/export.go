package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// The readers below serve sns-os export. They only read, and they page by
// id (keyset: "id > after ORDER BY id"), so the export holds one page in
// memory whatever the size of the database, sees every row that existed
// when it started exactly once, and never needs a transaction: a
// transaction on SQLite takes the write lock (see Open), which a long
// export must not hold against the running server.

// MaxExportPage bounds the limit of the export readers.
const MaxExportPage = 1000

func exportLimit(limit int) int {
	if limit <= 0 || limit > MaxExportPage {
		return MaxExportPage
	}
	return limit
}

// PostsAfter returns up to limit posts whose id is greater than afterID,
// oldest first, each with its media, targets and their metric snapshots
// (as FindPostByID reads them).
func (s *Store) PostsAfter(ctx context.Context, afterID int64, limit int) ([]*snsos.Post, error) {
	return s.queryPosts(ctx, `SELECT `+postCols+` FROM posts WHERE id > $1 ORDER BY id LIMIT $2`, afterID, exportLimit(limit))
}

// AttemptsOfTargets returns the attempts of the targets with these ids, by
// target id, each list oldest first; a target without attempts is absent.
func (s *Store) AttemptsOfTargets(ctx context.Context, targetIDs []int64) (map[int64][]*snsos.Attempt, error) {
	out := map[int64][]*snsos.Attempt{}
	if len(targetIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, target_id, number, started_at, finished_at, outcome, detail, error
		FROM attempts WHERE target_id IN (`+idList(targetIDs)+`) ORDER BY target_id, number`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a snsos.Attempt
		var fin sql.NullTime
		if err := rows.Scan(&a.ID, &a.TargetID, &a.Number, &a.StartedAt, &fin, &a.Outcome, &a.Detail, &a.Error); err != nil {
			return nil, mapErr(err)
		}
		a.StartedAt, a.FinishedAt = a.StartedAt.UTC(), fromNull(fin)
		out[a.TargetID] = append(out[a.TargetID], &a)
	}
	return out, mapErr(rows.Err())
}

// MediaAfter returns up to limit media records whose id is greater than
// afterID, oldest first.
func (s *Store) MediaAfter(ctx context.Context, afterID int64, limit int) ([]*snsos.MediaRef, error) {
	return s.queryMedia(ctx, `WHERE id > $1 ORDER BY id LIMIT $2`, afterID, exportLimit(limit))
}

// ContactMessagesAfter returns up to limit contact messages whose id is
// greater than afterID, oldest first.
func (s *Store) ContactMessagesAfter(ctx context.Context, afterID int64, limit int) ([]*snsos.ContactMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactColumns+` FROM contact_messages WHERE id > $1 ORDER BY id LIMIT $2`,
		afterID, exportLimit(limit))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*snsos.ContactMessage{}
	for rows.Next() {
		m, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err())
}

// DeletionRequestsAfter returns up to limit deletion requests whose id is
// greater than afterID, oldest first.
func (s *Store) DeletionRequestsAfter(ctx context.Context, afterID int64, limit int) ([]*snsos.DeletionRequest, error) {
	return s.queryDeletionRequests(ctx, `WHERE id > $1 ORDER BY id LIMIT $2`, afterID, exportLimit(limit))
}

// SettingRow is one stored setting.
type SettingRow struct {
	Key       string
	Value     string
	UpdatedAt time.Time
}

// ListSettings returns every setting but the sealed ones (the link keys,
// which are key material), ordered by key. Which of the others may leave
// the server is the caller's decision: the store does not know which hold
// a hash or a one-time token.
func (s *Store) ListSettings(ctx context.Context) ([]SettingRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value, updated_at FROM settings ORDER BY key`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []SettingRow{}
	for rows.Next() {
		var r SettingRow
		if err := rows.Scan(&r.Key, &r.Value, &r.UpdatedAt); err != nil {
			return nil, mapErr(err)
		}
		if strings.HasPrefix(strings.ToLower(r.Key), sealedPrefix) {
			continue
		}
		r.UpdatedAt = r.UpdatedAt.UTC()
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// ExportCounts is how many rows of each exported kind the database holds.
type ExportCounts struct {
	Accounts, Posts, Media, ContactMessages, DeletionRequests int
}

// Total is the number of rows an export writes at the top level.
func (c ExportCounts) Total() int {
	return c.Accounts + c.Posts + c.Media + c.ContactMessages + c.DeletionRequests
}

// CountExport counts the rows an export will write (for its progress).
func (s *Store) CountExport(ctx context.Context) (ExportCounts, error) {
	var c ExportCounts
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM media),
		(SELECT COUNT(*) FROM contact_messages), (SELECT COUNT(*) FROM deletion_requests)`).
		Scan(&c.Accounts, &c.Posts, &c.Media, &c.ContactMessages, &c.DeletionRequests)
	return c, mapErr(err)
}
