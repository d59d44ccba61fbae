// Package soak holds the crash soak of sns-os: a test that proves "every
// approved post is published exactly once" under crashes and platform
// faults by running the real binary against X, Instagram, Threads and
// TikTok. It has no code of its own.
//
// The four simulators run inside the test process (so they outlive every
// sns-os process), each behind a front that injects faults at random and
// records every call of interest. On X: 5xx before and after the post is
// stored, truncated answers, hangs before and after the post is stored,
// bursts of 429 on posting, on the timeline reads reconciliation makes
// and on the token refreshes. On Instagram and Threads: 5xx and HTML pages
// and hangs (before or after the container exists) on container creation;
// 5xx, container_not_found and media_error (with a reason Meta calls
// retryable, and never once a publish was sent) on container status
// reads; 5xx and HTML before the publish is stored, status_after_commit,
// truncated and hang_after_commit (the "published but the answer was
// lost" case), hangs and rate_limit on media_publish and threads_publish;
// and 5xx, truncated answers, hangs and rate_limit on the searches
// reconciliation makes. On TikTok: 5xx, HTML, hangs (before or after the
// publish exists), status_after_commit, truncated answers, rate_limit,
// spam_risk and processing_failed (TikTok's retryable "internal", so
// sns-os uploads the video again) on the Direct Post and inbox inits; 5xx,
// HTML, hangs before and after the chunk is taken, status_after_commit,
// an expired upload_url, rate_limit and processing_failed on the chunk
// PUTs; 5xx, HTML, hangs, truncated answers, rate_limit and
// processing_failed on the status reads. TikTok's per-token rate limits
// per minute stay as TikTok has them. One sns-os process on SQLite, or two on one
// PostgreSQL database (sharing their media through an in-memory S3
// bucket, since each has its own data dir and Meta fetches a post's media
// from the process that created the container), publish a few hundred
// targets — X posts and threads; Instagram images and two-item carousels;
// Threads text, image posts and reply chains of two or three parts;
// TikTok Direct Posts of videos sent whole or in two or three chunks of
// 10 MiB (each chunk in its own job, since the soak's jobs last 4 s, so
// kills fall between and inside the chunks), to every audience TikTok
// offers an audited app, and uploads to the inbox of an account set to
// publish_mode "inbox" (through PATCH /api/v1/accounts/{id});
// several accounts per post — while the test reschedules and cancels
// posts, revokes an account and SIGKILLs a process at random moments
// (often while one of its calls is in flight), restarting it on the same
// data. sns-os reaches the simulators through its
// SNSOS_{X,INSTAGRAM,THREADS,TIKTOK}_BASE_URL settings, which also let it hand
// Instagram and Threads plain-http media links on its loopback listener.
// At the end the faults stop, the server drains, and every platform is
// compared with the database as the JSON API shows it (see judge for what
// counts as a duplicate, a lost, a stuck and a wrong target); the test
// prints
//
//	soak: db=sqlite targets=N published=N failed=N needs_operator=N duplicates=0 lost=0 stuck=0 wrong=0
//
// with totals over the platforms, logs the same counts per platform
// ("soak by platform: …"), and fails unless the last four numbers are 0.
//
// The harness keeps its own findings honest. Each process reaches the
// simulators under its own path prefix, so every call is known by the
// incarnation that made it. A target gets at most two injected faults on
// its calls (its posts on X; its containers' creation and status reads
// and its publish calls on Instagram and Threads, attributed through the
// text of the container that carries it; its inits, chunks and status
// reads on TikTok, attributed through the caption of the init, or the
// size of an inbox upload's own video, and then the publish_id and
// upload_id the init handed out; calls cut by a kill count too), well
// inside sns-os's attempt budget. TikTok's upload host is named apart
// from its API host, as on TikTok, so sns-os sends every chunk under its
// own incarnation's prefix. TikTok offers no search: a target whose init
// answer sns-os never read (lost to a fault, or to a kill before the
// publish_id was stored) ends needs_operator by design, and the judge
// accepts that only when the target's progress shows the unanswered init,
// the front saw its answer lost or its caller killed, and nothing of it
// is live. A TikTok target is live when the simulator has its publish
// complete (or waiting in the inbox) with the caption and account, and
// the bytes TikTok got are the target's video. Faults on the X token endpoint
// leave the refresh token unspent, and the killer waits (up to 2 s) while
// the victim may hold a rotated refresh token it has not stored: X
// rotates refresh tokens, so an answer lost there breaks the account
// whatever the client does. When a kill lands there anyway, the front
// sees the old token presented again and the account counts as one that
// lost its grant, like the accounts the soak revokes: its waiting targets
// may fail. On failure the test logs, per target, the states it was seen
// in, its attempts, every call that carried its text (or, on Meta,
// belonged to it) with the fault and outcome, the kills around them, its
// River jobs and the servers' log lines.
//
// A short variant (about fifty X targets, fifteen on Instagram and
// Threads and sixteen on TikTok, three kills) runs with go test ./... on
// SQLite, and on PostgreSQL when SNSOS_TEST_POSTGRES_URL is set.
// SNSOS_SOAK=full runs the full variant (over 300 X targets, about 100 on
// Instagram and Threads and 60 on TikTok, twelve kills, an X account and
// an Instagram, Threads or TikTok account revoked) on both databases;
// make soak does that with a throwaway PostgreSQL.
// SNSOS_SOAK_SEED repeats a run's random plan (the seed is logged),
// SNSOS_SOAK_BINARY uses an sns-os binary instead of building one, and
// SNSOS_SOAK_KEEP=1 keeps the servers' logs and data directories even
// when the run passes (a failing run always keeps them).
package soak
