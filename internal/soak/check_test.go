package soak

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The delivery states the soak waits for: nothing more happens to a
// target in one of them without the operator.
var finalStates = map[string]bool{"published": true, "failed": true, "canceled": true, "needs_operator": true}

// expectation is what the platform should show for one target.
type expectation struct {
	platform string   // x, instagram or threads
	parts    []string // the text of each part (one for a single post)
	user     string   // the platform's id of the target's account (the author of its posts)
	handle   string
	media    []string // the sns-os media ids on the first part, in order
	// unaskable says why the platform cannot be asked whether the
	// target's post was made (on TikTok, an init whose answer sns-os never
	// read): needs_operator is then the designed outcome, as long as
	// nothing is live.
	unaskable string
	// refused says how the platform refused the target for good (an
	// injected spam_risk on TikTok): failed is then its outcome.
	refused string
}

// A livePost is one post as a platform's simulator stores it, in the few
// fields the judge compares: what every platform has in common.
type livePost struct {
	platform string
	id       string
	alias    string // another id of the same post (TikTok's public video id; its id is the publish_id)
	author   string // the platform's id of the account
	text     string // X's text, Instagram's caption, Threads' text
	replyTo  string // the post this one replies to, "" for none
	media    int    // media items attached
	// sources are the sns-os media ids of the files the platform fetched
	// (from the signed /m/{id} links), in order; nil where the platform
	// was sent the bytes (X).
	sources   []string
	createdAt time.Time
	deleted   bool
}

// A problem is one finding of the comparison. target is 0 for a post on
// the platform that no target accounts for.
type problem struct {
	target int64
	kind   string // duplicate, lost, stuck or wrong
	detail string
}

// verdict is the comparison of the platforms with the database.
type verdict struct {
	targets, published, failed, needsOperator, canceled int
	duplicates, lost, stuck, wrong                      int
	problems                                            []problem
	// byPlatform holds the same counts per platform (their problems
	// stay in problems).
	byPlatform map[string]*verdict
}

func (v verdict) line(db string) string {
	return fmt.Sprintf("soak: db=%s targets=%d published=%d failed=%d needs_operator=%d duplicates=%d lost=%d stuck=%d wrong=%d",
		db, v.targets, v.published, v.failed, v.needsOperator, v.duplicates, v.lost, v.stuck, v.wrong)
}

// breakdown is the per-platform line: the counts of line for each
// platform, in a fixed order.
func (v verdict) breakdown(db string) string {
	var parts []string
	for _, p := range []string{"x", "instagram", "threads", "tiktok"} {
		if b := v.byPlatform[p]; b != nil {
			parts = append(parts, fmt.Sprintf("%s targets=%d published=%d failed=%d needs_operator=%d canceled=%d duplicates=%d lost=%d stuck=%d wrong=%d",
				p, b.targets, b.published, b.failed, b.needsOperator, b.canceled, b.duplicates, b.lost, b.stuck, b.wrong))
		}
	}
	return fmt.Sprintf("soak by platform: db=%s %s", db, strings.Join(parts, "; "))
}

func (v verdict) ok() bool { return v.duplicates == 0 && v.lost == 0 && v.stuck == 0 && v.wrong == 0 }

// postKey identifies the copies of one text by one account on one
// platform.
type postKey struct{ platform, user, text string }

// idKey identifies a post: ids are only unique within a platform.
type idKey struct{ platform, id string }

// tally counts the findings of one target, in v and in its platform's
// verdict.
type tally struct {
	v    *verdict
	plat *verdict
}

func (t tally) add(target int64, kind, format string, args ...any) {
	t.v.problems = append(t.v.problems, problem{target: target, kind: kind, detail: fmt.Sprintf(format, args...)})
	for _, v := range []*verdict{t.v, t.plat} {
		switch kind {
		case "lost":
			v.lost++
		case "stuck":
			v.stuck++
		case "wrong":
			v.wrong++
		}
	}
}

