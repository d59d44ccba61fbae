// Package threads is an in-process simulator of the Threads API, used by
// tests, by the `sns-os demo` command and by soak tests. Importers name it
// threadssim, beside the client package.
//
// A Sim is an http.Handler that serves, on one base URL with the real paths
// kept, the hosts sns-os talks to (threads.net / threads.com for the
// authorize window, graph.threads.net / graph.threads.com for the rest).
// Graph paths take any /vNN.N/ version prefix or none:
//
//	GET  /oauth/authorize                    consent page (approve/deny), or AutoApprove
//	POST /oauth/authorize                    the consent form: approve=1 or deny
//	POST /oauth/access_token                 code → short-lived token (GET with a query too)
//	GET  /access_token                       grant_type=th_exchange_token: short → long-lived
//	GET  /refresh_access_token               grant_type=th_refresh_token
//	GET  /me, GET /{id}                      the account, a container (status, error_message),
//	                                         a thread, a reply or a carousel child
//	POST /{user_id|me}/threads               create a container: TEXT, IMAGE, VIDEO, CAROUSEL,
//	                                         carousel items, replies (reply_to_id)
//	POST /{user_id|me}/threads_publish       publish a FINISHED container
//	GET  /{user_id|me}/threads_publishing_limit   posts and replies quotas
//	GET  /{user_id|me}/threads               the account's top-level posts, newest first
//	GET  /{user_id|me}/replies               the account's replies, newest first
//	GET  /{media_id}/replies                 the direct replies to a post
//	GET  /{media_id}/conversation            every reply below a post, flattened
//	GET  /{media_id}/insights                views, likes, replies, reposts, quotes, shares
//	GET  /__sim/posts                        what was published (not part of Threads)
//	GET  /__sim/avatars/{id}.jpg             an account's profile picture (not part of Threads)
//
// Shapes and codes follow docs/platforms/meta-instagram-threads.md §2 and
// §5.2: the Graph error envelope (type THApiException), 17-digit ids above
// 2^53 (user_id is a JSON number in the token answer), single-use codes,
// the 190/463 error for expired or revoked tokens, containers whose status
// is IN_PROGRESS for ImageProcessing (TEXT, IMAGE, CAROUSEL) or
// VideoProcessing on the injected clock and EXPIRED after 24 hours, text
// limited to 500 characters with emoji counted as their UTF-8 bytes
// (TextLength), at most 5 unique links (THREADS_API__LINK_LIMIT_EXCEEDED),
// rolling 24-hour quotas of 250 posts and 1000 replies (a reply counts
// against replies only), and insights that appear after InsightsDelay and
// grow deterministically.
//
// Choices where Meta's behaviour is not documented:
//
//   - Every refusal of the container at publish time (unknown, still
//     IN_PROGRESS, ERROR, EXPIRED, already PUBLISHED) is code 24 "The
//     requested resource does not exist", as observed for a too-early
//     publish; error_user_msg tells the cases apart. A full quota is
//     code 4.
//   - GET /{user_id}/threads lists top-level posts only; replies are
//     listed by GET /{user_id}/replies.
//   - A refreshed token does not kill the old one, which works until its
//     own expiry. Refreshing a token younger than RefreshMinAge is a code
//     190 error without subcode; a short-lived token cannot be refreshed
//     (code 100).
//   - Images must be JPEG or PNG: an unreachable image is 9004/2207052
//     at creation, as on Instagram. A video whose URL cannot be fetched is
//     accepted; its container turns ERROR with error_message
//     FAILED_DOWNLOADING_VIDEO once VideoProcessing has passed
//     (FAILED_PROCESSING_VIDEO when it is not MP4/MOV).
//   - Links are URLs starting with http://, https:// or www.; bare domains
//     are not counted.
//   - Scopes are enforced: publishing needs threads_content_publish,
//     insights threads_manage_insights and every reply endpoint (the
//     account's own replies, a post's replies, a conversation)
//     threads_read_replies, as Meta documents (code 100, subcode 10
//     otherwise).
//   - auto_publish_text=true on a TEXT container publishes at once and
//     answers the media id.
//
// What every Meta simulator does (the OAuth endpoints and consent page,
// request recording, fault injection, the clock, accounts and tokens) is
// graph.Core's; this package adds Threads' paths, parameters, validation,
// error codes, ids, permalinks and insights.
//
// Every URL the simulator generates is built from Options.BaseURL, or from
// the request when it is empty, so it works when mounted under a prefix:
//
//	mux.Handle("/sim/threads/", http.StripPrefix("/sim/threads", threadssim.New(opts)))
//
// The simulator GETs the media URLs it is given (see fetch.go) with a
// client that may reach loopback, reading a bounded number of bytes; it
// records the URL, byte count and sniffed format of each file on the
// container and the post, never the bytes. A Sim is safe for concurrent
// use.
package threads
