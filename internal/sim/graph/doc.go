// Package graph holds what the Instagram and Threads simulators
// (internal/sim/instagram and internal/sim/threads) share: both are Meta
// Graph APIs with the same conventions, described in
// docs/platforms/meta-instagram-threads.md §5.
//
// The pieces are small and independent:
//
//   - Call and ParseCall: a request's parameters from the query string, a
//     form or multipart body or a JSON body, its access token (access_token
//     anywhere, or Authorization: Bearer|OAuth) and its path without the
//     optional /vNN.N version prefix.
//   - Error, WriteError and WriteOAuthError: the Graph error envelope and
//     the flat one of the code exchange.
//   - IDs, Shortcode: big numeric ids (17 digits, above 2^53) and the
//     shortcodes of permalinks.
//   - Container and Status: the media container state machine on an
//     injected clock.
//   - Rolling: per-account counts over a sliding window (the 24-hour
//     publishing quotas).
//   - Tokens: authorization codes and short- and long-lived access tokens.
//   - Consent: the authorize page with approve and deny buttons.
//   - Faults: queued misbehaviour, with the same design as
//     internal/sim/x/fault.go.
//   - Fetcher: the real HTTP GET with which the simulators fetch the media
//     URLs they are given, Sniff and RedactURL.
//   - Recorder and StatusWriter: every request, with secrets masked, and
//     the status it got.
//   - ParseFields, CheckFields, ParsePage, Paging: the fields parameter and
//     cursor paging of list edges.
//   - AvatarJPEG, Grow, Part: generated profile pictures and deterministic
//     engagement curves.
//
// Tokens, Rolling and Container do not lock; the simulators call them
// under their own mutex. IDs, Faults, Fetcher and Recorder are safe for
// concurrent use.
package graph
