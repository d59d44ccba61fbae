// Package graph holds what the Instagram and Threads simulators
// (internal/sim/instagram and internal/sim/threads) share: both are Meta
// Graph APIs with the same conventions, described in
// docs/platforms/meta-instagram-threads.md §5.
//
// Core is the shared simulator: each Sim holds one, configured by a Config
// that names the platform's few differences (token prefix, id ranges,
// scopes, grant types, the code exchange's answer, the permission error,
// error types, the fault defaults), and adds its own routes and state on
// top. Core serves the OAuth endpoints and the consent page, the avatars
// and the error for unknown paths; it records requests, applies injected
// faults, keeps the clock, the base URL, the accounts (Account), the
// tokens and the containers' ids, and authenticates callers (Auth,
// AuthEdge, Need). Its lock also guards the simulator's own state.
//
// The other pieces are small and independent:
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
//     URLs they are given, its image checks (ImageRule), Sniff, RedactURL
//     and File, the record of one fetched file.
//   - Recorder and StatusWriter: every request, with secrets masked, and
//     the status it got.
//   - ParseFields, CheckFields, Pick, ParsePage, Paging, ListSpec and
//     WritePage: the fields parameter, node objects and cursor paging of
//     list edges; NodeRequest and InsightsAnswer: GET /{id} and insights.
//   - AvatarJPEG, Grow, Part: generated profile pictures and deterministic
//     engagement curves.
//
// Tokens, Rolling and Container do not lock; the simulators call them
// under the Core's lock. Core, IDs, Faults, Fetcher and Recorder are safe
// for concurrent use. The simulators' tests share the helpers of
// package graphtest.
package graph
