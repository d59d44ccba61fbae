package instagram

import (
	"testing"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
	"github.com/sns-os/snsos/internal/sim/simclock"
)

const (
	testClientID     = "ig-app"
	testClientSecret = "ig-secret-do-not-leak"
	testRedirect     = "https://app.example/oauth/instagram/callback"
)

// testAPI names the paths of env's shortcuts.
var testAPI = graphtest.API[User]{
	Owner:   func(u User) string { return u.UserID },
	Version: "/v25.0", CreateEdge: "media", PublishEdge: "media_publish",
	StatusFields: "status_code,status", StatusField: "status_code",
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

// post creates an image container, waits for it and publishes it.
func (e *env) post(u User, token, caption string) string {
	e.T.Helper()
	c := e.Create(u, token, map[string]any{"image_url": e.MediaURL("photo.jpg"), "caption": caption})
	e.Clock.Advance(DefaultImageProcessing)
	return e.Expect(e.Publish(u, token, c), 200).Str("id")
}
