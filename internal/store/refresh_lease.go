package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/sns-os/snsos"
)

// RefreshLease is an account's refresh lease as its holder knows it.
type RefreshLease struct {
	AccountID int64
	// Owner is the holder's random id: releasing the lease and storing the
	// refreshed pair under it must name it.
	Owner string
	// Until is when the lease ends, on the database's clock.
	Until time.Time
}

// AcquireRefreshLease takes the account's refresh lease for ttl, if no other
// holder has an unexpired one, and reports whether it did. Expiry is judged
// and set on the database's clock (every process compares the same one,
// whatever its own clock says). It is how one process, and one goroutine,
// refreshes a rotating token at a time. The holder ends the lease with
// PutRefreshedCredential or ReleaseRefreshLease, naming its Owner; a
// credential stored by a connect (PutCredential) ends any lease.
func (s *Store) AcquireRefreshLease(ctx context.Context, accountID int64, ttl time.Duration) (RefreshLease, bool, error) {
	l := RefreshLease{AccountID: accountID, Owner: newLeaseOwner()}
	ok := false
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		l.Until = now.Add(ttl).Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = $1, refresh_lease_owner = $2
			WHERE account_id = $3 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $4)`, l.Until, l.Owner, accountID, now)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			ok = true
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE account_id = $1`, accountID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return snsos.Errorf(snsos.ENOTFOUND, "account %d has no credential", accountID)
		}
		return mapErr(err)
	})
	if err != nil || !ok {
		return RefreshLease{}, false, err
	}
	return l, true, nil
}

// newLeaseOwner returns a random lease owner id (16 bytes, hex).
func newLeaseOwner() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// ReleaseRefreshLease ends the lease l, if it is still l's: a lease that ran
// out and was taken by another holder is left to that holder.
func (s *Store) ReleaseRefreshLease(ctx context.Context, l RefreshLease) error {
	_, err := s.db.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = NULL, refresh_lease_owner = NULL
		WHERE account_id = $1 AND refresh_lease_owner = $2`, l.AccountID, l.Owner)
	return mapErr(err)
}

// ReleaseAllRefreshLeases ends every account's refresh lease. Only correct
// when no other process can hold one: a SQLite server calls it at start-up,
// holding the data dir lock, so leases left by a killed process do not
// stall refreshes (and the posts that wait for them) until they expire.
func (s *Store) ReleaseAllRefreshLeases(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET refresh_lease_until = NULL, refresh_lease_owner = NULL
		WHERE refresh_lease_until IS NOT NULL OR refresh_lease_owner IS NOT NULL`)
	if err != nil {
		return 0, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
