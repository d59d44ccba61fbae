// Package graphtest holds the test helpers of the Instagram and Threads
// simulators (internal/sim/instagram and internal/sim/threads): a
// simulator behind a real loopback server with a media server beside it,
// requests and their decoded answers, the consent flow as a browser runs
// it, and checks of faulty answers. Each simulator's tests embed an Env in
// their own env, which adds the simulator and its paths.
package graphtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
	"github.com/sns-os/snsos/internal/sim/simclock"
)

// Start is the simulated time at which every Env's clock starts.
var Start = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// MP4Head is the start of an MP4 file: enough for the sniffer.
var MP4Head = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 2000)...)

// A Sim is what an Env serves: a simulator whose accounts are Us.
type Sim[U any] interface {
	http.Handler
	// Close releases hung requests.
	Close()
	AddUser(username, name string) U
	IssueTokens(userID string) string
}

// An API names the paths of a simulator that Env's shortcuts use.
type API[U any] struct {
	// Owner returns the id of u's user edges (and of IssueTokens).
	Owner func(u U) string
	// Version is the version prefix the shortcuts send ("/v25.0").
	Version string
	// CreateEdge and PublishEdge are the user edges that create and
	// publish containers ("media", "media_publish").
	CreateEdge, PublishEdge string
	// StatusFields is the fields parameter of a container poll and
	// StatusField the field Status returns.
	StatusFields, StatusField string
}

// An Env is one simulator behind a real loopback server, with a second
// server holding media files.
type Env[U any] struct {
	T     testing.TB
	Sim   Sim[U]
	API   API[U]
	Srv   *httptest.Server // the simulator
	Media *httptest.Server // see MediaURL
	Clock *simclock.Clock
	// HTTP is Srv's client; it does not follow redirects.
	HTTP *http.Client

	mu     sync.Mutex
	fetchN map[string]int // media path -> GETs seen
}

// NewEnv serves sim, whose clock is clock and whose paths api names,
// until the test ends.
func NewEnv[U any](t testing.TB, clock *simclock.Clock, sim Sim[U], api API[U]) *Env[U] {
	t.Helper()
	e := &Env[U]{T: t, Sim: sim, API: api, Clock: clock, fetchN: map[string]int{}}
	e.Media = httptest.NewServer(http.HandlerFunc(e.serveMedia))
	e.Srv = httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); e.Srv.Close(); e.Media.Close() })
	e.HTTP = e.Srv.Client()
	e.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e
}

// serveMedia serves /photo.jpg, /photo.png, /anim.gif, /clip.mp4,
// /clip.txt and /big.jpg (a JPEG over graph.MaxImageBytes); anything else
// is 404.
func (e *Env[U]) serveMedia(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.fetchN[r.URL.Path]++
	e.mu.Unlock()
	switch r.URL.Path {
	case "/photo.jpg":
		w.Write(graph.AvatarJPEG("photo"))
	case "/photo.png":
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	case "/anim.gif":
		w.Write([]byte("GIF89a\x01\x00\x01\x00"))
	case "/clip.mp4":
		w.Write(MP4Head)
	case "/clip.txt":
		w.Write([]byte("not a video at all, just some text that is long enough"))
	case "/big.jpg":
		w.Write([]byte{0xFF, 0xD8, 0xFF, 0xE0})
		w.Write(make([]byte, graph.MaxImageBytes))
	default:
		http.NotFound(w, r)
	}
}

// MediaURL returns the URL of a file of the media server.
func (e *Env[U]) MediaURL(name string) string { return e.Media.URL + "/" + name }

// Fetches returns how many times the media server served path.
func (e *Env[U]) Fetches(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fetchN[path]
}

// User adds an account (named after username in capitals) and returns it
// with a long-lived token.
func (e *Env[U]) User(username string) (U, string) {
	u := e.Sim.AddUser(username, strings.ToUpper(username))
	return u, e.Sim.IssueTokens(e.API.Owner(u))
}
