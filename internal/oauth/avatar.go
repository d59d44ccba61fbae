package oauth

import (
	"context"
	"crypto/tls"
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
	"github.com/sns-os/snsos/internal/store"
)

// Bounds of an avatar fetch.
const (
	avatarTimeout  = 10 * time.Second
	avatarMaxBytes = store.MaxAvatarBytes // 256 KiB
)

// avatarTypes are the content types sns-os keeps (sniffed, not as the
// server declares them).
var avatarTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// newAvatarClient returns the client that fetches profile pictures, set up
// like the platform clients' (TLS 1.2+, bounded dial and handshake) with the
// avatar timeout, but never through a proxy: the address check is made on
// the dialled IP, and through a proxy that would be the proxy's. It follows
// at most three redirects, and only to http or https URLs. It connects to
// public unicast addresses only, and to loopback too when allowLoopback
// (the demo, whose simulator serves the pictures on the same host).
func newAvatarClient(allowLoopback bool) *http.Client {
	control := func(network, address string, _ syscall.RawConn) error {
		return avatarDialCheck(address, allowLoopback)
	}
	return &http.Client{
		Timeout: avatarTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: platform.DefaultDialTimeout, KeepAlive: 30 * time.Second, Control: control}).DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   platform.DefaultTLSTimeout,
			ResponseHeaderTimeout: avatarTimeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %q URL", req.URL.Scheme)
			}
			return nil
		},
	}
}

// avatarDialCheck refuses to connect to anything but a public unicast
// address (and loopback when allowLoopback): the picture's URL comes from
// the platform, and sns-os must not be made to fetch from the operator's
// own network, a cloud metadata service or a translation prefix that leads
// back into one.
func avatarDialCheck(address string, allowLoopback bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("avatar: %q is not an IP address", host)
	}
	if !publicUnicast(ip) && !(allowLoopback && ip.Unmap().IsLoopback()) {
		return fmt.Errorf("avatar: refusing to connect to the non-public address %s", ip)
	}
	return nil
}

// nonPublic are special-purpose ranges (RFC 6890 and successors) that
// netip's predicates do not cover: shared address space (carrier-grade
// NAT), benchmarking, "this network", IETF protocol assignments, the
// documentation ranges, the reserved 240/4 (with the broadcast address),
// NAT64 prefixes, 6to4 and Teredo (which embed IPv4 addresses), ORCHID,
// discard-only and IPv4-compatible IPv6.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:10::/28",
		"2001:20::/28", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// publicUnicast reports whether ip is a public unicast address.
func publicUnicast(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false // also loopback, link-local, multicast, unspecified
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// storeAvatar fetches the profile picture of a, best effort, and stores it
// for the web interface to serve (its pages load nothing from another
// origin). A failure is logged at info level, without the URL's query, and
// the account keeps the picture it had.
func (s *Service) storeAvatar(ctx context.Context, a *snsos.Account) {
	if a.AvatarURL == "" {
		return
	}
	ct, data, err := s.fetchAvatar(ctx, a.AvatarURL)
	if err == nil {
		err = s.store.PutAccountAvatar(ctx, &store.Avatar{AccountID: a.ID, ContentType: ct, Data: data})
	}
	if err != nil {
		s.log.Info("account avatar not stored", "platform", string(a.Platform), "account_id", a.ID,
			"url", avatarLogURL(a.AvatarURL), "reason", avatarReason(err))
		return
	}
	s.log.Debug("account avatar stored", "platform", string(a.Platform), "account_id", a.ID, "bytes", len(data), "type", ct)
}

// fetchAvatar downloads the picture at raw and returns its sniffed content
// type and bytes.
func (s *Service) fetchAvatar(ctx context.Context, raw string) (string, []byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, errors.New("not an http or https URL")
	}
	ctx, cancel := context.WithTimeout(ctx, avatarTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("User-Agent", platform.DefaultUserAgent)
	req.Header.Set("Accept", "image/png, image/jpeg, image/gif, image/webp")
	resp, err := s.avatars.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > avatarMaxBytes {
		return "", nil, fmt.Errorf("%d bytes, more than the %d-byte limit", resp.ContentLength, avatarMaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, avatarMaxBytes+1))
	if err != nil {
		return "", nil, err
	}
	if len(data) > avatarMaxBytes {
		return "", nil, fmt.Errorf("more than the %d-byte limit", avatarMaxBytes)
	}
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if !avatarTypes[ct] {
		return "", nil, fmt.Errorf("not a PNG, JPEG, GIF or WebP image (%s)", ct)
	}
	return ct, data, nil
}

// avatarLogURL is raw without its query, fragment and user info.
func avatarLogURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return u.String()
}

// avatarReason is err's text without the URL (and so its query) that
// *url.Error adds.
func avatarReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
