package archive

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sns-os/snsos"
)

// summary gathers what a commit changes, to say it in its message:
// "publish: post 42 to x, threads"; "metrics: 24h for 3 posts".
type summary struct {
	first     bool
	created   []int64
	updated   []int64
	deleted   []int64
	published map[int64][]string // post → platforms newly published
	failed    map[int64][]string
	metrics   map[string]map[int64]bool // checkpoint → posts with a new snapshot
	accounts  []string
	posts     int
}

// post notes the change of post p's files.
func (s *summary) post(r *Repo, p *snsos.Post, pp string, doc []byte, mp string, metrics []byte) {
	s.posts++
	old, err := r.File(pp)
	before := targetStates(old) // a new post: no state before
	moved := false
	for _, t := range p.Targets {
		if before[t.ID] == t.State {
			continue
		}
		switch t.State {
		case snsos.StatePublished:
			s.published = addTo(s.published, p.ID, string(t.Platform))
			moved = true
		case snsos.StateFailed:
			s.failed = addTo(s.failed, p.ID, string(t.Platform))
			moved = true
		}
	}
	switch {
	case moved:
	case err != nil:
		s.created = append(s.created, p.ID)
	case !bytes.Equal(old, doc):
		s.updated = append(s.updated, p.ID)
	}
	oldRows := map[string]bool{}
	if b, err := r.File(mp); err == nil {
		for _, k := range snapshotKeys(b) {
			oldRows[k] = true
		}
	}
	for _, k := range snapshotKeys(metrics) {
		if oldRows[k] {
			continue
		}
		cp := strings.Split(k, "/")[1]
		if s.metrics == nil {
			s.metrics = map[string]map[int64]bool{}
		}
		if s.metrics[cp] == nil {
			s.metrics[cp] = map[int64]bool{}
		}
		s.metrics[cp][p.ID] = true
	}
}

// account notes the change of an account file (content nil: removed).
func (s *summary) account(r *Repo, p string, content []byte) {
	if !r.unchanged(p, content) {
		s.accounts = append(s.accounts, strings.TrimSuffix(strings.TrimPrefix(p, "accounts/"), ".json"))
	}
}

func addTo(m map[int64][]string, id int64, v string) map[int64][]string {
	if m == nil {
		m = map[int64][]string{}
	}
	if !slices.Contains(m[id], v) {
		m[id] = append(m[id], v)
	}
	return m
}

// targetStates reads the target states of a rendered post.
func targetStates(doc []byte) map[int64]snsos.TargetState {
	var d struct {
		Targets []struct {
			ID    int64             `json:"id"`
			State snsos.TargetState `json:"state"`
		} `json:"targets"`
	}
	out := map[int64]snsos.TargetState{}
	if len(doc) > 0 && json.Unmarshal(doc, &d) == nil {
		for _, t := range d.Targets {
			out[t.ID] = t.State
		}
	}
	return out
}

// snapshotKeys lists "target/checkpoint/fetched_at" of each row of a
// rendered metrics file.
func snapshotKeys(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil
	}
	out := make([]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		if len(r) >= 4 {
			out = append(out, r[0]+"/"+r[2]+"/"+r[3])
		}
	}
	return out
}

// message is the commit message: a subject naming each kind of change,
// and a body listing the posts.
func (s *summary) message() string {
	var parts []string
	if s.first {
		parts = append(parts, fmt.Sprintf("archive: first export (%d posts, %d accounts)", s.posts, len(s.accounts)))
	}
	parts = append(parts, platformPart("publish", "to", s.published)...)
	parts = append(parts, platformPart("failed", "on", s.failed)...)
	if len(s.metrics) > 0 {
		cps := sortedKeys(s.metrics)
		posts := map[int64]bool{}
		for _, m := range s.metrics {
			for id := range m {
				posts[id] = true
			}
		}
		parts = append(parts, "metrics: "+strings.Join(cps, ", ")+" for "+count(len(posts), "post"))
	}
	if !s.first {
		parts = appendIDs(parts, "new", s.created)
		parts = appendIDs(parts, "edit", s.updated)
		if len(s.accounts) > 0 {
			parts = append(parts, "accounts: "+strings.Join(s.accounts, ", "))
		}
	}
	parts = appendIDs(parts, "delete", s.deleted)
	if len(parts) == 0 {
		parts = []string{"archive: update"}
	}
	return strings.Join(parts, "; ") + "\n"
}

// platformPart says "publish: post 42 to x, threads", or for several
// posts "publish: 3 posts (x, threads)".
func platformPart(verb, prep string, m map[int64][]string) []string {
	if len(m) == 0 {
		return nil
	}
	var plats []string
	var id int64
	for k, ps := range m {
		id = k
		for _, p := range ps {
			if !slices.Contains(plats, p) {
				plats = append(plats, p)
			}
		}
	}
	slices.Sort(plats)
	if len(m) == 1 {
		return []string{fmt.Sprintf("%s: post %d %s %s", verb, id, prep, strings.Join(plats, ", "))}
	}
	return []string{fmt.Sprintf("%s: %d posts (%s)", verb, len(m), strings.Join(plats, ", "))}
}

func appendIDs(parts []string, verb string, ids []int64) []string {
	switch len(ids) {
	case 0:
		return parts
	case 1:
		return append(parts, verb+": post "+strconv.FormatInt(ids[0], 10))
	}
	return append(parts, verb+": "+count(len(ids), "post"))
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
