package store

import (
	"context"

	"github.com/sns-os/snsos"
)

const mediaCols = `id, sha256, storage_key, mime, size, width, height, duration_ms, frame_rate, codec, filename, created_at`

func scanMedia(r scanner) (*snsos.MediaRef, error) {
	var m snsos.MediaRef
	err := r.Scan(&m.ID, &m.SHA256, &m.Key, &m.Mime, &m.Size, &m.Width, &m.Height, &m.DurationMS, &m.FrameRate, &m.Codec, &m.Filename, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, err
}

// CreateMedia records a stored media file. The same content (SHA-256) is
// stored once: creating it again returns the existing record and
// created=false.
func (s *Store) CreateMedia(ctx context.Context, m *snsos.MediaRef) (created bool, err error) {
	if m.SHA256 == "" || m.Key == "" || m.Mime == "" {
		return false, snsos.Errorf(snsos.EINVALID, "media needs a hash, a storage key and a type")
	}
	m.CreatedAt = s.nowUTC()
	err = s.db.QueryRowContext(ctx, `INSERT INTO media (sha256, storage_key, mime, size, width, height, duration_ms, frame_rate, codec, filename, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (sha256) DO NOTHING RETURNING id`,
		m.SHA256, m.Key, m.Mime, m.Size, m.Width, m.Height, m.DurationMS, m.FrameRate, m.Codec, m.Filename, m.CreatedAt).Scan(&m.ID)
	if err == nil {
		return true, nil
	}
	if err = mapErr(err); !snsos.IsCode(err, snsos.ENOTFOUND) { // DO NOTHING returns no row
		return false, err
	}
	existing, err := scanMedia(s.db.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE sha256 = $1`, m.SHA256))
	if err != nil {
		return false, mapErr(err)
	}
	*m = *existing
	return false, nil
}

// FindMediaByID returns a media record or ENOTFOUND.
func (s *Store) FindMediaByID(ctx context.Context, id int64) (*snsos.MediaRef, error) {
	m, err := scanMedia(s.db.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE id = $1`, id))
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, notFound("media", id)
		}
		return nil, err
	}
	return m, nil
}

// ListMedia returns media records, newest first.
func (s *Store) ListMedia(ctx context.Context, limit int) ([]*snsos.MediaRef, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.queryMedia(ctx, `ORDER BY id DESC LIMIT $1`, limit)
}

// queryMedia returns the media records selected by the rest of a query
// (WHERE, ORDER BY, LIMIT) after "SELECT … FROM media".
func (s *Store) queryMedia(ctx context.Context, rest string, args ...any) ([]*snsos.MediaRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+mediaCols+` FROM media `+rest, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*snsos.MediaRef{}
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err())
}

// DeleteMedia deletes a media record. It is ECONFLICT while a post uses it.
func (s *Store) DeleteMedia(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM media WHERE id = $1`, id)
	if err != nil {
		if err = mapErr(err); snsos.IsCode(err, snsos.ECONFLICT) {
			return snsos.WrapError(snsos.ECONFLICT, err, "a post uses this media; remove it from the post first")
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("media", id)
	}
	return nil
}
