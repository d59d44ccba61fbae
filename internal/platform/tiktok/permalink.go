package tiktok

import (
	"net/url"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// PostURL returns the link of public video id by the account's username:
// https://www.tiktok.com/@{username}/video/{id}. An id that is no public
// video id (a publish_id) has no link: "".
func PostURL(username, id string) string {
	if !platform.ValidNumericID(id) {
		return ""
	}
	return "https://www.tiktok.com/@" + url.PathEscape(strings.TrimPrefix(username, "@")) + "/video/" + id
}

// Permalink returns the link of post id by handle (see PostURL).
func (c *Client) Permalink(handle, id string) string { return PostURL(handle, id) }

// tiktokHosts are the hosts of TikTok's post links, lower case.
var tiktokHosts = map[string]bool{"tiktok.com": true, "www.tiktok.com": true, "m.tiktok.com": true}

const permalinkShape = "https://www.tiktok.com/@{username}/video/{id}"

// PostIDFromURL reads the video id from a TikTok link pasted by the
// operator: https://www.tiktok.com/@{username}/video/{id} (or /photo/{id}),
// with or without scheme, www., query or fragment, and the old
// m.tiktok.com/v/{id}.html. A short share link (vm.tiktok.com, /t/…)
// cannot be read without opening it, and is refused with what to do.
func (c *Client) PostIDFromURL(u string) (string, error) {
	s := strings.TrimSpace(u)
	bad := func(why string) error {
		return snsos.Errorf(snsos.EINVALID, "%.80q %s: paste the post's address, like %s", s, why, permalinkShape)
	}
	if s == "" {
		return "", snsos.Errorf(snsos.EINVALID, "no link given: paste the post's address, like %s", permalinkShape)
	}
	raw := s
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	p, err := url.Parse(raw)
	if err != nil || p.Scheme != "https" && p.Scheme != "http" {
		return "", bad("is not a web address")
	}
	host := strings.ToLower(p.Hostname())
	if host == "vm.tiktok.com" || host == "vt.tiktok.com" || tiktokHosts[host] && strings.HasPrefix(p.Path, "/t/") {
		return "", bad("is a short share link; open it in a browser and copy the full address")
	}
	if !tiktokHosts[host] {
		return "", bad("is not a TikTok link")
	}
	seg := strings.Split(strings.Trim(p.Path, "/"), "/")
	var id string
	switch {
	case len(seg) == 3 && strings.HasPrefix(seg[0], "@") && (seg[1] == "video" || seg[1] == "photo"):
		id = seg[2]
	case len(seg) == 2 && seg[0] == "v":
		id = strings.TrimSuffix(seg[1], ".html")
	default:
		return "", bad("is not the link of a TikTok post")
	}
	if !platform.ValidNumericID(id) {
		return "", bad("has no valid video id")
	}
	return id, nil
}

// linkSecrets returns what of a media link must never reach an error or a
// log line: the link and its signature (the sig query value), which TikTok
// may echo in a refusal.
func linkSecrets(link string) []string {
	if link == "" {
		return nil
	}
	out := []string{link}
	if u, err := url.Parse(link); err == nil {
		out = append(out, u.Query()["sig"]...)
	}
	return out
}
