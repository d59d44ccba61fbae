// Package snsos holds the vocabulary of sns-os: the domain types every other
// package speaks in (platforms, accounts, credentials, posts and their
// per-account targets, media, metric snapshots, compliance records and the
// audit trail) and the small set of error codes that cross package
// boundaries.
//
// The package imports only the standard library. Behaviour lives in the
// internal packages; this one only names things and states the rules that are
// true of the names themselves, such as which delivery states may follow
// which.
package snsos
