package archive

import (
	"context"
	"database/sql"
	"sync"
)

// lockKey is the archive writer's PostgreSQL advisory lock (the
// migrations hold another).
const lockKey = 7216024

// PGLock elects one writer among the processes sharing a PostgreSQL
// database: the holder of a session advisory lock on a connection it keeps.
// When that connection dies, PostgreSQL releases the lock and another
// process takes it on its next try.
type PGLock struct {
	db   *sql.DB
	mu   sync.Mutex
	conn *sql.Conn
}

// NewPGLock returns the lock over db (a PostgreSQL database).
func NewPGLock(db *sql.DB) *PGLock { return &PGLock{db: db} }

// TryLock takes the lock if free, or checks that the connection holding it
// is still alive (when it is not, it reports the lock lost).
func (l *PGLock) TryLock(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err == nil {
			return true, nil
		}
		// The lock went with the session, and another process may have
		// written meanwhile: this try says so; the next one competes
		// afresh, so the writer knows it was elected again (and catches
		// up with the remote first).
		l.conn.Close()
		l.conn = nil
		return false, nil
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	var held bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(lockKey)).Scan(&held); err != nil || !held {
		conn.Close()
		return false, err
	}
	l.conn = conn
	return true, nil
}

// Unlock releases the lock if held.
func (l *PGLock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	_, err := l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(lockKey))
	l.conn.Close()
	l.conn = nil
	return err
}
