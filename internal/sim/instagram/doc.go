// Package instagram is an in-process simulator of the Instagram API with
// Instagram Login, used by tests, by the `sns-os demo` command and by soak
// tests. Importers name it igsim, beside the client package.
//
// A Sim is an http.Handler that serves, on one base URL with the real paths
// kept, the three hosts sns-os talks to (www.instagram.com,
// api.instagram.com and graph.instagram.com). Graph paths take any /vNN.N/
// version prefix or none:
//
//	GET  /oauth/authorize                    consent page (approve/deny), or AutoApprove
//	POST /oauth/authorize                    the consent form: approve=1 or deny
//	POST /oauth/access_token                 code → short-lived token (urlencoded or multipart)
//	GET  /access_token                       grant_type=ig_exchange_token: short → long-lived
//	GET  /refresh_access_token               grant_type=ig_refresh_token
//	GET  /me, GET /{id}                      the account, a container (status_code, status),
//	                                         a media, a carousel child or a comment
//	POST /{ig_user_id}/media                 create a container: image, REELS, STORIES,
//	                                         carousel item, CAROUSEL
//	GET  /{ig_user_id}/media                 feed posts and reels, newest first, cursor paging
//	GET  /{ig_user_id}/stories               stories of the last 24 hours
//	POST /{ig_user_id}/media_publish         publish a FINISHED container
//	GET  /{ig_user_id}/content_publishing_limit   quota_usage and config
//	GET  /{media_id}/insights                media insights
//	POST /{media_id}/comments                comment on an own post
//	GET  /{media_id}/comments                the comments posted through the API
//	GET  /__sim/posts                        what was published (not part of Instagram)
//	GET  /__sim/avatars/{id}.jpg             an account's profile picture (not part of Instagram)
//
// Shapes and codes follow docs/platforms/meta-instagram-threads.md §1 and
// §5.1: the Graph error envelope, 17-digit ids above 2^53 (user_id is a
// JSON number in the token answer), single-use codes, the 190/463 error
// for expired or revoked tokens, containers that stay IN_PROGRESS for
// ImageProcessing or VideoProcessing on the injected clock and expire
// after 24 hours, the rolling 24-hour publishing quota, and insights that
// appear after InsightsDelay and grow deterministically.
//
// Choices where Meta's behaviour is not documented:
//
//   - The token answer's user_id is the professional UserID (the id POST
//     edges need), as the observed fixtures show.
//   - A refreshed token does not kill the old one, which works until its
//     own expiry. Refreshing a token younger than RefreshMinAge is a code
//     190 error without subcode; a short-lived token cannot be refreshed
//     (code 100).
//   - POST edges take the UserID only: "me" is refused with code 100
//     "Unsupported request - method type: post", the app-scoped ID with
//     100/33. GET edges take "me", the ID or the UserID.
//   - Republishing a PUBLISHED container is refused like an unready one
//     (9007/2207027, "Media ID is not available"); its error_user_msg
//     names the media it became. An ERROR container is refused the same
//     way.
//   - A video whose URL cannot be fetched is accepted; the container turns
//     ERROR ("… error code 2207052") once VideoProcessing has passed. A
//     video that is not MP4/MOV does the same with 2207026.
//   - Reels' permalinks are https://www.instagram.com/reel/{shortcode}/,
//     stories' https://www.instagram.com/stories/{username}/{id}/, others'
//     https://www.instagram.com/p/{shortcode}/.
//   - Story insights are empty after 24 hours; a story's viewer count is
//     its simulated reach unless Options.StoryViewers says otherwise.
//   - Scopes are enforced: publishing needs
//     instagram_business_content_publish, insights
//     instagram_business_manage_insights and comments
//     instagram_business_manage_comments (code 10 otherwise).
//
// What every Meta simulator does (the OAuth endpoints and consent page,
// request recording, fault injection, the clock, accounts and tokens) is
// graph.Core's; this package adds Instagram's paths, parameters, validation,
// error codes, ids, permalinks and insights.
//
// Every URL the simulator generates is built from Options.BaseURL, or from
// the request when it is empty, so it works when mounted under a prefix:
//
//	mux.Handle("/sim/instagram/", http.StripPrefix("/sim/instagram", igsim.New(opts)))
//
// The simulator GETs the media URLs it is given (see fetch.go) with a
// client that may reach loopback, reading a bounded number of bytes; it
// records the URL, byte count and sniffed format of each file on the
// container and the post, never the bytes. A Sim is safe for concurrent
// use.
package instagram
