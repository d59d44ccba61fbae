package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/sns-os/snsos"
)

// PostQuery selects the posts of the operator's post list.
type PostQuery struct {
	// States keeps the posts with at least one target in one of these
	// states (all posts when empty).
	States []snsos.TargetState
	// Platform keeps the posts with a target on this platform; with
	// States, the same target must match both.
	Platform snsos.Platform
	// Text keeps the posts whose text (the body or a target's own text)
	// contains it, compared after SearchKey on both sides.
	Text string
	// Limit is the page size (default 25, at most 200).
	Limit int
	// After asks for the page that follows the post at the cursor (a
	// PostPage's Next), Before for the page that precedes it (its Prev);
	// neither, the first page. Not both.
	After, Before *Cursor
	// Ascending lists the earliest first; the default is newest first. The
	// time of a post is its scheduled time, else when it was written.
	Ascending bool
}

// PostPage is one page of posts.
type PostPage struct {
	Posts []*snsos.Post
	// Prev and Next are the cursors of the pages before and after this
	// one, nil at either end: Prev goes in PostQuery.Before, Next in After.
	Prev, Next *Cursor
	// Searched is how many posts a text search read; Truncated is true
	// when it stopped at SearchScanLimit before the end, so older posts
	// were not searched (the page must say so).
	Searched  int
	Truncated bool
}

// SearchScanLimit bounds how many posts one text search reads.
const SearchScanLimit = 20000

// SearchKey is how post text is compared in searches: NFKC-normalised
// (full-width "ＡＢＣ１２３" is "ABC123", half-width "ｶﾀｶﾅ" is "カタカナ")
// and case-folded.
func SearchKey(s string) string {
	return cases.Fold().String(norm.NFKC.String(s))
}

// SearchPosts returns one page of posts with their targets and metrics.
//
// Pages are a keyset walk on the post's time and id (the index posts_time):
// a page after a cursor starts there, so the thousandth page costs what the
// first does. A page before a cursor is read backwards and turned round;
// when fewer than a page's posts precede the cursor (posts were deleted, or
// the list was entered from an old link), it is the first page instead.
//
// States and platform are filtered in SQL. A text search is matched in Go:
// NFKC and case folding have no portable SQL form (SQLite has neither, and
// PostgreSQL's normalize() needs a UTF-8 server and still lacks folding), and
// a stored normalised column would have to be kept up to date by every path
// that writes a body. One operator's posts are few enough to stream
// (id and text only, in the page's order, stopping once the page is full),
// and SearchScanLimit bounds the worst case, which the result reports
// instead of hiding.
func (s *Store) SearchPosts(ctx context.Context, q PostQuery) (*PostPage, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 25
	}
	if q.After != nil && q.Before != nil {
		return nil, snsos.Errorf(snsos.EINVALID, "A page of posts comes after a cursor or before one, not both.")
	}
	page := &PostPage{}
	ids, err := s.postPageIDs(ctx, q, page)
	if err != nil {
		return nil, err
	}
	back, more := q.Before != nil, len(ids) > q.Limit
	if back && !more { // nothing precedes these but the first page
		q.Before, back, page = nil, false, &PostPage{}
		if ids, err = s.postPageIDs(ctx, q, page); err != nil {
			return nil, err
		}
		more = len(ids) > q.Limit
	}
	ids = ids[:min(len(ids), q.Limit)]
	if back {
		slices.Reverse(ids)
	}
	// One read of the page's posts and their parts, not one per post; a
	// post deleted meanwhile is left out.
	if page.Posts, err = s.findPosts(ctx, ids); err != nil {
		return nil, err
	}
	if n := len(page.Posts); n > 0 {
		if back || q.After != nil {
			page.Prev = postCursor(page.Posts[0])
		}
		if back || more {
			page.Next = postCursor(page.Posts[n-1])
		}
	}
	return page, nil
}

// postCursor is post p's place in the list.
func postCursor(p *snsos.Post) *Cursor {
	at := p.ScheduledAt
	if at.IsZero() {
		at = p.CreatedAt
	}
	return &Cursor{At: at, ID: p.ID}
}

// postPageIDs returns the ids of up to q.Limit+1 posts from q's cursor, in
// the order they are read (backwards from a Before cursor).
func (s *Store) postPageIDs(ctx context.Context, q PostQuery, page *PostPage) ([]int64, error) {
	if strings.TrimSpace(q.Text) != "" {
		wh, order, args := postsWhere(q)
		return s.matchPosts(ctx, `SELECT p.id, p.body, COALESCE(tb.body, '') FROM posts p
			LEFT JOIN targets tb ON tb.post_id = p.id AND tb.body <> ''`+wh+order, args, SearchKey(strings.TrimSpace(q.Text)), q.Limit, page)
	}
	query, args := postsPageQuery(q)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err)
		}
		ids = append(ids, id)
	}
	return ids, mapErr(rows.Err())
}

