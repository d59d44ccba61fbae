package threads

import (
	"testing"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
	"github.com/sns-os/snsos/internal/sim/simclock"
)

const (
	testClientID     = "th-app"
	testClientSecret = "th-secret-do-not-leak"
	testRedirect     = "https://app.example/oauth/threads/callback"
)

// testAPI names the paths of env's shortcuts.
var testAPI = graphtest.API[User]{
	Owner:   func(u User) string { return u.ID },
	Version: "/v1.0", CreateEdge: "threads", PublishEdge: "threads_publish",
	StatusFields: "status,error_message", StatusField: "status",
}

// env is one simulator behind a real loopback server, with a second
// server holding media files (see graphtest.Env).
type env struct {
	*graphtest.Env[User]
	sim *Sim
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	clk := simclock.New(graphtest.Start)
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	sim := New(opts)
	return &env{Env: graphtest.NewEnv(t, clk, sim, testAPI), sim: sim}
}

// post creates a TEXT container (a reply when replyTo is set), waits for
// it and publishes it.
func (e *env) post(u User, token, text, replyTo string) string {
	e.T.Helper()
	params := map[string]any{"media_type": "TEXT", "text": text}
	if replyTo != "" {
		params["reply_to_id"] = replyTo
	}
	c := e.Create(u, token, params)
	e.Clock.Advance(DefaultImageProcessing)
	return e.Expect(e.Publish(u, token, c), 200).Str("id")
}
