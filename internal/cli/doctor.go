package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/logging"
	"github.com/sns-os/snsos/internal/media"
)

const doctorDesc = `Check this deployment from the inside, the way the platforms will meet it, and
print one line per check: ok, warn, or FAIL with the reason and what to do.

  - SNSOS_PUBLIC_URL is https and answers GET /healthz through it;
  - SNSOS_TRUSTED_PROXIES names the reverse proxy an https public URL on
    another host implies (a warning when it is empty);
  - each configured platform's token endpoint accepts the client id and
    secret (a made-up code or refresh token is sent: the platform's answer
    tells a refused client apart from a refused grant, and nothing is granted);
  - Meta's deauthorize and data-deletion callback URLs answer through the
    public URL (an unsigned request, which is refused and changes nothing);
  - every account holds the permissions sns-os asks its platform for;
  - a signed media link (/m/) for a stored medium answers through the public
    URL, as Instagram, Threads and TikTok fetch media.

Run it on the server with the same settings as sns-os serve, while it runs.
Nothing secret is printed. Exits 1 when a check fails. docs/setup.md explains
each platform's registration.`

// The levels of a check's outcome.
const (
	levelOK   = "ok"
	levelWarn = "warn"
	levelFail = "FAIL"
)

// doctor runs the checks and counts their outcomes.
type doctor struct {
	cfg    *config.Config
	a      *app
	out    io.Writer
	red    *logging.Redactor
	http   *http.Client
	now    func() time.Time
	counts map[string]int
}

func runDoctor(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "doctor", "doctor [--timeout 10s] [flags]", doctorDesc)
	timeout := fs.Duration("timeout", 10*time.Second, "how long each network check may take")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *timeout <= 0 || *timeout > 5*time.Minute {
		return usageError{"--timeout must be between 1s and 5m"}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if err := existingDatabase(cfg, "nothing to check"); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	d := &doctor{cfg: cfg, a: a, out: e.stdout, red: a.red, now: time.Now, counts: map[string]int{},
		http: &http.Client{Timeout: *timeout}}
	d.run(ctx)
	fmt.Fprintf(e.stdout, "\n%d ok, %d warnings, %d failed\n", d.counts[levelOK], d.counts[levelWarn], d.counts[levelFail])
	if n := d.counts[levelFail]; n > 0 {
		return fmt.Errorf("%d check(s) failed; see the FAIL lines above", n)
	}
	return nil
}

func (d *doctor) run(ctx context.Context) {
	d.publicURL(ctx)
	d.trustedProxies()
	d.platforms(ctx)
	d.accounts(ctx)
	d.mediaLink(ctx)
}

// report prints one check's line. What a line quotes from the network
// (answers, errors) has been through the redactor already, in do.
func (d *doctor) report(level, what, format string, args ...any) {
	d.counts[level]++
	fmt.Fprintf(d.out, "%-4s  %s: %s\n", level, what, fmt.Sprintf(format, args...))
}

// publicURL checks SNSOS_PUBLIC_URL's scheme and that sns-os answers at it.
func (d *doctor) publicURL(ctx context.Context) {
	const what = "public URL"
	pub := d.cfg.PublicURL
	u, err := url.Parse(pub)
	if err != nil {
		d.report(levelFail, what, "SNSOS_PUBLIC_URL %q is not a URL; set it like https://sns.example.com", pub)
		return
	}
	switch {
	case u.Scheme == "https":
		d.report(levelOK, what, "%s is https", pub)
	case loopbackHost(u.Hostname()):
		d.report(levelWarn, what, "%s is plain http on this machine: enough to try sns-os, but Meta and TikTok only accept https "+
			"redirect and callback URLs and fetch media over https; for real accounts serve sns-os behind a TLS proxy and set an https:// SNSOS_PUBLIC_URL", pub)
	default:
		d.report(levelFail, what, "%s is plain http on a host others reach: the operator password and session would cross the network in clear, "+
			"and the platforms refuse such URLs; put a TLS-terminating proxy in front of sns-os and set an https:// SNSOS_PUBLIC_URL", pub)
	}
	status, body, err := d.get(ctx, pub+"/healthz", nil, true)
	switch {
	case err != nil:
		d.report(levelFail, what, "GET %s/healthz: %s; check that sns-os serve is running, that %s resolves to this server and that the proxy forwards to SNSOS_ADDR (%s)",
			pub, err, u.Host, d.cfg.Addr)
	case status != http.StatusOK || !isHealthz(body):
		d.report(levelFail, what, "GET %s/healthz answered %d %s, not sns-os's {\"status\":\"ok\"}: something else answers at this address; point the proxy at SNSOS_ADDR (%s)",
			pub, status, quote(body), d.cfg.Addr)
	default:
		d.report(levelOK, what, "sns-os answers GET %s/healthz", pub)
	}
}

