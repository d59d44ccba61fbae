package soak

import (
	"slices"
	"testing"
	"time"
)

// fronts are the simulators of the four platforms, each behind its
// front, as one: what the cluster, the killer and the judge ask of them.
type fronts struct {
	x        *platform
	meta     []*metaFront // Instagram, then Threads
	tt       *ttFront
	arrivals chan arrival // calls of interest of every front as they arrive
}

func newFronts(t *testing.T, seed uint64, start time.Time) *fronts {
	arrivals := make(chan arrival, 256)
	return &fronts{
		x:        newPlatform(t, seed, start, arrivals),
		meta:     []*metaFront{newInstagram(t, seed, start, arrivals), newThreads(t, seed, start, arrivals)},
		tt:       newTikTok(t, seed, start, arrivals),
		arrivals: arrivals,
	}
}

// metaOf returns the front of a Meta platform, nil for another.
func (f *fronts) metaOf(platform string) *metaFront {
	for _, m := range f.meta {
		if m.shape.platform == platform {
			return m
		}
	}
	return nil
}

// baseURLs returns the environment that sends incarnation tag to every
// front under its own prefix.
func (f *fronts) baseURLs(tag string) map[string]string {
	env := map[string]string{"SNSOS_X_BASE_URL": f.x.URL + "/p/" + tag}
	for _, m := range f.meta {
		env[m.shape.env] = m.URL + "/p/" + tag
	}
	env["SNSOS_TIKTOK_BASE_URL"] = f.tt.URL + "/p/" + tag
	return env
}

// users returns platform's accounts: their ids by username.
func (f *fronts) users(platform string) map[string]string {
	if m := f.metaOf(platform); m != nil {
		return m.users()
	}
	if platform == "tiktok" {
		return f.tt.users()
	}
	return f.x.users()
}

// expectText tells platform's front which target a text of user belongs
// to (user is the username on X, the account's id on Meta and TikTok).
func (f *fronts) expectText(platform, user, text, target string) {
	if m := f.metaOf(platform); m != nil {
		m.expectText(user, text, target)
		return
	}
	if platform == "tiktok" {
		f.tt.expectText(user, text, target)
		return
	}
	f.x.expectText(user, text, target)
}

func (f *fronts) setInjecting(on bool) {
	f.x.setInjecting(on)
	for _, m := range f.meta {
		m.setInjecting(on)
	}
	f.tt.setInjecting(on)
}

// killed records that incarnation tag died and returns its calls that
// were cut, described.
func (f *fronts) killed(tag string) []string {
	cut := f.x.killed(tag)
	for _, m := range f.meta {
		cut = append(cut, m.killed(tag)...)
	}
	cut = append(cut, f.tt.killed(tag)...)
	slices.Sort(cut)
	return cut
}

// runningTags returns the incarnations with a call of interest in flight
// (one waiting on a hang fault, usually), oldest call first.
func (f *fronts) runningTags() []string {
	cs := f.x.running()
	for _, m := range f.meta {
		cs = append(cs, m.running()...)
	}
	cs = append(cs, f.tt.running()...)
	slices.SortFunc(cs, func(a, b *call) int { return a.start.Compare(b.start) })
	var tags []string
	for _, c := range cs {
		tags = append(tags, c.tag)
	}
	return tags
}

// publishesInFlight reports the publishing calls running on every
// platform and when the last one ended.
func (f *fronts) publishesInFlight() (int, time.Time) {
	n, last := f.x.publishesInFlight()
	for _, m := range f.meta {
		k, l := m.publishesInFlight()
		n += k
		if l.After(last) {
			last = l
		}
	}
	k, l := f.tt.publishesInFlight()
	if l.After(last) {
		last = l
	}
	return n + k, last
}

// posts returns every platform's posts.
func (f *fronts) posts() []livePost {
	out := f.x.posts()
	for _, m := range f.meta {
		out = append(out, m.posts()...)
	}
	return append(out, f.tt.posts()...)
}

// summaries returns one line of calls and faults per platform.
func (f *fronts) summaries() []string {
	out := []string{"x: " + f.x.summary()}
	for _, m := range f.meta {
		out = append(out, m.summary())
	}
	return append(out, f.tt.summary())
}
