// Package e2e holds end-to-end tests that run the real sns-os binary as
// separate processes against simulators in the test process: crash safety
// under SIGKILL at chosen points, and several workers on one PostgreSQL
// database. It has no code of its own.
package e2e