// trustedProxies warns when SNSOS_TRUSTED_PROXIES is empty although the
// public URL is https on a host others reach: sns-os does not terminate
// TLS, so a reverse proxy is then almost certainly in front of it, and
// without its address listed every visitor arrives as the proxy and they
// all share one client's allowance of sign-in attempts and contact
// messages. A warning, not a failure: a tunnel or a proxy elsewhere may
// have been meant, and only the operator knows.
func (d *doctor) trustedProxies() {
	const what = "trusted proxies"
	if n := len(d.cfg.TrustedProxies); n > 0 {
		d.report(levelOK, what, "SNSOS_TRUSTED_PROXIES lists %d address(es); sign-in throttling and the contact form count the client "+
			"address such a proxy forwards in X-Forwarded-For", n)
		return
	}
	u, err := url.Parse(d.cfg.PublicURL)
	if err != nil || u.Scheme != "https" || loopbackHost(u.Hostname()) {
		d.report(levelOK, what, "SNSOS_TRUSTED_PROXIES is not set; sns-os counts each connection's own address, as it should "+
			"when no reverse proxy forwards to it")
		return
	}
	d.report(levelWarn, what, "SNSOS_TRUSTED_PROXIES is empty while the public URL %s is https on a host others reach, so a reverse "+
		"proxy almost certainly forwards to sns-os: every visitor then arrives from the proxy's address and all share one allowance "+
		"of sign-in attempts and contact messages (one visitor can lock out everyone, you included). List the proxy's address, "+
		"e.g. SNSOS_TRUSTED_PROXIES=127.0.0.1 for a proxy on this machine", d.cfg.PublicURL)
}

func isHealthz(body []byte) bool {
	var v struct{ Status string }
	return json.Unmarshal(body, &v) == nil && v.Status == "ok"
}

// loopbackHost reports whether host names this machine only.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// mediaLink signs a short-lived link to the newest stored medium and
// fetches its first byte through the public URL, as a platform would.
func (d *doctor) mediaLink(ctx context.Context) {
	const what = "media links"
	ms, err := d.a.store.ListMedia(ctx, 1)
	if err != nil {
		d.report(levelFail, what, "cannot read the media library: %v", err)
		return
	}
	if len(ms) == 0 {
		d.report(levelWarn, what, "no media stored yet, nothing to fetch; upload a picture and run sns-os doctor again "+
			"to check the links Instagram, Threads and TikTok fetch media from")
		return
	}
	m := ms[0]
	signer, err := media.NewSigner(media.SignerOptions{Key: d.a.linkKey, PublicURL: d.cfg.PublicURL, TTL: 5 * time.Minute, Now: d.now})
	if err != nil {
		d.report(levelFail, what, "%v", err)
		return
	}
	link, _ := signer.URL(m.ID)
	path := fmt.Sprintf("/m/%d", m.ID) // the signature is a credential: never printed
	status, body, err := d.get(ctx, link, http.Header{"Range": {"bytes=0-0"}}, false)
	switch {
	case err != nil:
		d.report(levelFail, what, "GET %s%s: %s; the platforms could not fetch media either", d.cfg.PublicURL, path, err)
	case status == http.StatusOK || status == http.StatusPartialContent:
		d.report(levelOK, what, "a signed link to medium %d (%s) answers %d through %s", m.ID, m.Mime, status, d.cfg.PublicURL)
	case status >= 300 && status < 400:
		d.report(levelFail, what, "GET %s%s?… answered %d, a redirect: TikTok refuses media links that redirect; "+
			"make the proxy serve SNSOS_PUBLIC_URL itself (%s) without redirecting", d.cfg.PublicURL, path, status, d.cfg.PublicURL)
	case status == http.StatusForbidden:
		d.report(levelFail, what, "GET %s%s?… was refused (403 %s): the server signs links with another key; run sns-os doctor with the same "+
			"SNSOS_DATA_DIR, SNSOS_DATABASE_URL and master key as sns-os serve", d.cfg.PublicURL, path, quote(body))
	case status == http.StatusNotFound:
		d.report(levelFail, what, "GET %s%s?… answered 404 %s: either the proxy does not forward /m/ to sns-os, or the file of medium %d "+
			"is missing from the media store (data dir or bucket)", d.cfg.PublicURL, path, quote(body), m.ID)
	default:
		d.report(levelFail, what, "GET %s%s?… answered %d %s; the platforms could not fetch media", d.cfg.PublicURL, path, status, quote(body))
	}
}

// get sends a GET and returns the status and at most 4 KiB of the body.
// Without follow, a redirect is returned as it came: a platform fetching
// media does not follow one either (TikTok refuses them outright).
func (d *doctor) get(ctx context.Context, u string, h http.Header, follow bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	c := d.http
	if !follow {
		nc := *d.http
		nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c = &nc
	}
	return d.send(c, req)
}

// do sends req with the doctor's client (see send).
func (d *doctor) do(req *http.Request) (int, []byte, error) { return d.send(d.http, req) }

// send sends req with c and returns the status and at most 4 KiB of the body. The
// body and the error's text are scrubbed by the redactor, which knows the
// configured secrets, so that what a line quotes of them never carries a
// secret out; the error does not repeat the URL, which may carry a
// signature (the caller names the address itself).
func (d *doctor) send(c *http.Client, req *http.Request) (int, []byte, error) {
	req.Header.Set("User-Agent", "sns-os-doctor/"+Version)
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			if ue.Timeout() {
				return 0, nil, errors.New("no answer in time")
			}
			err = ue.Err
		}
		return 0, nil, errors.New(d.red.Scrub(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return 0, nil, errors.New(d.red.Scrub(err.Error()))
	}
	return resp.StatusCode, []byte(d.red.Scrub(string(body))), nil
}

// quote returns an answer's body for a message: one line, at most 200
// bytes.
func quote(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		n := 200
		for n > 0 && !utf8.RuneStart(s[n]) { // never cut a character in two
			n--
		}
		s = s[:n] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return `"` + s + `"`
}
