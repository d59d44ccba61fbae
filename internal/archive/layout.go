package archive

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// The layout, for people (README.md says the same in the archive):
//
//	accounts/{platform}/{handle}.json   profile metadata, never a token
//	posts/{yyyy}/{mm}/{post id}.json     a post by its creation month (which never moves)
//	metrics/{yyyy}/{mm}/{post id}.csv    one row per metric snapshot of the post's targets
//
// JSON is indented with two spaces, fields in a fixed order and maps by
// key, times in UTC RFC 3339: the same record always renders the same
// bytes, so a commit's diff is what changed.

// PostPath is where post id created at created lives.
func PostPath(id int64, created time.Time) string {
	return monthPath("posts", created, strconv.FormatInt(id, 10)+".json")
}

// MetricsPath is where the metric snapshots of post id live.
func MetricsPath(id int64, created time.Time) string {
	return monthPath("metrics", created, strconv.FormatInt(id, 10)+".csv")
}

func monthPath(dir string, t time.Time, name string) string {
	t = t.UTC()
	return path.Join(dir, fmt.Sprintf("%04d", t.Year()), fmt.Sprintf("%02d", int(t.Month())), name)
}

// AccountPath is where account a lives: its handle made safe for a file
// name (an account without a usable handle goes by its id).
func AccountPath(a *snsos.Account) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, strings.TrimPrefix(a.Handle, "@"))
	if strings.Trim(name, "._") == "" {
		name = "account-" + strconv.FormatInt(a.ID, 10)
	}
	return path.Join("accounts", string(a.Platform), name+".json")
}

// postIDOf returns the post id of a posts/ or metrics/ path.
func postIDOf(p string) (int64, bool) {
	if !strings.HasPrefix(p, "posts/") && !strings.HasPrefix(p, "metrics/") {
		return 0, false
	}
	base := path.Base(p)
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".csv")
	id, err := strconv.ParseInt(base, 10, 64)
	return id, err == nil
}

type accountDoc struct {
	ID           int64             `json:"id"`
	Platform     snsos.Platform    `json:"platform"`
	Handle       string            `json:"handle"`
	RemoteID     string            `json:"remote_id"`
	DisplayName  string            `json:"display_name"`
	AvatarURL    string            `json:"avatar_url,omitempty"`
	Status       string            `json:"status"`
	StatusReason string            `json:"status_reason,omitempty"`
	Options      map[string]string `json:"options,omitempty"`
	CreatedAt    string            `json:"created_at"`
}

// RenderAccount renders an account's profile metadata. The account type
// holds no token; its credentials are a separate record never read here.
func RenderAccount(a *snsos.Account) []byte {
	return marshal(accountDoc{ID: a.ID, Platform: a.Platform, Handle: a.Handle, RemoteID: a.RemoteID, DisplayName: a.DisplayName,
		AvatarURL: a.AvatarURL, Status: string(a.Status), StatusReason: a.StatusReason, Options: a.Options, CreatedAt: stamp(a.CreatedAt)})
}

type postDoc struct {
	ID          int64       `json:"id"`
	Status      string      `json:"status"`
	CreatedAt   string      `json:"created_at"`
	ApprovedAt  string      `json:"approved_at,omitempty"`
	ScheduledAt string      `json:"scheduled_at,omitempty"`
	Body        string      `json:"body"`
	Media       []mediaDoc  `json:"media"`
	Targets     []targetDoc `json:"targets"`
}

// mediaDoc is one medium of a post: its record (what the file is; never
// where it is stored or a link to it) and the post's alt text for it. The
// record was added later: older files hold only id and alt, and a record
// missing from the database renders so too.
type mediaDoc struct {
	ID         int64   `json:"id"`
	SHA256     string  `json:"sha256,omitempty"`
	Mime       string  `json:"mime,omitempty"`
	Size       int64   `json:"size,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	DurationMS int64   `json:"duration_ms,omitempty"`
	FrameRate  float64 `json:"frame_rate,omitempty"`
	Codec      string  `json:"codec,omitempty"`
	Filename   string  `json:"filename,omitempty"`
	CreatedAt  string  `json:"created_at,omitempty"`
	Alt        string  `json:"alt,omitempty"`
}

type targetDoc struct {
	ID        int64          `json:"id"`
	AccountID int64          `json:"account_id"`
	Platform  snsos.Platform `json:"platform"`
	State     string         `json:"state"`
	Body      string         `json:"body,omitempty"`
	Options   map[string]any `json:"options,omitempty"`
	MediaIDs  []int64        `json:"media_ids,omitempty"`
	// NoMedia says the target publishes without the post's media (its own
	// list is empty, which media_ids cannot show); added later, so older
	// files lack it, which reads as false: the same as before.
	NoMedia     bool         `json:"no_media,omitempty"`
	ScheduledAt string       `json:"scheduled_at,omitempty"`
	RemoteID    string       `json:"remote_id,omitempty"`
	RemoteURL   string       `json:"remote_url,omitempty"`
	PublishedAt string       `json:"published_at,omitempty"`
	Error       string       `json:"error,omitempty"`
	Attempts    []attemptDoc `json:"attempts"`
}

type attemptDoc struct {
	Number     int    `json:"number"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Error      string `json:"error,omitempty"`
}

