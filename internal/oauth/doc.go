// Package oauth connects the operator's accounts and keeps their tokens
// usable: the OAuth authorization-code flow with PKCE (StartConnect,
// CompleteConnect and the two HTTP routes that drive them from a browser),
// refresh ahead of expiry, marking accounts that the platform refused, and
// revocation.
//
// The OAuth state is kept server-side only as a SHA-256 hash, with the PKCE
// verifier, an expiry and, when a browser started the flow, the hash of a
// short-lived HttpOnly cookie it must present at the callback. A state can
// be taken once.
//
// A refresh is single-flight per account. Inside one process, goroutines
// asking for the same account share one refresh. Across processes, the
// refresher holds the account's refresh lease in the database
// (store.AcquireRefreshLease); the others poll the credential until the
// holder has stored the new pair, and use that. The holder re-reads the
// credential after taking the lease, calls the platform only if it is still
// due, and stores the new pair (which ends the lease) before anyone uses it:
// X and TikTok rotate refresh tokens, so two refreshes, or a new token used
// and then lost, would break the account.
//
// Tokens never reach a log line, an error text or a page: they are
// snsos.Secret values, and platform errors are redacted by the clients.
package oauth
