package soak

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	xsim "github.com/sns-os/snsos/internal/sim/x"
)

// The delivery states the soak waits for: nothing more happens to a
// target in one of them without the operator.
var finalStates = map[string]bool{"published": true, "failed": true, "canceled": true, "needs_operator": true}

// expectation is what the platform should show for one target.
type expectation struct {
	parts  []string // the text of each part (one for a single post)
	user   string   // the X user id of the target's account
	handle string
}

// A problem is one finding of the comparison. target is 0 for a post on
// the platform that no target accounts for.
type problem struct {
	target int64
	kind   string // duplicate, lost, stuck or wrong
	detail string
}

// verdict is the comparison of the platform with the database.
type verdict struct {
	targets, published, failed, needsOperator, canceled int
	duplicates, lost, stuck, wrong                      int
	problems                                            []problem
}

func (v verdict) line(db string) string {
	return fmt.Sprintf("soak: db=%s targets=%d published=%d failed=%d needs_operator=%d duplicates=%d lost=%d stuck=%d wrong=%d",
		db, v.targets, v.published, v.failed, v.needsOperator, v.duplicates, v.lost, v.stuck, v.wrong)
}

func (v verdict) ok() bool { return v.duplicates == 0 && v.lost == 0 && v.stuck == 0 && v.wrong == 0 }

// judge compares the targets as the database records them with the posts
// on the platform.
//
//   - duplicates: for each part of each target, live copies beyond one;
//   - lost: a target that did not end published although its account kept
//     its grant (excused lists the users that lost theirs: revoked by the
//     soak, or a rotated refresh token that died with a killed process), or
//     a published target whose remote id is not live, or one of whose parts
//     is not live while its account kept its grant (a thread cut short by
//     the loss of the grant ends as a partial publication);
//   - stuck: a target not in a final state (one missing from the database,
//     state "", is lost);
//   - wrong: live on the platform but recorded failed or canceled; a
//     published target whose remote id is another post (another text or
//     account); a thread part that replies to something else than its
//     previous part; a live post no target accounts for.
//
// A target counts once among lost, stuck and wrong (the first that
// applies, in the order stuck, wrong, lost); duplicates are counted apart.
func judge(targets []apiTarget, expect map[int64]expectation, excused map[string]string, posts []xsim.Post) verdict {
	type key struct{ user, text string }
	live := map[key][]xsim.Post{}
	byID := map[string]xsim.Post{}
	for _, p := range posts {
		if p.Deleted {
			continue
		}
		live[key{p.AuthorID, p.Text}] = append(live[key{p.AuthorID, p.Text}], p)
		byID[p.ID] = p
	}
	var v verdict
	add := func(t int64, kind, format string, args ...any) {
		v.problems = append(v.problems, problem{target: t, kind: kind, detail: fmt.Sprintf(format, args...)})
		switch kind {
		case "lost":
			v.lost++
		case "stuck":
			v.stuck++
		case "wrong":
			v.wrong++
		}
	}
	accounted := map[key]bool{}
	targets = slices.Clone(targets)
	slices.SortFunc(targets, func(a, b apiTarget) int { return int(a.ID - b.ID) })
	for _, t := range targets {
		v.targets++
		switch t.State {
		case "published":
			v.published++
		case "failed":
			v.failed++
		case "needs_operator":
			v.needsOperator++
		case "canceled":
			v.canceled++
		}
		e, ok := expect[t.ID]
		if !ok {
			add(t.ID, "wrong", "target %d of post %d is not one the soak created", t.ID, t.PostID)
			continue
		}
		copies := make([][]xsim.Post, len(e.parts))
		anyLive, allLive := false, true
		for n, text := range e.parts {
			k := key{e.user, text}
			accounted[k] = true
			copies[n] = live[k]
			if c := len(copies[n]); c > 1 {
				v.duplicates += c - 1
				v.problems = append(v.problems, problem{target: t.ID, kind: "duplicate",
					detail: fmt.Sprintf("part %d of %d is live %d times: %s", n+1, len(e.parts), c, ids(copies[n]))})
			}
			anyLive = anyLive || len(copies[n]) > 0
			allLive = allLive && len(copies[n]) > 0
		}
		_, isExcused := excused[e.user]
		switch {
		case t.State == "":
			add(t.ID, "lost", "the target is not in the database any more")
		case !finalStates[t.State]:
			add(t.ID, "stuck", "still %s (error %q)", t.State, t.Error)
		case (t.State == "failed" || t.State == "canceled") && anyLive:
			add(t.ID, "wrong", "recorded %s but live on the platform: %s", t.State, liveParts(copies))
		case t.State == "published":
			rp, found := byID[t.RemoteID]
			switch {
			case t.RemoteID == "" || !found:
				add(t.ID, "lost", "published as %q, which is not a live post (live: %s)", t.RemoteID, liveParts(copies))
			case rp.AuthorID != e.user || rp.Text != e.parts[0]:
				add(t.ID, "wrong", "published as %s, which is another post: %q by user %s", t.RemoteID, rp.Text, rp.AuthorID)
			case !allLive && !isExcused: // a partial publication is an outcome only for an account that lost its grant
				add(t.ID, "lost", "published as %s but not every part is live: %s", t.RemoteID, liveParts(copies))
			default:
				for n := 1; n < len(copies); n++ {
					if len(copies[n]) > 0 && !repliesTo(copies[n], copies[n-1]) {
						add(t.ID, "wrong", "part %d of the thread replies to none of the copies of part %d", n+1, n)
						break
					}
				}
			}
		case t.State == "canceled", isExcused:
			// Canceled and not live; or the account lost its grant.
		default: // failed or needs_operator on an account that kept its grant
			add(t.ID, "lost", "ended %s on an account that kept its grant (error %q; live: %s)", t.State, t.Error, liveParts(copies))
		}
	}
	for _, p := range posts {
		if !p.Deleted && !accounted[key{p.AuthorID, p.Text}] {
			add(0, "wrong", "live post %s %q by user %s matches no target", p.ID, p.Text, p.AuthorID)
		}
	}
	return v
}

