package publish

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Platforms that pull media (platform.MediaPuller: Instagram, Threads)
// fetch each item from its signed /m/ link on sns-os's public address at
// the moment they create the container. A link they cannot reach fails the
// post on their side, after sns-os has started it; so preflight (an hour
// ahead) and a fresh attempt (right before the call) check every link
// first: it must be a public https URL (unless AllowInsecureMediaLinks) and
// a HEAD request to it must answer 2xx. At publish time a failure is a
// transient failure of the attempt (Engine.linksAnswer): retried with
// backoff, the target failed with the reason once the attempt budget is
// spent. Messages never carry the link's signature.

// pullsMedia reports whether client fetches media by link.
func pullsMedia(client platform.Platform) bool {
	mp, ok := client.(platform.MediaPuller)
	return ok && mp.PullsMedia()
}

// checkMediaLinks checks the media links of parts for client: "" when
// client does not pull media, has none, or every link answers; otherwise
// the first problem in words. The error is for a context that ended (the
// job stops): no verdict.
func (e *Engine) checkMediaLinks(ctx context.Context, client platform.Platform, parts []platform.Part) (string, error) {
	if !pullsMedia(client) {
		return "", nil
	}
	name := client.Name().DisplayName()
	for _, part := range parts {
		for _, m := range part.Media {
			if problem := e.checkMediaLink(ctx, name, m.URL); problem != "" {
				return problem, ctx.Err()
			}
		}
	}
	return "", nil
}

// checkMediaLink checks one link that platform name will fetch.
func (e *Engine) checkMediaLink(ctx context.Context, name, raw string) string {
	if raw == "" {
		return fmt.Sprintf("%s fetches media by link, and this sns-os gives media no public link; set SNSOS_PUBLIC_URL to the https address %s can reach", name, name)
	}
	shown := redactLink(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("%s fetches media from sns-os's public address, and %s is not a valid link; check SNSOS_PUBLIC_URL", name, shown)
	}
	if !e.cfg.AllowInsecureMediaLinks && (u.Scheme != "https" || !publicHost(u.Hostname())) {
		return fmt.Sprintf("%s fetches media from sns-os's public address, and %s is not a public https link; set SNSOS_PUBLIC_URL to the https address %s can reach", name, shown, name)
	}
	status, err := e.headLink(ctx, raw)
	switch {
	case err != nil:
		return scrub(fmt.Sprintf("%s fetches media from sns-os's public address, and %s did not answer (%s); check SNSOS_PUBLIC_URL", name, shown, linkFailure(err)), u)
	case status < 200 || status > 299:
		return fmt.Sprintf("%s fetches media from sns-os's public address, and %s answered %d %s; check SNSOS_PUBLIC_URL", name, shown, status, http.StatusText(status))
	}
	return ""
}

// headLink asks for a link's headers (HEAD; a ranged GET of one byte when
// HEAD is not allowed) and returns the status.
func (e *Engine) headLink(ctx context.Context, raw string) (int, error) {
	status, err := e.askLink(ctx, http.MethodHead, raw)
	if err == nil && (status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented) {
		return e.askLink(ctx, http.MethodGet, raw)
	}
	return status, err
}

func (e *Engine) askLink(ctx context.Context, method, raw string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, raw, nil)
	if err != nil {
		return 0, err
	}
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	resp, err := e.cfg.MediaLinkClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode, nil
}

// publicHost reports whether host may be reached from the internet: not
// localhost, nor a loopback, private, link-local or unspecified address. A
// name is taken as public (it is not resolved here).
func publicHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return true
	}
	ip = ip.Unmap()
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast())
}

// redactLink returns a media link for a message: its signature (the
// link's only credential) replaced, and any user info dropped.
func redactLink(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the media link"
	}
	u.User = nil
	if q := u.Query(); q.Has("sig") {
		q.Set("sig", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrub removes the signature of link u from msg, wherever an error text
// may have repeated it.
func scrub(msg string, u *url.URL) string {
	for _, sig := range u.Query()["sig"] {
		if sig != "" {
			msg = strings.ReplaceAll(msg, sig, "REDACTED")
		}
	}
	return msg
}

// linkFailure says in plain words why a request to a media link failed,
// without the link itself (which url.Error repeats).
func linkFailure(err error) string {
	var dnsErr *net.DNSError
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "its host name does not resolve"
	case errors.As(err, &certErr), errors.As(err, &hostErr):
		return "its TLS certificate is not valid for it"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// quotaUsedUp reads the account's publishing quota when client reports it
// (platform.QuotaReader) and returns, in words, why the account cannot
// post now when none is left; "" when it can, or when the quota could not
// be read (the platform then has the last word).
func (e *Engine) quotaUsedUp(ctx context.Context, client platform.Platform, acct *snsos.Account, auth platform.Auth) string {
	qr, ok := client.(platform.QuotaReader)
	if !ok {
		return ""
	}
	q, err := qr.PublishQuota(ctx, auth)
	if err != nil {
		e.log.Warn("read publishing quota", "account_id", acct.ID, "platform", string(acct.Platform), "err", message(err))
		return ""
	}
	if q == nil || q.Total <= 0 || q.Left() > 0 {
		return ""
	}
	window := "its rolling window"
	if q.Window > 0 {
		window = "a rolling " + q.Window.String()
		if q.Window%time.Hour == 0 {
			window = fmt.Sprintf("a rolling %d hours", q.Window/time.Hour)
		}
	}
	return fmt.Sprintf("%s's publishing limit for @%s is used up (%d of %d posts in %s)", acct.Platform.DisplayName(), acct.Handle, q.Used, q.Total, window)
}
