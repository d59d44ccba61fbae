// Package tiktok is an in-process simulator of TikTok's Login Kit v2,
// Content Posting API and Display API, used by tests, by the `sns-os demo`
// command and by soak tests. Importers name it ttsim, beside the client
// package.
//
// A Sim is an http.Handler that serves, on one base URL with the real paths
// kept, every TikTok host sns-os talks to (www.tiktok.com,
// open.tiktokapis.com and the upload host of upload_url):
//
//	GET  /v2/auth/authorize/                     consent page (approve/deny, scope toggles), or AutoApprove
//	POST /v2/auth/authorize/                     the consent form: approve=1, grant=<scope>…, username
//	POST /v2/oauth/token/                        authorization_code (hex PKCE) and refresh_token (rotating)
//	POST /v2/oauth/revoke/                       revoke a token and its grant → {}
//	GET  /v2/user/info/?fields=                  the user, field by field with per-field scopes
//	POST /v2/post/publish/creator_info/query/    privacy_level_options and interaction settings
//	POST /v2/post/publish/video/init/            Direct Post video: FILE_UPLOAD or PULL_FROM_URL
//	POST /v2/post/publish/inbox/video/init/      Upload (inbox draft) video
//	POST /v2/post/publish/content/init/          photo post, DIRECT_POST or MEDIA_UPLOAD
//	PUT  /upload/video/?upload_id=&upload_token= one chunk of a FILE_UPLOAD (the upload_url)
//	POST /v2/post/publish/status/fetch/          publish status
//	POST /v2/post/publish/cancel/                cancel a pull still downloading
//	POST /v2/video/query/?fields=                the caller's public videos by id, with metrics
//	POST /v2/video/list/?fields=                 the caller's public videos, newest first
//	GET  /__sim/posts                            every publish and its state (not part of TikTok)
//	POST /__sim/inbox/finish                     publish_id=&privacy=: post an inbox upload as its user would in the app (not part of TikTok)
//	GET  /__sim/avatars/{open_id}.jpg            an account's picture (not part of TikTok)
//	GET  /__sim/covers/{video_id}.jpg            a video's cover (not part of TikTok)
//
// Shapes and codes follow docs/platforms/tiktok-x.md §1 and §4.1: the flat
// token answer and the OAuth error {"error","error_description","log_id"};
// the {"data","error":{"code","message","log_id"}} envelope on every API
// answer, HTTP 200 included (creator_info answers its spam errors with
// 200); access_token_invalid (401) for a missing, unknown, expired or
// revoked token and scope_not_authorized (401) for a missing scope; the
// per-token limits per sliding minute (creator_info 20, the three inits 6,
// status/fetch 30, user info and the video endpoints 600) answered with 429
// rate_limit_exceeded; the chunk rules of the Media Transfer Guide;
// publicaly_available_post_id as JSON numbers above 2^53; metrics that grow
// deterministically with the injected clock. A publish moves on that clock:
// PROCESSING_UPLOAD (until the last chunk, then ProcessingDuration) or
// PROCESSING_DOWNLOAD (ProcessingDuration from a pull's init), then
// PUBLISH_COMPLETE, SEND_TO_USER_INBOX (an inbox upload, until FinishInbox)
// or FAILED with a fail_reason. Nothing refuses a second identical post, so
// a double post shows as two posts.
//
// Choices where the notes are UNVERIFIED or silent:
//
//   - Lifetimes: expires_in 86400 and refresh_expires_in 31536000 (the older
//     page); the November 2026 pages say 2 h and 180 days. Options can set
//     either. Every refresh answers a fresh refresh_expires_in.
//   - Refresh tokens rotate: a used one is refused with invalid_grant. The
//     reuse does not kill the newest pair (TikTok only says the previous
//     token "stops working"); Options.RevokeOnRefreshReuse makes it kill
//     the grant. Access tokens issued earlier keep working until they
//     expire.
//   - OAuth errors are HTTP 400 (invalid_client included); a reused or
//     unknown code is invalid_grant and revokes nothing.
//   - PKCE is required (a Desktop app). The challenge must equal the
//     lower-case hex SHA-256 of the verifier (what TikTok's sample code
//     sends); a base64url challenge fails at the exchange with
//     invalid_grant. state is required. Authorization codes contain '*'
//     and '!' and live AuthCodeTTL (5 minutes, from community reports).
//   - A bad client_key or redirect_uri shows an error page; other
//     authorize errors redirect with error and error_description.
//   - Revoking an unknown token answers {} (as RFC 7009).
//   - Unaudited mode does not model the account's own privacy: any
//     account may post SELF_ONLY. A private account (Creator.Private) gets
//     FOLLOWER_OF_CREATOR instead of PUBLIC_TO_EVERYONE.
//   - brand_content_toggle and brand_organic_toggle are required on Direct
//     Post (400 invalid_params without them); branded content with
//     SELF_ONLY is 400 invalid_params. An inbox init ignores post_info.
//   - The daily cap counts direct inits (not completed posts) per account
//     per rolling 24 h; the pending-share cap counts inbox inits likewise.
//     creator_info reports a reached cap with HTTP 200.
//   - Chunk sizes are in MiB (5 MB = 5242880 bytes). The 206 answer's
//     Content-Range is "bytes 0-{received-1}/{total}". Repeating the last
//     accepted chunk with the same bytes is answered again (206, or 201
//     after the last) without counting twice; any other range that is not
//     the next chunk of the plan is 416. The upload host's error bodies are
//     undocumented: the sim sends the envelope with invalid_file_upload
//     (400, 416), upload_url_expired (403) and upload_task_not_found (404);
//     clients should branch on the status. 206 and 201 have empty bodies.
//   - An upload that never completes stays PROCESSING_UPLOAD. An uploaded
//     or pulled file that is not MP4, MOV (or, uploaded, WebM) ends FAILED
//     file_format_check_failed; a failed pull video_pull_failed or
//     photo_pull_failed; a photo over 20 MiB picture_size_check_failed.
//   - Media are pulled when the init is served (http and loopback allowed,
//     unlike TikTok); VerifiedURLPrefixes, when set, gives 403
//     url_ownership_unverified. photo_cover_index is optional (default 0).
//   - Only PUBLIC_TO_EVERYONE posts get a video id, ModerationDelay (default
//     0) after PUBLISH_COMPLETE; only they are found by video/query and
//     video/list. FinishInbox posts PUBLIC_TO_EVERYONE or SELF_ONLY.
//   - Cancel answers 400 publish_not_cancellable for anything but a pull
//     still downloading.
//   - Unknown paths, and paths missing their trailing slash (never
//     redirected), answer 404 with error code not_found.
//   - Metrics (view_count int64; like, comment and share counts int32) grow
//     from PUBLISH_COMPLETE on a saturating curve per video id; SetMetrics
//     pins them.
//
// Every URL the simulator generates is built from Options.BaseURL, or from
// the request when it is empty, so it works when mounted under a prefix:
//
//	mux.Handle("/sim/tiktok/", http.StripPrefix("/sim/tiktok", ttsim.New(opts)))
//
// The simulator never keeps uploaded or pulled bytes: it records sizes, a
// SHA-256 of each upload and the sniffed format. Secrets never reach the
// log, and Requests masks them. A Sim is safe for concurrent use.
package tiktok