func ids(ps []xsim.Post) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID+"@"+p.CreatedAt.Format("15:04:05.000"))
	}
	return strings.Join(out, ",")
}

func liveParts(copies [][]xsim.Post) string {
	var out []string
	for n, c := range copies {
		out = append(out, fmt.Sprintf("part %d ×%d", n+1, len(c)))
	}
	return strings.Join(out, ", ")
}

// repliesTo reports whether some post of parts replies to some post of prev.
func repliesTo(parts, prev []xsim.Post) bool {
	for _, p := range parts {
		for _, q := range prev {
			if p.ReplyTo == q.ID {
				return true
			}
		}
	}
	return false
}

// TestJudge checks the comparison itself on a made-up outcome with one
// case of each finding, and with the cases that must not count.
func TestJudge(t *testing.T) {
	t.Parallel()
	const alice, bob, carol = "1001", "1002", "1003"
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	post := func(id, user, text, replyTo string) xsim.Post {
		return xsim.Post{ID: id, AuthorID: user, Text: text, ReplyTo: replyTo, CreatedAt: at}
	}
	expect := map[int64]expectation{
		1:  {parts: []string{"one"}, user: alice},                         // published once: fine
		2:  {parts: []string{"two"}, user: alice},                         // published, live twice: 1 duplicate
		3:  {parts: []string{"three a", "three b", "three c"}, user: bob}, // thread, part 2 twice: 1 duplicate
		4:  {parts: []string{"four"}, user: alice},                        // failed, not live: lost
		5:  {parts: []string{"five"}, user: alice},                        // publishing: stuck
		6:  {parts: []string{"six"}, user: alice},                         // failed but live: wrong
		7:  {parts: []string{"seven"}, user: alice},                       // published as post of 1: wrong
		8:  {parts: []string{"eight"}, user: alice},                       // published, remote id gone: lost
		9:  {parts: []string{"nine"}, user: carol},                        // failed on an excused account: fine
		10: {parts: []string{"ten"}, user: alice},                         // canceled, not live: fine
		11: {parts: []string{"eleven a", "eleven b"}, user: bob},          // published, part 2 missing: lost
		12: {parts: []string{"one"}, user: bob},                           // same text, other account: fine
		13: {parts: []string{"thirteen"}, user: carol},                    // needs_operator, excused, live: fine
		14: {parts: []string{"fourteen"}, user: alice},                    // needs_operator, live: lost
		15: {parts: []string{"fifteen a", "fifteen b"}, user: bob},        // part 2 replies elsewhere: wrong
		16: {parts: []string{"sixteen a", "sixteen b"}, user: carol},      // partial, excused account: fine
	}
	targets := []apiTarget{
		{ID: 1, State: "published", RemoteID: "p1"},
		{ID: 2, State: "published", RemoteID: "p2"},
		{ID: 3, State: "published", RemoteID: "p3a"},
		{ID: 4, State: "failed"},
		{ID: 5, State: "publishing"},
		{ID: 6, State: "failed"},
		{ID: 7, State: "published", RemoteID: "p1"},
		{ID: 8, State: "published", RemoteID: "p8"},
		{ID: 9, State: "failed"},
		{ID: 10, State: "canceled"},
		{ID: 11, State: "published", RemoteID: "p11a"},
		{ID: 12, State: "published", RemoteID: "p12"},
		{ID: 13, State: "needs_operator"},
		{ID: 14, State: "needs_operator"},
		{ID: 15, State: "published", RemoteID: "p15a"},
		{ID: 16, State: "published", RemoteID: "p16a"},
	}
	gone := post("p8", alice, "eight", "")
	gone.Deleted = true
	posts := []xsim.Post{
		post("p1", alice, "one", ""),
		post("p2", alice, "two", ""), post("p2x", alice, "two", ""),
		post("p3a", bob, "three a", ""), post("p3b", bob, "three b", "p3a"), post("p3b2", bob, "three b", "p3a"),
		post("p3c", bob, "three c", "p3b2"),
		post("p6", alice, "six", ""),
		gone,
		post("p11a", bob, "eleven a", ""),
		post("p12", bob, "one", ""),
		post("p13", carol, "thirteen", ""),
		post("p14", alice, "fourteen", ""),
		post("p15a", bob, "fifteen a", ""), post("p15b", bob, "fifteen b", "p1"),
		post("p16a", carol, "sixteen a", ""),
		post("px", alice, "nobody's", ""), // wrong: no target
	}
	v := judge(targets, expect, map[string]string{carol: "revoked"}, posts)
	want := verdict{targets: 16, published: 9, failed: 3, needsOperator: 2, canceled: 1,
		duplicates: 2, lost: 4, stuck: 1, wrong: 4}
	got := v
	got.problems = nil
	if got.targets != want.targets || got.published != want.published || got.failed != want.failed ||
		got.needsOperator != want.needsOperator || got.canceled != want.canceled ||
		got.duplicates != want.duplicates || got.lost != want.lost || got.stuck != want.stuck || got.wrong != want.wrong {
		t.Errorf("judge = %+v, want %+v", got, want)
	}
	byTarget := map[int64][]string{}
	for _, p := range v.problems {
		byTarget[p.target] = append(byTarget[p.target], p.kind)
	}
	wantKinds := map[int64][]string{2: {"duplicate"}, 3: {"duplicate"}, 4: {"lost"}, 5: {"stuck"}, 6: {"wrong"},
		7: {"wrong"}, 8: {"lost"}, 11: {"lost"}, 14: {"lost"}, 15: {"wrong"}, 0: {"wrong"}}
	for id, kinds := range wantKinds {
		if !slices.Equal(byTarget[id], kinds) {
			t.Errorf("target %d: problems %v, want %v", id, byTarget[id], kinds)
		}
	}
	for id, kinds := range byTarget {
		if _, ok := wantKinds[id]; !ok {
			t.Errorf("target %d: unexpected problems %v", id, kinds)
		}
	}
	if line := v.line("sqlite"); line != "soak: db=sqlite targets=16 published=9 failed=3 needs_operator=2 duplicates=2 lost=4 stuck=1 wrong=4" {
		t.Errorf("line = %q", line)
	}
}
