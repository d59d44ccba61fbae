package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/web/form"
)

// Reschedule ("Change time").

type calMoveData struct {
	PostID                 int64
	Excerpt                string
	Current, CurrentISO    string
	CurrentUTC             string
	Targets                []calItem
	Movable                bool
	Action, Back           string
	At, Zone               string
	AtError, ZoneError     string
	Errors                 []string
	ZoneHint, ZoneListHint string
}

// calMoveForm fills what the form shows of the post.
func (h *Handler) calMoveForm(r *http.Request, post *snsos.Post, d *calMoveData, p *page) {
	loc := h.location()
	now := h.now().In(loc)
	d.PostID = post.ID
	d.Action = "/calendar/posts/" + strconv.FormatInt(post.ID, 10) + "/time"
	if d.Excerpt = excerpt(post.Body, 80); d.Excerpt == "" {
		d.Excerpt = p.T("post.notext")
	}
	if !post.ScheduledAt.IsZero() {
		local := post.ScheduledAt.In(loc)
		d.Current, d.CurrentISO, d.CurrentUTC = fullTime(p.lang, local), post.ScheduledAt.UTC().Format(time.RFC3339), utcLine(p.lang, local)
	}
	for _, t := range post.Targets {
		d.Targets = append(d.Targets, calItem{Platform: t.Platform.DisplayName(), State: h.stateWord(p, t, now),
			Class: "s-" + string(t.State), Icon: stateIcons[t.State]})
		if t.State == snsos.StateScheduled || t.State == snsos.StateApproved {
			d.Movable = true
		}
	}
	d.ZoneHint = p.T("cal.move.zone.hint", "Zone", loc.String())
}

func (h *Handler) handleCalReschedule(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	loc := h.location()
	d := &calMoveData{Zone: loc.String(), Back: safeNext(r.URL.Query().Get("back"), "/calendar")}
	p := h.newPage(r, "cal.move.title", true, d)
	h.calMoveForm(r, post, d, p)
	at := post.ScheduledAt
	if at.IsZero() {
		at = h.now().Add(time.Hour).Truncate(time.Hour)
	}
	d.At = at.In(loc).Format(calLocalInput)
	h.render(w, http.StatusOK, "calendar_move", p)
}

func (h *Handler) handleCalReschedulePost(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	d := &calMoveData{At: strings.TrimSpace(r.PostFormValue("at")), Zone: strings.TrimSpace(r.PostFormValue("zone")),
		Back: safeNext(r.PostFormValue("back"), "/calendar")}
	p := h.newPage(r, "cal.move.title", true, d)
	h.calMoveForm(r, post, d, p)
	fail := func(status int) {
		if d.AtError != "" {
			d.Errors = append(d.Errors, d.AtError)
		}
		if d.ZoneError != "" {
			d.Errors = append(d.Errors, d.ZoneError)
		}
		h.render(w, status, "calendar_move", p)
	}
	if !d.Movable {
		d.Errors = append(d.Errors, p.T("cal.move.err.state"))
		fail(http.StatusConflict)
		return
	}
	at, atErr, zoneErr := calParseLocal(d.At, d.Zone, h.now())
	if atErr != "" {
		d.AtError = p.T("cal.move.err."+atErr, "Zone", d.Zone)
	}
	if zoneErr != "" {
		d.ZoneError = p.T("cal.move.err."+zoneErr, "Zone", d.Zone)
	}
	if atErr != "" || zoneErr != "" {
		fail(http.StatusUnprocessableEntity)
		return
	}
	err := h.withEngine(func(e Engine) error {
		_, err := e.Schedule(r.Context(), post.ID, at)
		return err
	})
	if err != nil {
		h.log.Warn("web: reschedule refused", "post", post.ID, "err", err)
		var ve snsos.ValidationErrors
		switch {
		case snsos.IsCode(err, snsos.EINVALID) && errors.As(err, &ve):
			for _, fe := range ve {
				switch fe.Rule {
				case "future":
					d.AtError = p.T("cal.move.err.past")
				case "quota":
					d.AtError = p.T("cal.move.err.quota")
				default:
					d.AtError = p.T("cal.move.err.invalid")
				}
			}
			fail(http.StatusUnprocessableEntity)
		case snsos.IsCode(err, snsos.EINVALID):
			d.AtError = p.T("cal.move.err.invalid")
			fail(http.StatusUnprocessableEntity)
		case snsos.IsCode(err, snsos.ECONFLICT):
			d.Errors = append(d.Errors, p.T("cal.move.err.state"))
			fail(http.StatusConflict)
		case snsos.IsCode(err, snsos.EUNAVAILABLE), snsos.IsCode(err, snsos.ERATELIMITED):
			d.Errors = append(d.Errors, p.T("flash.action.unavailable"))
			fail(http.StatusServiceUnavailable)
		case snsos.IsCode(err, snsos.ENOTFOUND):
			h.notFound(w, r)
		default:
			d.Errors = append(d.Errors, p.T("flash.action.error"))
			fail(http.StatusInternalServerError)
		}
		return
	}
	// Back to the week holding the new time.
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, calHref("week", at.In(h.location()).Format(calDateLayout))+"&flash=moved", http.StatusSeeOther)
}

// calParseLocal reads a datetime-local value in a named zone. It returns
// the instant, or the reasons (message id suffixes) the time or the zone
// is refused: a time that is not one, that the zone skips (DST gap) or
// has twice (DST overlap), or that has passed; a zone that is unknown.
func calParseLocal(at, zone string, now time.Time) (time.Time, string, string) {
	var zoneErr string
	loc, err := loadZone(zone)
	if err != nil {
		zoneErr, loc = "zone", nil
	}
	if at == "" {
		return time.Time{}, "required", zoneErr
	}
	wall, err := form.ParseWall(at)
	if err != nil {
		return time.Time{}, "format", zoneErr
	}
	if loc == nil {
		return time.Time{}, "", zoneErr
	}
	t, err := form.InZone(wall, loc)
	switch {
	case errors.Is(err, form.ErrGap):
		return time.Time{}, "gap", ""
	case errors.Is(err, form.ErrAmbiguous):
		return time.Time{}, "ambiguous", ""
	}
	if !t.After(now) {
		return time.Time{}, "past", ""
	}
	return t, "", ""
}