func (t tally) state(state string) {
	for _, v := range []*verdict{t.v, t.plat} {
		v.targets++
		switch state {
		case "published":
			v.published++
		case "failed":
			v.failed++
		case "needs_operator":
			v.needsOperator++
		case "canceled":
			v.canceled++
		}
	}
}

func (t tally) duplicates(n int) {
	t.v.duplicates += n
	t.plat.duplicates += n
}

// judge compares the targets as the database records them with the posts
// on the platforms.
//
//   - duplicates: for each part of each target, live copies beyond one;
//   - lost: a target that did not end published although its account kept
//     its grant (excused lists the accounts, as "platform:id", that lost
//     theirs: revoked by the soak, or a rotated refresh token that died
//     with a killed process), unless it is needs_operator with nothing live
//     and its expectation says the platform cannot be asked (TikTok, after
//     an init whose answer was lost), or failed and its expectation says
//     the platform refused it; or a published target whose remote id is not
//     live, or one of whose parts is not live while its account kept its
//     grant (a thread or reply chain cut short by the loss of the grant
//     ends as a partial publication);
//   - stuck: a target not in a final state (one missing from the database,
//     state "", is lost);
//   - wrong: live on the platform but recorded failed or canceled; a
//     published target whose remote id is another post (another text,
//     account, number of media or media fetched), or one of whose parts the API lists
//     under an id that is not a live copy of that part; a published
//     target marked partial although every part is live; a part that
//     replies to something else than its previous part; a live post no
//     target accounts for.
//
// A target counts once among lost, stuck and wrong (the first that
// applies, in the order stuck, wrong, lost); duplicates are counted apart.
func judge(targets []apiTarget, expect map[int64]expectation, excused map[string]string, posts []livePost) verdict {
	live := map[postKey][]livePost{}
	byID := map[idKey]livePost{}
	for _, p := range posts {
		if p.deleted {
			continue
		}
		k := postKey{p.platform, p.author, p.text}
		live[k] = append(live[k], p)
		byID[idKey{p.platform, p.id}] = p
		if p.alias != "" {
			byID[idKey{p.platform, p.alias}] = p
		}
	}
	v := verdict{byPlatform: map[string]*verdict{}}
	of := func(platform string) tally {
		if v.byPlatform[platform] == nil {
			v.byPlatform[platform] = &verdict{}
		}
		return tally{v: &v, plat: v.byPlatform[platform]}
	}
	accounted := map[postKey]bool{}
	targets = slices.Clone(targets)
	slices.SortFunc(targets, func(a, b apiTarget) int { return int(a.ID - b.ID) })
	for _, t := range targets {
		e, ok := expect[t.ID]
		if !ok {
			tl := of(t.Platform)
			tl.state(t.State)
			tl.add(t.ID, "wrong", "target %d of post %d is not one the soak created", t.ID, t.PostID)
			continue
		}
		tl := of(e.platform)
		tl.state(t.State)
		copies := make([][]livePost, len(e.parts))
		for n, text := range e.parts {
			k := postKey{e.platform, e.user, text}
			accounted[k] = true
			copies[n] = live[k]
			if c := len(copies[n]); c > 1 {
				tl.duplicates(c - 1)
				v.problems = append(v.problems, problem{target: t.ID, kind: "duplicate",
					detail: fmt.Sprintf("part %d of %d is live %d times: %s", n+1, len(e.parts), c, ids(copies[n]))})
			}
		}
		_, isExcused := excused[e.platform+":"+e.user]
		judgeTarget(tl, t, e, copies, byID, isExcused)
	}
	for _, p := range posts {
		if !p.deleted && !accounted[postKey{p.platform, p.author, p.text}] {
			of(p.platform).add(0, "wrong", "live %s post %s %q by %s matches no target", p.platform, p.id, p.text, p.author)
		}
	}
	return v
}

