package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sns-os/snsos"
)

// mapErr turns driver errors into snsos errors: no rows → ENOTFOUND,
// unique and foreign-key violations → ECONFLICT, busy → EUNAVAILABLE. Other
// errors pass through unchanged (and count as EINTERNAL).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &snsos.Error{Code: snsos.ENOTFOUND, Message: "not found", Err: err}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &snsos.Error{Code: snsos.ECONFLICT, Message: "already exists", Err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_TRIGGER: // RESTRICT reports as a trigger
			return &snsos.Error{Code: snsos.ECONFLICT, Message: "refers to something missing, or is still in use", Err: err}
		}
		switch se.Code() & 0xff { // primary result code, whatever the extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &snsos.Error{Code: snsos.EUNAVAILABLE, Message: "the database is busy; try again", Err: err}
		case sqlite3.SQLITE_FULL:
			return &snsos.Error{Code: snsos.EUNAVAILABLE, Message: "the disk is full", Err: err}
		case sqlite3.SQLITE_READONLY:
			return &snsos.Error{Code: snsos.EUNAVAILABLE, Message: "the database is read-only", Err: err}
		}
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &snsos.Error{Code: snsos.ECONFLICT, Message: "already exists", Err: err}
		case "23503", "23001":
			return &snsos.Error{Code: snsos.ECONFLICT, Message: "refers to something missing, or is still in use", Err: err}
		case "40001", "40P01", "55P03":
			return &snsos.Error{Code: snsos.EUNAVAILABLE, Message: "the database is busy; try again", Err: err}
		}
	}
	return err
}

// notFound returns an ENOTFOUND error naming the thing.
func notFound(what string, id int64) error {
	return snsos.Errorf(snsos.ENOTFOUND, "%s %d not found", what, id)
}
