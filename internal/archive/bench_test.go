package archive_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
)

// BenchmarkCommitOneChangeIn10kPosts measures a commit that changes one
// post of an archive holding 10,000 (and their metrics): the work of a
// typical minute. Only the trees on the changed paths are written again.
func BenchmarkCommitOneChangeIn10kPosts(b *testing.B) {
	r, err := archive.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	files := map[string][]byte{"README.md": []byte("# sns-os archive\n")}
	for i := range 10000 {
		created := start.Add(time.Duration(i) * 53 * time.Minute) // about a year
		p := &snsos.Post{ID: int64(i + 1), Body: fmt.Sprintf("post number %d with some words in it", i), CreatedAt: created,
			Targets: []*snsos.Target{{ID: int64(i + 1), Platform: snsos.PlatformX, State: snsos.StatePublished, RemoteID: fmt.Sprint(1e9 + i)}}}
		files[archive.PostPath(p.ID, created)] = archive.RenderPost(p, nil, nil)
	}
	t0 := time.Now()
	if _, err := r.Commit(files, "first\n", start, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("first commit of 10,000 posts: %s", time.Since(t0).Round(time.Millisecond))
	path := archive.PostPath(5000, start.Add(4999*53*time.Minute))
	g := archive.NewGuard([]string{"a-secret-value-1234", "another-secret-5678"})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		change := map[string][]byte{path: fmt.Appendf(nil, `{"id": 5000, "edit": %d}`+"\n", i)}
		if _, err := r.Commit(change, "edit\n", start, g.Check); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen10kPosts measures opening that archive: reading the listing
// of its tree.
func BenchmarkOpen10kPosts(b *testing.B) {
	dir := b.TempDir()
	r, _ := archive.Open(dir)
	files := map[string][]byte{"README.md": []byte("# sns-os archive\n")}
	for i := range 10000 {
		files[fmt.Sprintf("posts/2025/%02d/%d.json", i%12+1, i)] = fmt.Appendf(nil, "{\"id\": %d}\n", i)
	}
	if _, err := r.Commit(files, "first\n", time.Unix(0, 0), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := archive.Open(dir); err != nil {
			b.Fatal(err)
		}
	}
}