// judgeTarget finds at most one of stuck, wrong and lost for target t,
// whose expected parts have the live copies given.
func judgeTarget(tl tally, t apiTarget, e expectation, copies [][]livePost, byID map[idKey]livePost, isExcused bool) {
	anyLive, allLive := false, true
	for _, c := range copies {
		anyLive = anyLive || len(c) > 0
		allLive = allLive && len(c) > 0
	}
	switch {
	case t.State == "":
		tl.add(t.ID, "lost", "the target is not in the database any more")
	case !finalStates[t.State]:
		tl.add(t.ID, "stuck", "still %s (error %q)", t.State, t.Error)
	case (t.State == "failed" || t.State == "canceled") && anyLive:
		tl.add(t.ID, "wrong", "recorded %s but live on %s: %s", t.State, e.platform, liveParts(copies))
	case t.State == "published":
		judgePublished(tl, t, e, copies, byID, allLive, isExcused)
	case t.State == "canceled", isExcused,
		t.State == "needs_operator" && e.unaskable != "" && !anyLive, t.State == "failed" && e.refused != "":
		// Canceled and not live; or the account lost its grant; or the
		// operator's to settle, as designed; or refused by the platform.
	default: // failed or needs_operator on an account that kept its grant
		tl.add(t.ID, "lost", "ended %s on an account that kept its grant (error %q; live: %s)", t.State, t.Error, liveParts(copies))
	}
}

// judgePublished checks a target the database records published.
func judgePublished(tl tally, t apiTarget, e expectation, copies [][]livePost, byID map[idKey]livePost, allLive, isExcused bool) {
	rp, found := byID[idKey{e.platform, t.RemoteID}]
	switch {
	case t.RemoteID == "" || !found:
		tl.add(t.ID, "lost", "published as %q, which is not a live post (live: %s)", t.RemoteID, liveParts(copies))
		return
	case rp.author != e.user || rp.text != e.parts[0]:
		tl.add(t.ID, "wrong", "published as %s, which is another post: %q by %s", t.RemoteID, rp.text, rp.author)
		return
	case rp.media != len(e.media) || rp.sources != nil && !slices.Equal(rp.sources, e.media):
		tl.add(t.ID, "wrong", "published as %s, which carries %d media %v instead of %v", t.RemoteID, rp.media, rp.sources, e.media)
		return
	}
	for _, p := range t.Parts {
		if p.State != "published" || p.RemoteID == "" || p.N < 1 || p.N > len(copies) {
			continue
		}
		if !slices.ContainsFunc(copies[p.N-1], func(c livePost) bool { return c.id == p.RemoteID || c.alias != "" && c.alias == p.RemoteID }) {
			tl.add(t.ID, "wrong", "the API lists part %d as %s, which is not a live copy of that part (live: %s)", p.N, p.RemoteID, ids(copies[p.N-1]))
			return
		}
	}
	switch {
	case !allLive && !isExcused: // a partial publication is an outcome only for an account that lost its grant
		tl.add(t.ID, "lost", "published as %s but not every part is live: %s", t.RemoteID, liveParts(copies))
	case allLive && t.Partial:
		tl.add(t.ID, "wrong", "recorded as a partial publication but every part is live: %s", liveParts(copies))
	default:
		for n := 1; n < len(copies); n++ {
			if len(copies[n]) > 0 && !repliesTo(copies[n], copies[n-1]) {
				tl.add(t.ID, "wrong", "part %d replies to none of the copies of part %d", n+1, n)
				return
			}
		}
	}
}

func ids(ps []livePost) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.id+"@"+p.createdAt.Format("15:04:05.000"))
	}
	return strings.Join(out, ",")
}

func liveParts(copies [][]livePost) string {
	var out []string
	for n, c := range copies {
		out = append(out, fmt.Sprintf("part %d ×%d", n+1, len(c)))
	}
	return strings.Join(out, ", ")
}

// repliesTo reports whether some post of parts replies to some post of prev.
func repliesTo(parts, prev []livePost) bool {
	for _, p := range parts {
		for _, q := range prev {
			if p.replyTo == q.id {
				return true
			}
		}
	}
	return false
}

