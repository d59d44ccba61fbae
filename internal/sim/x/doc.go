// Package x is an in-process simulator of the X (Twitter) API v2 used by
// tests, by the `sns-os demo` command and by benchmarks. Importers name it
// xsim, beside the X client internal/platform/x, as the examples below do.
//
// A Sim is an http.Handler that serves, on one base URL with the real paths
// kept, every X host sns-os talks to (see SNSOS_X_BASE_URL in the design
// guide):
//
//	GET  /i/oauth2/authorize                 consent page (x.com)
//	POST /i/oauth2/authorize                 consent form: approve=1 or deny
//	POST /2/oauth2/token                     authorization_code (PKCE) and refresh_token grants
//	POST /2/oauth2/revoke                    token revocation
//	GET  /2/users/me                         the authenticated user, user.fields
//	GET  /2/users/{id}/tweets                recent posts of a user (reconciliation)
//	POST /2/tweets                           create a post
//	GET  /2/tweets?ids=                      lookup with public/non-public/organic metrics
//	GET  /2/tweets/{id}                      single lookup
//	DELETE /2/tweets/{id}                    delete an own post
//	POST /2/media/upload                     one-shot image upload
//	POST /2/media/upload/initialize          chunked upload: start
//	POST /2/media/upload/{id}/append         chunked upload: one segment
//	POST /2/media/upload/{id}/finalize       chunked upload: finish
//	POST /2/media/metadata                   alt text of an image or GIF
//	GET  /2/media/upload?command=STATUS      processing status
//	GET  /__sim/posts                        what was published (not part of X)
//	GET  /__sim/avatars/{id}.png             a user's generated profile picture (not part of X)
//
// Shapes, status codes and headers follow docs/platforms/tiktok-x.md §2 and
// §4.2: problem+json errors, x-rate-limit-* headers on every authenticated API
// response, refresh-token rotation, 30-second single-use authorization codes,
// duplicate-content rejection and metrics that grow deterministically with
// the injected clock. Faults (5xx, 429, usage caps, 402, HTML pages,
// truncated bodies, hangs before or after the post is stored, 401s and media
// processing failures) are queued with InjectFault.
//
// Every URL the simulator generates is either relative to the request or
// built from Options.BaseURL, so it works when mounted under a prefix:
//
//	mux.Handle("/sim/x/", http.StripPrefix("/sim/x", xsim.New(opts)))
//
// A Sim is safe for concurrent use. It never keeps uploaded bytes: it records
// sizes and a SHA-256 per upload, and caps request bodies.
package x
