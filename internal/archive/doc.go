// Package archive mirrors sns-os's metadata into a git repository that
// people can read without sns-os: accounts (never their tokens), posts with
// their targets and attempt summaries, and metric snapshots, one file per
// record in stable formatting, so each commit's diff is what changed.
//
// The repository is bare and written through go-git's object plumbing: a
// commit rewrites only the trees on the paths it changes, never a
// worktree, so a hundred thousand files cost no more than a hundred. It is
// pushed to an optional remote (file://, https:// with a token, ssh:// with
// a key), in process: no git binary is needed.
//
// A Guard scans every blob a commit would add for secrets (the values the
// secret store holds and known token shapes); a hit aborts the commit.
// Purged records leave the tree and the history: every commit reachable
// from the branch is rewritten without their paths, then force-pushed.
//
// The Writer is the loop around it: it polls the store for what changed,
// commits at most once per interval and on shutdown, and keeps a Status
// for the Settings page, /readyz and the attention list.
package archive
