//go:build !unix

package cli

// lockDataDir is a no-op where flock is unavailable.
func lockDataDir(dir string) (release func(), err error) { return func() {}, nil }
