// Package soak holds the crash soak of sns-os: a test that proves "every
// approved post is published exactly once" under crashes and platform
// faults by running the real binary. It has no code of its own.
//
// The X simulator runs inside the test process (so it outlives every
// sns-os process), behind a front that injects faults at random (5xx
// before and after the post is stored, truncated answers, hangs before
// and after the post is stored, bursts of 429 on posting, on the timeline
// reads reconciliation makes and on the token refreshes) and records every
// call. One sns-os process on SQLite, or two on one PostgreSQL database,
// publish a few hundred targets (threads, several accounts per post)
// while the test reschedules and cancels posts, revokes an account and
// SIGKILLs a process at random moments, restarting it on the same data.
// At the end the faults stop, the server drains, and the platform is
// compared with the database as the JSON API shows it (see judge for what
// counts as a duplicate, a lost, a stuck and a wrong target); the test
// prints
//
//	soak: db=sqlite targets=N published=N failed=N needs_operator=N duplicates=0 lost=0 stuck=0 wrong=0
//
// and fails unless the last four numbers are 0.
//
// The harness keeps its own findings honest. Each process reaches the
// simulator under its own path prefix, so every call is known by the
// incarnation that made it. A target gets at most two injected faults on
// its posts (calls cut by a kill count too), well inside sns-os's attempt
// budget. Faults on the token endpoint leave the refresh token unspent,
// and the killer waits (up to 2 s) while the victim may hold a rotated
// refresh token it has not stored: X rotates refresh tokens, so an answer
// lost there breaks the account whatever the client does. When a kill
// lands there anyway, the front sees the old token presented again and
// the account counts as one that lost its grant, like the account the
// soak revokes: its waiting targets may fail. On failure the test logs,
// per target, the states it was seen in, its attempts, every call that
// carried its text with the fault and outcome, the kills around them, its
// River jobs and the servers' log lines.
//
// A short variant (about fifty targets, three kills) runs with go test
// ./... on SQLite, and on PostgreSQL when SNSOS_TEST_POSTGRES_URL is set.
// SNSOS_SOAK=full runs the full variant (over 300 targets, at least ten
// kills) on both databases; make soak does that with a throwaway
// PostgreSQL. SNSOS_SOAK_SEED repeats a run's random plan (the seed is
// logged), SNSOS_SOAK_BINARY uses an sns-os binary instead of building
// one, and SNSOS_SOAK_KEEP=1 keeps the servers' logs and data directories
// even when the run passes (a failing run always keeps them).
package soak
