// Package meta holds what the Instagram and Threads clients share: both are
// Meta Graph APIs with the same error envelope, throttling headers, token
// answers, container workflow and insights shape.
//
// The pieces:
//
//   - Graph sends calls to one Graph host (a version prefix, the token in
//     the Authorization header, parameters as a form body) and turns every
//     refusal into a classified *platform.Error through Classify.
//   - Classify maps Meta's error codes to the engine's kinds: 190 asks for
//     a reconnect; the throttling codes (4, 17, 32, 613, 80001–80014) and
//     the publish quota (9/2207042) wait until the time the usage headers
//     give; "not ready yet" (9007/2207027) waits briefly; media refusals
//     are final with Meta's reason, except those the notes call
//     retryable; unknown server errors on a call that publishes are
//     outcome-unknown.
//   - DecodeToken reads the token answers in both shapes Meta is known to
//     send (the documented {"data":[…]} wrapper and the flat object), with
//     user ids as strings or integers above 2^53 and permissions as a list
//     or a comma-separated string.
//   - DecodeInsights reads an insights answer into metric name → value.
//
// One rule the clients follow: creating a container is not a mutating call
// in the engine's sense (an unpublished container is never seen by anyone
// and expires after 24 hours), so a failure there is transient; only the
// publish call, a reply and a comment can leave something live, and only
// they are sent with platform.Request.Mutating.
package meta
