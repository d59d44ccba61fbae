// Package compliance answers the platforms' privacy callbacks and carries
// out data deletion: Meta's deauthorize and data-deletion callbacks for
// Instagram and Threads (POST /webhooks/{instagram|threads}/{deauthorize|
// data-deletion}), the operator's confirmation of a deletion request made
// through the contact form, and the purge that follows a deletion request.
//
// A callback carries a signed_request: base64url(signature) "."
// base64url(payload), the signature being HMAC-SHA256 of the encoded
// payload (the text, not the JSON) with the platform's app secret. Verify
// checks it, in constant time and against every configured secret, before
// it reads anything else; then the algorithm must be HMAC-SHA256 and
// issued_at within the configured window. A request that fails is answered
// 400 with a short reason and changes nothing. A verified one is recorded
// by the hash of its signature in the same transaction as its effect, so a
// replay is answered as the original was and changes nothing either, and
// the same signed_request sent to the other callback (it is valid there
// byte for byte) is refused as already used: one request, one callback.
//
// The callback's user id is matched against every id stored for the
// platform's accounts (Instagram keeps the professional user id and the
// app-scoped one). A deauthorize revokes the matching accounts at once: their
// tokens are deleted in the same transaction, and the delivery engine fails
// their targets waiting to be published. A data-deletion request does the
// same, records a deletion request with a public confirmation code, and
// queues its purge within the configured window (default 30 days): a River
// job that deletes the accounts' targets that existed when the request was
// confirmed, with their attempts and metric snapshots, the posts left with
// no target, the media no other post uses, and the accounts still revoked
// (one connected again within the window keeps its row and what was made
// for it since); it records a purge event for the git archive and the
// request's completion, which the public status page /deletion/{code}
// shows.
package compliance
