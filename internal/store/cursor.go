package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// Cursor is a place in a list paged by keyset (the post list, the
// analytics table): the sort time and the id of one row. A page after it
// starts just past that row, a page before it ends just before, so a deep
// page costs what the first one does, where OFFSET read every row above it.
type Cursor struct {
	At time.Time
	ID int64
}

// String is the cursor as a URL carries it: the time in Unix microseconds
// (the stored precision) and the id, "1767225600000000.42".
func (c Cursor) String() string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor written by String.
func ParseCursor(s string) (Cursor, error) {
	at, id, ok := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return Cursor{}, snsos.Errorf(snsos.EINVALID, "A page cursor is a time and an id, like 1767225600000000.42.")
	}
	return Cursor{At: time.UnixMicro(us).UTC(), ID: n}, nil
}

// keysetAfter is the condition that keeps the rows past c in a walk on
// (key, id), which runs descending when desc; its arguments follow args.
// It is written "key <= t AND (key < t OR id < n)" rather than as a
// row-value comparison, which SQLite does not match to an expression index
// (posts_time): the first half bounds the index range on both databases,
// the second only drops the rows at the cursor's own time.
func keysetAfter(key, id string, desc bool, c Cursor, args []any) (string, []any) {
	op := ">"
	if desc {
		op = "<"
	}
	args = append(args, dbTime(c.At), c.ID)
	at, n := "$"+strconv.Itoa(len(args)-1), "$"+strconv.Itoa(len(args))
	return key + " " + op + "= " + at + " AND (" + key + " " + op + " " + at + " OR " + id + " " + op + " " + n + ")", args
}