// TestJudge checks the comparison itself on a made-up outcome with one
// case of each finding on each platform, and with the cases that must not
// count.
func TestJudge(t *testing.T) {
	t.Parallel()
	const alice, bob, carol = "1001", "1002", "1003" // X
	const ig, th = "17841400000000001", "27000000000000001"
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	post := func(id, user, text, replyTo string) livePost {
		return livePost{platform: "x", id: id, author: user, text: text, replyTo: replyTo, createdAt: at}
	}
	meta := func(platform, id, user, text, replyTo string, media ...string) livePost {
		return livePost{platform: platform, id: id, author: user, text: text, replyTo: replyTo, media: len(media), sources: media, createdAt: at}
	}
	x := func(user string, parts ...string) expectation {
		return expectation{platform: "x", parts: parts, user: user}
	}
	expect := map[int64]expectation{
		1:  x(alice, "one"),                                                                              // published once: fine
		2:  x(alice, "two"),                                                                              // published, live twice: 1 duplicate
		3:  x(bob, "three a", "three b", "three c"),                                                      // thread, part 2 twice: 1 duplicate
		4:  x(alice, "four"),                                                                             // failed, not live: lost
		5:  x(alice, "five"),                                                                             // publishing: stuck
		6:  x(alice, "six"),                                                                              // failed but live: wrong
		7:  x(alice, "seven"),                                                                            // published as post of 1: wrong
		8:  x(alice, "eight"),                                                                            // published, remote id gone: lost
		9:  x(carol, "nine"),                                                                             // failed on an excused account: fine
		10: x(alice, "ten"),                                                                              // canceled, not live: fine
		11: x(bob, "eleven a", "eleven b"),                                                               // published, part 2 missing: lost
		12: x(bob, "one"),                                                                                // same text, other account: fine
		13: x(carol, "thirteen"),                                                                         // needs_operator, excused, live: fine
		14: x(alice, "fourteen"),                                                                         // needs_operator, live: lost
		15: x(bob, "fifteen a", "fifteen b"),                                                             // part 2 replies elsewhere: wrong
		16: x(carol, "sixteen a", "sixteen b"),                                                           // partial, excused account: fine
		21: {platform: "instagram", parts: []string{"one"}, user: ig, media: []string{"7", "8"}},         // carousel once: fine
		22: {platform: "instagram", parts: []string{"twenty-two"}, user: ig, media: []string{"7"}},       // published with 2 media: wrong
		23: {platform: "instagram", parts: []string{"twenty-three"}, user: ig, media: []string{"7"}},     // canceled, live: wrong
		24: {platform: "instagram", parts: []string{"twenty-four"}, user: ig, media: []string{"9"}},      // live twice: 1 duplicate
		25: {platform: "instagram", parts: []string{"twenty-five"}, user: ig, media: []string{"7", "8"}}, // items swapped: wrong
		36: {platform: "threads", parts: []string{"g"}, user: th, media: []string{"9"}},                  // image: fine
		31: {platform: "threads", parts: []string{"one"}, user: th},                                      // text, same id as an X post: fine
		32: {platform: "threads", parts: []string{"c a", "c b", "c c"}, user: th},                        // chain: fine
		33: {platform: "threads", parts: []string{"d a", "d b"}, user: th},                               // part 2 listed under another id: wrong
		34: {platform: "threads", parts: []string{"e a", "e b"}, user: th},                               // partial although all live: wrong
		35: {platform: "threads", parts: []string{"f a", "f b"}, user: th},                               // failed on a healthy account: lost
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
		{ID: 21, Platform: "instagram", State: "published", RemoteID: "i21"},
		{ID: 22, Platform: "instagram", State: "published", RemoteID: "i22"},
		{ID: 23, Platform: "instagram", State: "canceled"},
		{ID: 24, Platform: "instagram", State: "published", RemoteID: "i24"},
		{ID: 25, Platform: "instagram", State: "published", RemoteID: "i25"},
		{ID: 36, Platform: "threads", State: "published", RemoteID: "t36"},
		{ID: 31, Platform: "threads", State: "published", RemoteID: "p1"},
		{ID: 32, Platform: "threads", State: "published", RemoteID: "t32a",
			Parts: []apiPart{{N: 1, RemoteID: "t32a", State: "published"}, {N: 2, RemoteID: "t32b", State: "published"}, {N: 3, RemoteID: "t32c", State: "published"}}},
		{ID: 33, Platform: "threads", State: "published", RemoteID: "t33a",
			Parts: []apiPart{{N: 1, RemoteID: "t33a", State: "published"}, {N: 2, RemoteID: "t32b", State: "published"}}},
		{ID: 34, Platform: "threads", State: "published", RemoteID: "t34a", Partial: true},
		{ID: 35, Platform: "threads", State: "failed"},
	}
	gone := post("p8", alice, "eight", "")
	gone.deleted = true
	posts := []livePost{
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
		meta("instagram", "i21", ig, "one", "", "7", "8"),
		meta("instagram", "i22", ig, "twenty-two", "", "7", "8"),
		meta("instagram", "i23", ig, "twenty-three", "", "7"),
		meta("instagram", "i24", ig, "twenty-four", "", "9"), meta("instagram", "i24x", ig, "twenty-four", "", "9"),
		meta("instagram", "i25", ig, "twenty-five", "", "8", "7"),
		meta("threads", "p1", th, "one", ""),
		meta("threads", "t32a", th, "c a", ""), meta("threads", "t32b", th, "c b", "t32a"), meta("threads", "t32c", th, "c c", "t32b"),
		meta("threads", "t33a", th, "d a", ""), meta("threads", "t33b", th, "d b", "t33a"),
		meta("threads", "t34a", th, "e a", ""), meta("threads", "t34b", th, "e b", "t34a"),
		meta("threads", "t36", th, "g", "", "9"),
	}
	v := judge(targets, expect, map[string]string{"x:" + carol: "revoked", "threads:" + carol: "not this one"}, posts)
	checkCounts(t, "total", &v, verdict{targets: 27, published: 18, failed: 4, needsOperator: 2, canceled: 2,
		duplicates: 3, lost: 5, stuck: 1, wrong: 9})
	checkCounts(t, "x", v.byPlatform["x"], verdict{targets: 16, published: 9, failed: 3, needsOperator: 2, canceled: 1,
		duplicates: 2, lost: 4, stuck: 1, wrong: 4})
	checkCounts(t, "instagram", v.byPlatform["instagram"], verdict{targets: 5, published: 4, canceled: 1, duplicates: 1, wrong: 3})
	checkCounts(t, "threads", v.byPlatform["threads"], verdict{targets: 6, published: 5, failed: 1, lost: 1, wrong: 2})
	byTarget := map[int64][]string{}
	for _, p := range v.problems {
		byTarget[p.target] = append(byTarget[p.target], p.kind)
	}
	wantKinds := map[int64][]string{2: {"duplicate"}, 3: {"duplicate"}, 4: {"lost"}, 5: {"stuck"}, 6: {"wrong"},
		7: {"wrong"}, 8: {"lost"}, 11: {"lost"}, 14: {"lost"}, 15: {"wrong"}, 0: {"wrong"},
		22: {"wrong"}, 23: {"wrong"}, 24: {"duplicate"}, 25: {"wrong"}, 33: {"wrong"}, 34: {"wrong"}, 35: {"lost"}}
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
	if line := v.line("sqlite"); line != "soak: db=sqlite targets=27 published=18 failed=4 needs_operator=2 duplicates=3 lost=5 stuck=1 wrong=9" {
		t.Errorf("line = %q", line)
	}
	if line := v.breakdown("sqlite"); !strings.HasPrefix(line, "soak by platform: db=sqlite x targets=16 ") ||
		!strings.Contains(line, "; instagram targets=5 published=4 failed=0 needs_operator=0 canceled=1 duplicates=1 lost=0 stuck=0 wrong=3; threads targets=6 ") {
		t.Errorf("breakdown = %q", line)
	}
}

// checkCounts compares the counts of got with want (problems aside).
func checkCounts(t *testing.T, name string, got *verdict, want verdict) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no verdict", name)
		return
	}
	g := *got
	g.problems, g.byPlatform = nil, nil
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("%s: judge = %+v, want %+v", name, g, want)
	}
}