// postsPageQuery reads the ids of up to q.Limit+1 posts from q's cursor.
func postsPageQuery(q PostQuery) (string, []any) {
	wh, order, args := postsWhere(q)
	return `SELECT p.id FROM posts p` + wh + order + ` LIMIT ` + strconv.Itoa(q.Limit+1), args
}

// postsWhere is the post list's condition and order, with their
// arguments: the filters, the cursor, and the order the page is read in
// (the list's, or the reverse before a Before cursor). The order is on
// COALESCE(scheduled_at, created_at) exactly as the index posts_time
// (migration 0016) has it, so a page walks the index from its cursor
// instead of sorting every post.
func postsWhere(q PostQuery) (wh, order string, args []any) {
	var where []string
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(q.States) > 0 || q.Platform != "" {
		cond := []string{"t.post_id = p.id"}
		if len(q.States) > 0 {
			ph := make([]string, len(q.States))
			for i, st := range q.States {
				ph[i] = arg(string(st))
			}
			cond = append(cond, "t.state IN ("+strings.Join(ph, ", ")+")")
		}
		if q.Platform != "" {
			cond = append(cond, "t.platform = "+arg(string(q.Platform)))
		}
		where = append(where, "EXISTS (SELECT 1 FROM targets t WHERE "+strings.Join(cond, " AND ")+")")
	}
	desc := !q.Ascending
	cur := q.After
	if q.Before != nil {
		desc, cur = !desc, q.Before
	}
	if cur != nil {
		var c string
		c, args = keysetAfter("COALESCE(p.scheduled_at, p.created_at)", "p.id", desc, *cur, args)
		where = append(where, c)
	}
	if len(where) > 0 {
		wh = " WHERE " + strings.Join(where, " AND ")
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	return wh, " ORDER BY COALESCE(p.scheduled_at, p.created_at) " + dir + ", p.id " + dir, args
}

// matchPosts streams (id, body, target body) rows, grouped by post, and
// returns the ids of the first limit+1 matching posts.
func (s *Store) matchPosts(ctx context.Context, query string, args []any, key string, limit int, page *PostPage) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var ids []int64
	var cur int64
	curMatch := false
	flush := func() bool { // reports whether the page is full
		if cur != 0 && curMatch {
			ids = append(ids, cur)
		}
		return len(ids) > limit
	}
	for rows.Next() {
		var id int64
		var body, tbody sql.NullString
		if err := rows.Scan(&id, &body, &tbody); err != nil {
			return nil, mapErr(err)
		}
		if id != cur {
			if flush() {
				return ids, nil
			}
			if page.Searched >= SearchScanLimit {
				page.Truncated = true
				return ids, nil
			}
			cur, curMatch = id, false
			page.Searched++
			curMatch = strings.Contains(SearchKey(body.String), key)
		}
		if !curMatch && tbody.String != "" {
			curMatch = strings.Contains(SearchKey(tbody.String), key)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	flush()
	return ids, nil
}

// AttentionStates are the target states the operator must look at.
var AttentionStates = []snsos.TargetState{snsos.StateFailed, snsos.StateNeedsOperator, snsos.StateUnknown}

// CountAttentionTargets returns how many targets are failed, need the
// operator or are unconfirmed: one COUNT over the state index.
func (s *Store) CountAttentionTargets(ctx context.Context) (int, error) {
	in, args := statePlaceholders(1, AttentionStates)
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets WHERE state IN (`+in+`)`, args...).Scan(&n)
	return n, mapErr(err)
}

// CountAccountTargets returns how many of the account's targets are in each
// of the given states (one query).
func (s *Store) CountAccountTargets(ctx context.Context, accountID int64, states ...snsos.TargetState) (map[snsos.TargetState]int, error) {
	out := make(map[snsos.TargetState]int, len(states))
	if len(states) == 0 {
		return out, nil
	}
	for _, st := range states {
		out[st] = 0
	}
	in, args := statePlaceholders(2, states)
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM targets WHERE account_id = $1 AND state IN (`+in+`) GROUP BY state`,
		append([]any{accountID}, args...)...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st snsos.TargetState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, mapErr(err)
		}
		out[st] = n
	}
	return out, mapErr(rows.Err())
}

// statePlaceholders returns "$first, $first+1, …" for states and the
// matching arguments.
func statePlaceholders(first int, states []snsos.TargetState) (string, []any) {
	ph := make([]string, len(states))
	args := make([]any, len(states))
	for i, st := range states {
		ph[i] = "$" + strconv.Itoa(first+i)
		args[i] = string(st)
	}
	return strings.Join(ph, ", "), args
}

// DeleteOtherSessions ends every session but the one with keepHash (after a
// password change, or "Sign out other sessions") and returns how many ended.
func (s *Store) DeleteOtherSessions(ctx context.Context, keepHash string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash <> $1`, keepHash)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
