package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// Settings the calendar reads.
const (
	// calFeedGenSetting is the generation of the iCal feed URL: a decimal
	// counter that regenerating bumps, so the previous URL stops working.
	calFeedGenSetting = "ical.generation"
)

// feedURL returns the secret URL of the iCal feed ("" when the feed is
// disabled). The settings page shows it. Without a configured public URL
// it is the path alone.
func (h *Handler) feedURL(ctx context.Context) (string, error) {
	return h.calFeedURL(ctx, strings.TrimRight(h.cfg.PublicURL, "/"))
}

func (h *Handler) calFeedURL(ctx context.Context, base string) (string, error) {
	tok, err := h.calFeedToken(ctx)
	if err != nil || tok == "" {
		return "", err
	}
	return base + "/feeds/schedule.ics?token=" + tok, nil
}

// calFeedToken is base64url(HMAC-SHA256(FeedKey, "ical-feed:"+generation)),
// "" when the feed is disabled.
func (h *Handler) calFeedToken(ctx context.Context) (string, error) {
	if len(h.cfg.FeedKey) == 0 {
		return "", nil
	}
	gen, err := h.calFeedGeneration(ctx)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, h.cfg.FeedKey)
	mac.Write([]byte("ical-feed:" + strconv.FormatInt(gen, 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

func (h *Handler) calFeedGeneration(ctx context.Context) (int64, error) {
	v, err := h.store.Setting(ctx, calFeedGenSetting)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, nil // unreadable: treat as the first generation; regenerating repairs it
	}
	return n, nil
}

// calBaseURL is where links in the feed point: the configured public URL,
// else the host the request came to.
func (h *Handler) calBaseURL(r *http.Request) string {
	if h.cfg.PublicURL != "" {
		return strings.TrimRight(h.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) handleCalFeedRegenerate(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"), "/settings")
	if len(h.cfg.FeedKey) == 0 {
		h.notFound(w, r)
		return
	}
	gen, err := h.calFeedGeneration(r.Context())
	if err != nil {
		h.serverError(w, r, "feed generation", err)
		return
	}
	if err := h.store.PutSetting(r.Context(), calFeedGenSetting, strconv.FormatInt(gen+1, 10)); err != nil {
		h.serverError(w, r, "feed generation", err)
		return
	}
	h.log.Info("web: iCal feed URL regenerated")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// The iCal feed.

// calFeedPast and calFeedAhead bound the feed's events around now.
const (
	calFeedPast  = 30 * 24 * time.Hour
	calFeedAhead = 90 * 24 * time.Hour
)

var calFeedStates = []snsos.TargetState{snsos.StateScheduled, snsos.StatePublishing, snsos.StateRetryWait,
	snsos.StateUnknown, snsos.StateNeedsOperator, snsos.StatePublished}

// calFeedStateWords name the states in the feed, which has no language of
// its own: English, as in the UI's default.
var calFeedStateWords = map[snsos.TargetState]string{
	snsos.StateScheduled: "Scheduled", snsos.StatePublishing: "Publishing", snsos.StateRetryWait: "Waiting to retry",
	snsos.StateUnknown: "Confirming", snsos.StateNeedsOperator: "Check needed", snsos.StatePublished: "Published",
}

func (h *Handler) handleCalFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	want, err := h.calFeedToken(ctx)
	if err != nil {
		h.feedError(w, r, "feed token", err)
		return
	}
	got := r.URL.Query().Get("token")
	// Constant time; an empty want (feed disabled) never matches.
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		http.NotFound(w, r)
		return
	}
	now := h.now().UTC()
	entries, err := h.store.ListTargetsInRange(ctx, store.TargetRange{From: now.Add(-calFeedPast), To: now.Add(calFeedAhead), States: calFeedStates})
	if err != nil {
		h.feedError(w, r, "feed", err)
		return
	}
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		h.feedError(w, r, "feed accounts", err)
		return
	}
	handles := handlesOf(accts)
	base := h.calBaseURL(r)
	var c icsWriter
	c.prop("BEGIN", "VCALENDAR")
	c.prop("VERSION", "2.0")
	c.prop("PRODID", "-//sns-os//schedule//EN")
	c.prop("CALSCALE", "GREGORIAN")
	c.prop("METHOD", "PUBLISH")
	c.prop("X-WR-CALNAME", icsText("sns-os"))
	c.prop("X-PUBLISHED-TTL", "PT15M")
	stamp := now.Format(icsUTC)
	for _, e := range entries {
		body := e.Body
		if strings.TrimSpace(body) == "" {
			body = e.PostBody
		}
		ex := excerpt(body, 60)
		if ex == "" {
			ex = "(no text)"
		}
		platform := e.Platform.DisplayName()
		link := base + postHref(e.PostID)
		desc := calFeedStateWords[e.State] + " on " + platform
		if hd := handles[e.AccountID]; hd != "" {
			desc += " as @" + hd
		}
		desc += ".\n" + strings.TrimSpace(body) + "\n\n" + link
		c.prop("BEGIN", "VEVENT")
		c.prop("UID", "target-"+strconv.FormatInt(e.ID, 10)+"@sns-os")
		c.prop("DTSTAMP", stamp)
		c.prop("DTSTART", e.At.UTC().Format(icsUTC))
		c.prop("DURATION", "PT15M")
		if !e.UpdatedAt.IsZero() {
			c.prop("LAST-MODIFIED", e.UpdatedAt.UTC().Format(icsUTC))
		}
		c.prop("SUMMARY", icsText(platform+": "+ex))
		c.prop("DESCRIPTION", icsText(desc))
		c.prop("URL", link)
		c.prop("CATEGORIES", icsText(string(e.State)))
		c.prop("STATUS", "CONFIRMED")
		c.prop("TRANSP", "TRANSPARENT")
		c.prop("END", "VEVENT")
	}
	c.prop("END", "VCALENDAR")
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="sns-os-schedule.ics"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(c.b.Bytes())
}

// RFC 5545 writing.

const icsUTC = "20060102T150405Z"

// icsWriter writes content lines: CRLF-terminated, folded at 75 octets
// without splitting a UTF-8 sequence (RFC 5545 §3.1).
type icsWriter struct{ b bytes.Buffer }

func (c *icsWriter) prop(name, value string) {
	icsFold(&c.b, name+":"+value)
}

// icsFold writes line folded: no physical line longer than 75 octets, a
// continuation starting with one space (which counts toward the 75).
func icsFold(b *bytes.Buffer, line string) {
	const limit = 75
	n := 0
	for _, r := range line {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 3 // U+FFFD, as WriteRune writes it
		}
		if n+size > limit {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
}

// icsText escapes a TEXT value: backslash, semicolon, comma and newlines
// (RFC 5545 §3.3.11); other control characters are dropped.
func icsText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// CONTROL characters are not allowed in TEXT.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// feedError answers a calendar client's failed feed: 503 when the page
// deadline cut the work off (it may try again), else a 500 that says
// nothing more.
func (h *Handler) feedError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if timedOut(r) {
		h.log.Warn("web: page deadline passed", "path", r.URL.Path, "during", what)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	h.log.Error("web: "+what, "err", err)
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}