// RenderPost renders a post with its media (records by id), its targets
// and their attempts (by target id). A target's intermediate progress
// (upload URLs, container ids) is working state, not record, and stays
// out; so does a medium's storage key, which restore derives again from
// the hash.
func RenderPost(p *snsos.Post, attempts map[int64][]*snsos.Attempt, media map[int64]*snsos.MediaRef) []byte {
	d := postDoc{ID: p.ID, Status: string(p.Status), CreatedAt: stamp(p.CreatedAt), ApprovedAt: stamp(p.ApprovedAt),
		ScheduledAt: stamp(p.ScheduledAt), Body: p.Body, Media: []mediaDoc{}, Targets: []targetDoc{}}
	for _, id := range p.MediaIDs {
		md := mediaDoc{ID: id, Alt: p.MediaAlt[id]}
		if m := media[id]; m != nil {
			md.SHA256, md.Mime, md.Size, md.Width, md.Height = m.SHA256, m.Mime, m.Size, m.Width, m.Height
			md.DurationMS, md.FrameRate, md.Codec, md.Filename, md.CreatedAt = m.DurationMS, m.FrameRate, m.Codec, m.Filename, stamp(m.CreatedAt)
		}
		d.Media = append(d.Media, md)
	}
	ts := slices.Clone(p.Targets)
	slices.SortFunc(ts, func(a, b *snsos.Target) int { return int(a.ID - b.ID) })
	for _, t := range ts {
		td := targetDoc{ID: t.ID, AccountID: t.AccountID, Platform: t.Platform, State: string(t.State), Body: t.Body,
			Options: t.Options, MediaIDs: t.MediaIDs, NoMedia: t.MediaIDs != nil && len(t.MediaIDs) == 0, ScheduledAt: stamp(t.ScheduledAt), RemoteID: t.RemoteID,
			RemoteURL: t.RemoteURL, PublishedAt: stamp(t.PublishedAt), Error: t.Error, Attempts: []attemptDoc{}}
		for _, a := range attempts[t.ID] {
			td.Attempts = append(td.Attempts, attemptDoc{Number: a.Number, StartedAt: stamp(a.StartedAt),
				FinishedAt: stamp(a.FinishedAt), Outcome: string(a.Outcome), Detail: a.Detail, Error: a.Error})
		}
		d.Targets = append(d.Targets, td)
	}
	return marshal(d)
}

// RenderMetrics renders the metric snapshots of a post's targets as CSV:
// one row per snapshot, ordered by target and time, with a column per
// metric any of them reports (empty where a snapshot lacks it). It returns
// nil when the post has no snapshot.
func RenderMetrics(p *snsos.Post) []byte {
	type row struct {
		t *snsos.Target
		m *snsos.MetricSnapshot
	}
	var rows []row
	names := map[string]bool{}
	for _, t := range p.Targets {
		for _, m := range t.Metrics {
			rows = append(rows, row{t, m})
			for k := range m.Values {
				names[k] = true
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	slices.SortFunc(rows, func(a, b row) int {
		if a.t.ID != b.t.ID {
			return int(a.t.ID - b.t.ID)
		}
		if c := a.m.FetchedAt.Compare(b.m.FetchedAt); c != 0 {
			return c
		}
		return int(a.m.ID - b.m.ID)
	})
	cols := sortedKeys(names)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append([]string{"target_id", "platform", "checkpoint", "fetched_at", "status", "reason"}, cols...))
	for _, r := range rows {
		rec := []string{strconv.FormatInt(r.t.ID, 10), string(r.t.Platform), string(r.m.Checkpoint), stamp(r.m.FetchedAt),
			string(r.m.Status), r.m.Reason}
		for _, c := range cols {
			v, ok := r.m.Values[c]
			if ok {
				rec = append(rec, strconv.FormatInt(v, 10))
			} else {
				rec = append(rec, "")
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// marshal renders v as indented JSON ending in a newline. Values here are
// plain data: encoding cannot fail.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("archive: encode: %v", err))
	}
	return buf.Bytes()
}

// readme is the archive's README.md.
const readme = marker + `

This repository is written by sns-os: it mirrors the metadata of the posts it publishes, the profiles of the
accounts it publishes to, and the metrics it collects. It never holds a token, a password or a key: every
commit is scanned for them first, and refused if one is found. The database remains the working store; this
is the durable, readable record, and ` + "`sns-os restore --from-archive`" + ` rebuilds a database from it.

## Layout

    accounts/{platform}/{handle}.json   an account's profile: ids, handle, name, status (no tokens)
    posts/{yyyy}/{mm}/{post id}.json     a post, filed by the month it was created (which never changes):
                                         body, media (each file's hash, type, size and name, no file or link),
                                         schedule, approval, and each target (one account) with its state,
                                         the platform's id and link, its error and its attempts
    metrics/{yyyy}/{mm}/{post id}.csv    the post's metric snapshots, one row per snapshot, one column per metric

Files are JSON indented by two spaces with fields in a fixed order, times in UTC (RFC 3339), and CSV with a
header row, so that each commit's diff shows exactly what changed. Commit messages say what happened
("publish: post 42 to x, threads"; "metrics: 24h for 3 posts").

## Deletion

When data is deleted in sns-os (a data deletion request, or the operator deleting a post), its files are
removed from every commit of this branch and the branch is force-pushed. A hosted remote may keep the
unreachable objects until its own garbage collection runs; ask the host to run it (GitHub: contact support
to purge cached views and unreachable objects) when the deletion must be complete there too.
`
