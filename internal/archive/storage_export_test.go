package archive

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-billy/v5"
)

// WrapStorage has the repositories opened until the test ends stored
// through wrap(the disk): a test's way to make the disk fail.
func WrapStorage(t testing.TB, wrap func(billy.Filesystem) billy.Filesystem) {
	old := storageFS
	storageFS = func(dir string) billy.Filesystem { return wrap(old(dir)) }
	t.Cleanup(func() { storageFS = old })
}

// RewritePending reports whether r's directory holds the note of a
// rewrite of the history not finished yet.
func RewritePending(r *Repo) bool {
	_, err := os.Stat(filepath.Join(r.path, rewriteFile))
	return err == nil
}
