package soak

import (
	"bufio"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// poll reads every post about once a second until stopPoll, keeping the
// latest view (for the actor and the drain) and the states each target
// was seen in (for the diagnostics).
func (s *soak) poll() {
	defer close(s.pollDone)
	for {
		select {
		case <-s.stopPoll:
			return
		case <-time.After(700 * time.Millisecond):
		}
		at := time.Now()
		posts, err := s.c.listPosts(at.Add(5 * time.Second))
		if err != nil {
			continue // a process is down; the next poll will do
		}
		view := make(map[int64]apiPost, len(posts))
		s.mu.Lock()
		for _, p := range posts {
			view[p.ID] = p
			for _, t := range p.Targets {
				h := s.history[t.ID]
				if len(h) == 0 || h[len(h)-1].state != t.State || h[len(h)-1].attempts != t.AttemptCount {
					s.history[t.ID] = append(h, seen{at: at, state: t.State, attempts: t.AttemptCount})
				}
			}
		}
		s.view, s.viewAt = view, at
		s.mu.Unlock()
	}
}

// settled reports whether a poll that started after after found every
// target the soak created in a final state.
func (s *soak) settled(after time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.viewAt.Before(after) {
		return false
	}
	states := map[int64]string{}
	for _, p := range s.view {
		for _, t := range p.Targets {
			states[t.ID] = t.State
		}
	}
	for id := range s.byID {
		if !finalStates[states[id]] {
			return false
		}
	}
	return true
}

// pendingStates counts the targets not in a final state by state, with a
// few of their ids.
func (s *soak) pendingStates() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string][]int64{}
	for _, p := range s.view {
		for _, t := range p.Targets {
			if !finalStates[t.State] {
				ids[t.State] = append(ids[t.State], t.ID)
			}
		}
	}
	var out []string
	for _, st := range slices.Sorted(maps.Keys(ids)) {
		l := ids[st]
		slices.Sort(l)
		if len(l) > 8 {
			l = l[:8]
		}
		out = append(out, fmt.Sprintf("%s×%d %v", st, len(ids[st]), l))
	}
	return strings.Join(out, ", ")
}

// killer SIGKILLs a process v.kills times between the first scheduled
// times and end, and restarts it on the same data. A third of the kills
// hit a process while one of its calls of interest is in flight (a post or
// timeline read on X; a container's creation or status read, a publish or
// a search on Instagram and Threads; often a call held by a hang fault,
// before or after the platform stored the post), a third just after such
// a call arrived (sns-os is then recording its outcome), the others a
// random process at a random moment.
func (s *soak) killer(rng *rand.Rand, created, end time.Time) {
	from := created.Add(s.v.lead / 2)
	step := end.Sub(from) / time.Duration(s.v.kills)
	for i := range s.v.kills {
		at := from.Add(step*time.Duration(i) + time.Duration(0.2*float64(step)+rng.Float64()*0.6*float64(step)))
		time.Sleep(time.Until(at))
		slot, why := s.victim(rng)
		if tag := s.c.tagOf(slot); tag != "" {
			waited := time.Now()
			for s.plat.x.rotating(tag) && time.Since(waited) < 2*time.Second {
				time.Sleep(2 * time.Millisecond)
			}
			if d := time.Since(waited); d > 5*time.Millisecond {
				why += fmt.Sprintf(" (after %s waiting for a token refresh to be stored)", d.Round(time.Millisecond))
			}
		}
		k, err := s.c.kill(slot, why)
		if err != nil {
			s.fail("kill %d: %v", i+1, err)
			return
		}
		s.t.Logf("%s kill %d: SIGKILL %s %s", s.since(k.at), i+1, k.tag, why)
		time.Sleep(time.Duration(rng.Int64N(int64(time.Second))))
		if _, err := s.c.start(slot); err != nil {
			s.fail("restart after kill %d (%s): %v", i+1, k.tag, err)
			return
		}
	}
}

