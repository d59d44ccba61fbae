package instagram

import (
	"encoding/json"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// The OAuth endpoints are the core's (graph.Core): the consent page, the
// code exchange on api.instagram.com (urlencoded or multipart), and GET
// /access_token and GET /refresh_access_token with the ig_exchange_token
// and ig_refresh_token grants. Only the answer of the code exchange and
// the permission error are Instagram's own.

// tokenAnswer renders the code exchange's answer: the flat shape observed
// in practice, {"access_token","user_id":<JSON number>,"permissions":[…]},
// or with Options.WrappedTokenAnswer the documented
// {"data":[{"access_token","user_id":"…","permissions":"a,b"}]}.
func (s *Sim) tokenAnswer(t *graph.Token) any {
	if s.opts.WrappedTokenAnswer {
		return map[string]any{"data": []map[string]any{{
			"access_token": t.Value, "user_id": t.UserID, "permissions": strings.Join(t.Scopes, ","),
		}}}
	}
	return map[string]any{"access_token": t.Value, "user_id": json.Number(t.UserID), "permissions": t.Scopes}
}

// scopeError is the error for a token that lacks scope: code 10.
func scopeError(scope string) graph.Error {
	return graph.Error{Code: 10, Message: "(#10) Application does not have permission for this action",
		UserMsg: "The access token lacks the " + scope + " permission; authorize the app again with it."}
}
