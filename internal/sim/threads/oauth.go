package threads

import "github.com/sns-os/snsos/internal/sim/graph"

// The OAuth endpoints are the core's (graph.Core): the consent page on
// threads.net, the code exchange on graph.threads.net (a form body or, as
// some clients send it, a GET query string; the answer is
// {"access_token","user_id":<JSON number>}), and GET /access_token and
// GET /refresh_access_token with the th_exchange_token and
// th_refresh_token grants. Only the permission error is Threads' own.

// scopeError is the error for a token that lacks scope: code 100, subcode
// 10, "This action requires the … permission".
func scopeError(scope string) graph.Error {
	return graph.Error{Code: 100, Subcode: 10, Type: graph.TypeThreads,
		Message: "This action requires the " + scope + " permission; authorize the app again with it."}
}