// victim picks the slot to kill and says why.
func (s *soak) victim(rng *rand.Rand) (int, string) {
	slots := len(s.c.envs)
	mode := rng.IntN(3)
	if mode == 0 {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			for _, tag := range s.plat.runningTags() {
				if slot := s.c.slotOf(tag); slot >= 0 {
					return slot, "while a call of its was in flight"
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		mode = 1
	}
	if mode == 1 {
		for drained := false; !drained; {
			select {
			case <-s.plat.arrivals:
			default:
				drained = true
			}
		}
		timeout := time.After(3 * time.Second)
		for {
			select {
			case a := <-s.plat.arrivals:
				if a.route == routeToken {
					continue
				}
				if slot := s.c.slotOf(a.tag); slot >= 0 {
					time.Sleep(time.Duration(rng.Int64N(int64(5 * time.Millisecond))))
					return slot, "just after its " + a.route + " arrived"
				}
			case <-timeout:
				slot := rng.IntN(slots)
				return slot, "(no post or read arrived within 3s)"
			}
		}
	}
	return rng.IntN(slots), "at a random moment"
}

// actor reschedules and cancels posts at random moments while they are
// being published and, when the variant says so, revokes an X account
// halfway and an Instagram, Threads or TikTok account at three quarters.
func (s *soak) actor(rng *rand.Rand, created, end time.Time) {
	type event struct {
		at   time.Time
		kind string
	}
	kinds := []string{"now", "now", "now", "earlier", "earlier", "same", "same", "later", "race", "race"}
	var events []event
	span := end.Add(-5 * time.Second).Sub(created.Add(s.v.lead / 2))
	for i := range s.v.actions + s.v.cancels {
		kind := "cancel"
		if i < s.v.actions {
			kind = kinds[rng.IntN(len(kinds))]
		}
		events = append(events, event{created.Add(s.v.lead/2 + time.Duration(rng.Int64N(int64(span)))), kind})
	}
	if s.v.revoke {
		events = append(events, event{created.Add(s.v.lead + s.v.window/2), "revoke"},
			event{created.Add(s.v.lead + 3*s.v.window/4), "revoke-meta"})
	}
	sort.Slice(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	latest := created.Add(s.v.lead + s.v.window)
	for _, e := range events {
		time.Sleep(time.Until(e.at))
		switch e.kind {
		case "revoke":
			s.revoke(s.accounts[rng.IntN(s.v.accounts)]) // an X account
		case "revoke-meta":
			s.revoke(s.accounts[s.v.accounts+rng.IntN(len(s.accounts)-s.v.accounts)]) // an Instagram, Threads or TikTok account
		default:
			s.act(rng, e.kind, latest)
		}
	}
}

// revoke withdraws a's grant on its platform, as its owner would in the
// platform's settings: its waiting targets may fail from then on.
func (s *soak) revoke(a soakAccount) {
	switch m := s.plat.metaOf(a.platform); {
	case m != nil:
		m.sim.RevokeUser(a.user)
	case a.platform == "tiktok":
		s.plat.tt.sim.RevokeUser(a.user)
	default:
		s.plat.x.RevokeUser(a.user)
	}
	s.mu.Lock()
	s.revoked[a.platform+":"+a.user] = fmt.Sprintf("%s @%s revoked by the soak at %s", a.platform, a.handle, s.since(time.Now()))
	s.mu.Unlock()
	s.t.Logf("%s revoked %s @%s", s.since(time.Now()), a.platform, a.handle)
}

// act sends one reschedule or cancellation of kind to a post that fits.
func (s *soak) act(rng *rand.Rand, kind string, latest time.Time) {
	now := time.Now()
	s.mu.Lock()
	var all, mixed, due []apiPost
	for _, p := range s.view {
		sched, busy := 0, 0
		for _, t := range p.Targets {
			switch t.State {
			case "scheduled":
				sched++
			case "publishing", "unknown", "retry_wait":
				busy++
			}
		}
		switch {
		case sched == len(p.Targets) && p.ScheduledAt.After(now.Add(2*time.Second)):
			all = append(all, p)
		case sched > 0 && busy > 0:
			mixed = append(mixed, p)
		}
		if sched > 0 && p.ScheduledAt.After(now.Add(-3*time.Second)) && p.ScheduledAt.Before(now.Add(time.Second)) {
			due = append(due, p)
		}
	}
	s.mu.Unlock()
	byID := func(ps []apiPost) []apiPost {
		slices.SortFunc(ps, func(a, b apiPost) int { return int(a.ID - b.ID) })
		return ps
	}
	pick := func(ps []apiPost) (apiPost, bool) {
		if len(ps) == 0 {
			return apiPost{}, false
		}
		ps = byID(ps)
		return ps[rng.IntN(len(ps))], true
	}
	var p apiPost
	ok := false
	switch kind {
	case "race":
		// A post whose other target is being published (a slow call may be
		// running), or one that is due right now: moved to now.
		if p, ok = pick(mixed); !ok {
			p, ok = pick(due)
		}
	default:
		p, ok = pick(all)
	}
	a := &act{at: now, kind: kind}
	s.mu.Lock()
	s.acts = append(s.acts, a)
	s.mu.Unlock()
	if !ok {
		a.err = "no post fits"
		return
	}
	a.post = p.ID
	var target func() time.Time
	switch kind {
	case "now", "race":
		target = time.Now
	case "earlier":
		d := p.ScheduledAt.Sub(now) - 500*time.Millisecond
		to := now.Add(200*time.Millisecond + time.Duration(rng.Int64N(int64(d))))
		target = func() time.Time { return to }
	case "same":
		to := p.ScheduledAt
		target = func() time.Time { return to }
	case "later":
		to := p.ScheduledAt.Add(2*time.Second + time.Duration(rng.Int64N(int64(13*time.Second))))
		if to.After(latest) {
			to = latest
		}
		target = func() time.Time { return to }
	}
	path := fmt.Sprintf("/api/v1/posts/%d/schedule", p.ID)
	var body func() any
	if kind == "cancel" {
		path = fmt.Sprintf("/api/v1/posts/%d/cancel", p.ID)
	} else {
		body = func() any {
			to := target()
			if to.Before(time.Now().Add(-2 * time.Second)) { // a retry after a kill: the time has passed
				to = time.Now()
			}
			s.mu.Lock()
			a.to = to
			s.mu.Unlock()
			return map[string]string{"scheduled_at": to.Format(time.RFC3339Nano)}
		}
	}
	// A request cut by a kill is sent again, as a client would: both are
	// idempotent.
	status, raw, err := s.c.call(time.Now().Add(60*time.Second), "POST", path, body, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	a.status = status
	if err != nil {
		a.err = err.Error()
	}
	if status >= 300 {
		a.body = strings.TrimSpace(string(raw))
		if len(a.body) > 300 {
			a.body = a.body[:300] + "…"
		}
	}
}

// verify compares the platform with the database, prints the soak line,
// and explains every finding.
func (s *soak) verify() {
	t := s.t
	final, err := s.c.listPosts(time.Now().Add(60 * time.Second))
	if err != nil {
		t.Fatalf("final read of the posts: %v", err)
	}
	var targets []apiTarget
	found := map[int64]bool{}
	for _, p := range final {
		for _, tg := range p.Targets {
			targets = append(targets, tg)
			found[tg.ID] = true
		}
	}
	kills := s.c.killList()
	expect := map[int64]expectation{}
	for id, tg := range s.byID {
		a := s.accounts[tg.account]
		e := expectation{platform: tg.platform, parts: tg.parts, user: a.user, handle: a.handle}
		for _, m := range s.mediaOf(tg) {
			e.media = append(e.media, strconv.FormatInt(m, 10))
		}
		if tg.platform == "tiktok" {
			e.unaskable, e.refused = s.ttUnaskable(tg, targets, kills), s.plat.tt.refusedBySpam(tg.key)
		}
		expect[id] = e
		if !found[id] {
			targets = append(targets, apiTarget{ID: id, PostID: tg.post.id, Platform: tg.platform})
		}
	}
	lostTo, replays := s.plat.x.lostGrants(kills)
	excused := map[string]string{}
	s.mu.Lock()
	for id, why := range s.revoked {
		excused[id] = why
	}
	s.mu.Unlock()
	for _, a := range s.accounts {
		if why, ok := lostTo[a.handle]; ok && a.platform == "x" {
			excused["x:"+a.user] = "@" + a.handle + ": " + why
		}
	}
	v := judge(targets, expect, excused, s.plat.posts())
	fmt.Println(v.line(s.db))
	t.Log(v.breakdown(s.db))

	t.Logf("%s done: %d kills, %d targets (%d canceled)", s.since(time.Now()), len(kills), v.targets, v.canceled)
	for _, k := range kills {
		t.Logf("  kill %s %s %s", s.since(k.at), k.tag, k.why)
	}
	for _, line := range s.plat.summaries() {
		t.Logf("  %s", line)
	}
	t.Logf("  %s", s.ttSummary(targets, expect, kills))
	t.Logf("  actions: %s", s.actSummary())
	s.mu.Lock()
	for _, a := range s.acts {
		if a.status >= 300 || (a.err != "" && a.err != "no post fits") {
			t.Logf("  action %s %s of post %d to %s → %d %s %s", s.since(a.at), a.kind, a.post, s.since(a.to), a.status, a.err, a.body)
		}
	}
	s.mu.Unlock()
	for _, why := range excused {
		t.Logf("  account without grant (its targets may fail): %s", why)
	}
	for _, r := range replays {
		t.Errorf("refresh token replayed (an engine fault; the account broke): %s", r)
	}
	if accts, err := s.c.accounts(time.Now().Add(10 * time.Second)); err == nil {
		for _, a := range accts {
			if a.Status != "connected" {
				t.Logf("  %s account @%s is %s: %s", a.Platform, a.Handle, a.Status, a.StatusReason)
			}
		}
	}
	if !v.ok() {
		s.explain(v)
		t.Errorf("%s: duplicates=%d lost=%d stuck=%d wrong=%d, want 0 (seed in the first log line)", v.line(s.db), v.duplicates, v.lost, v.stuck, v.wrong)
	}
}

func (s *soak) actSummary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, a := range s.acts {
		res := fmt.Sprint(a.status)
		if a.err != "" && a.status == 0 {
			res = "error"
			if a.err == "no post fits" {
				res = "skipped"
			}
		}
		counts[a.kind+"→"+res]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s×%d", k, counts[k]))
	}
	return strings.Join(out, " ")
}

// explain logs, for each target with a finding (at most 25 in full), what
// the database, the platform, the calls, the kills and the server logs say
// about it.
func (s *soak) explain(v verdict) {
	t := s.t
	byTarget := map[int64][]problem{}
	var order []int64
	for _, p := range v.problems {
		if p.target == 0 {
			t.Logf("platform: %s: %s", p.kind, p.detail)
			continue
		}
		if _, ok := byTarget[p.target]; !ok {
			order = append(order, p.target)
		}
		byTarget[p.target] = append(byTarget[p.target], p)
	}
	kills := s.c.killList()
	jobs, err := s.riverJobs(order)
	if err != nil {
		t.Logf("River's jobs could not be read: %v", err)
	}
	for n, id := range order {
		if n == 25 {
			t.Logf("… and %d more targets: %v", len(order)-n, order[n:])
			break
		}
		var b strings.Builder
		tg := s.byID[id]
		var d apiTarget
		_, _, err := s.c.call(time.Now().Add(10*time.Second), "GET", fmt.Sprintf("/api/v1/targets/%d", id), nil, &d)
		if err != nil {
			fmt.Fprintf(&b, "target %d: %v\n", id, err)
		}
		platform, handle, shape := d.Platform, "?", "?"
		if tg != nil {
			platform, handle, shape = tg.platform, s.accounts[tg.account].handle, tg.shape()
		}
		fmt.Fprintf(&b, "target %d (post %d, %s @%s, %s): state=%s attempts=%d error=%q remote_id=%q partial=%v parts=%v progress=%v\n",
			id, d.PostID, platform, handle, shape, d.State, d.AttemptCount, d.Error, d.RemoteID, d.Partial, d.Parts, d.Progress)
		for _, p := range byTarget[id] {
			fmt.Fprintf(&b, "  %s: %s\n", p.kind, p.detail)
		}
		s.mu.Lock()
		var states []string
		for _, h := range s.history[id] {
			states = append(states, fmt.Sprintf("%s(%d)@%s", h.state, h.attempts, s.since(h.at)))
		}
		var acts []string
		for _, a := range s.acts {
			if tg != nil && a.post == tg.post.id {
				acts = append(acts, fmt.Sprintf("%s %s to %s → %d %s%s", s.since(a.at), a.kind, s.since(a.to), a.status, a.err, a.body))
			}
		}
		s.mu.Unlock()
		fmt.Fprintf(&b, "  states seen (attempts): %s\n", strings.Join(states, " → "))
		for _, a := range d.Attempts {
			fmt.Fprintf(&b, "  attempt %d %s–%s: %s %s %s\n", a.Number, s.since(a.StartedAt), s.since(a.FinishedAt), a.Outcome, a.Detail, a.Error)
		}
		for _, a := range acts {
			fmt.Fprintf(&b, "  operator: %s\n", a)
		}
		if tg != nil {
			var first, last time.Time
			for _, c := range s.callsOf(tg) {
				fmt.Fprintf(&b, "  call %s %s %s\n", s.since(c.start), c.tag, s.describe(tg, c))
				if first.IsZero() {
					first = c.start
				}
				last = c.end
			}
			for _, k := range kills {
				if !first.IsZero() && k.at.After(first.Add(-3*time.Second)) && k.at.Before(last.Add(10*time.Second)) {
					fmt.Fprintf(&b, "  kill %s %s %s\n", s.since(k.at), k.tag, k.why)
				}
			}
		}
		for _, line := range jobs[id] {
			fmt.Fprintf(&b, "  river %s\n", line)
		}
		for _, line := range s.logLines(id, 30) {
			fmt.Fprintf(&b, "  log %s\n", line)
		}
		t.Log(strings.TrimRight(b.String(), "\n"))
	}
}

// logLines returns up to max lines of the servers' logs that name target
// id, each prefixed with the incarnation that wrote it.
func (s *soak) logLines(id int64, max int) []string {
	re := regexp.MustCompile(fmt.Sprintf(`target(_id)?=%d\b`, id))
	var out []string
	s.c.mu.Lock()
	procs := slices.Clone(s.c.all)
	s.c.mu.Unlock()
	for _, p := range procs {
		f, err := os.Open(p.logPath)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if re.MatchString(sc.Text()) {
				out = append(out, p.tag+": "+sc.Text())
			}
		}
		f.Close()
	}
	if len(out) > max {
		out = append(out[:max/2], append([]string{fmt.Sprintf("… %d lines …", len(out)-max)}, out[len(out)-max/2:]...)...)
	}
	return out
}

// callsOf returns the recorded calls of target tg: on X the posts that
// carried one of its texts, on Instagram and Threads every call the front
// attributed to it.
func (s *soak) callsOf(tg *planTarget) []*call {
	if m := s.plat.metaOf(tg.platform); m != nil {
		return m.callsOf(tg.key)
	}
	if tg.platform == "tiktok" {
		return s.plat.tt.callsOf(tg.key)
	}
	return s.plat.x.callsFor(s.accounts[tg.account].handle, tg.parts)
}

// describe says what call c of target tg was and what came of it.
func (s *soak) describe(tg *planTarget, c *call) string {
	fault := ""
	if c.fault != "" {
		fault = " [fault " + c.fault + "]"
	}
	if c.platform == "" {
		return fmt.Sprintf("part %d%s → %s", slices.Index(tg.parts, c.text)+1, fault, c.outcome)
	}
	what := c.route
	if c.text != "" {
		what += fmt.Sprintf(" part %d", slices.Index(tg.parts, c.text)+1)
	}
	switch {
	case c.platform == "tiktok" && c.container != "":
		what += " publish " + c.container
	case c.container != "":
		what += " container " + c.container
	}
	if c.detail != "" {
		what += " " + c.detail
	}
	return what + fault + " → " + c.outcome
}
