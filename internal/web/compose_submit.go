package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// composeSubmit is one submit of the compose form: what was typed, the post
// it edits (nil for a new one) and the problems to show with the form.
type composeSubmit struct {
	w         http.ResponseWriter
	r         *http.Request
	f         *composeForm
	existing  *snsos.Post
	tr        *translator
	fieldErrs map[string]string
}

// composeRerender shows the form again with its problems.
func (h *Handler) composeRerender(s *composeSubmit, status int) {
	h.renderCompose(s.w, s.r, status, s.f, s.existing, s.fieldErrs)
}

// composeFormActions are the buttons that only change the form (nothing is
// saved), by the form's "do" value; composePrefixActions those whose value
// carries an argument ("split:x").
var composeFormActions = map[string]func(*Handler, *composeSubmit){
	"":      (*Handler).composeDoCheck,
	"check": (*Handler).composeDoCheck,
	"now":   (*Handler).composeDoNow,
}

var composePrefixActions = []struct {
	prefix string
	do     func(h *Handler, s *composeSubmit, arg string)
}{
	{"addpart:", (*Handler).composeDoAddPart},
	{"split:", (*Handler).composeDoSplit},
	{"media:", (*Handler).composeDoMedia},
	{"tmedia:", (*Handler).composeDoTargetMedia},
	{"convert:", (*Handler).composeDoConvert},
	{"pick:", (*Handler).composeDoPick},
}

// composeSaveActions are the buttons that save the post, with the flash the
// post's page shows after (draft: back to the editor).
var composeSaveActions = map[string]string{
	"draft":         "/edit?flash=saved",
	"approve":       "?flash=compose.approved",
	"schedule":      "?flash=compose.scheduled",
	"now-confirmed": "?flash=compose.now",
}

func (h *Handler) handleComposeSubmit(w http.ResponseWriter, r *http.Request) {
	s := &composeSubmit{w: w, r: r, tr: newTranslator(pickLang(r), nil), fieldErrs: map[string]string{}}
	if r.PathValue("id") != "" {
		p, ok := h.postFromPath(w, r)
		if !ok {
			return
		}
		s.existing = p
	}
	f, uploadErr, err := h.readComposeForm(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || snsos.IsCode(err, snsos.ETOOLARGE) {
			http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if f.Token == "" {
		f.Token = newComposeToken()
	}
	s.f = f
	if uploadErr != nil {
		s.fieldErrs["media"] = uploadMessage(s.tr, uploadErr)
	}
	if do, ok := composeFormActions[f.Do]; ok {
		do(h, s)
		return
	}
	for _, a := range composePrefixActions {
		if arg, ok := strings.CutPrefix(f.Do, a.prefix); ok {
			a.do(h, s, arg)
			return
		}
	}
	if _, ok := composeSaveActions[f.Do]; !ok {
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	h.composeDoSave(s)
}

// composeDoCheck shows the form with its counts and problems.
func (h *Handler) composeDoCheck(s *composeSubmit) {
	h.composeRerender(s, http.StatusOK)
}

// composeDoAddPart adds an empty part to a platform's thread, turning its
// text into the first parts when it is not a thread yet.
func (h *Handler) composeDoAddPart(s *composeSubmit, arg string) {
	p := snsos.Platform(arg)
	if cp, ok := composePlatformOf(p); ok && cp.Thread {
		t := s.f.tab(p)
		if !t.Thread {
			t.Thread, t.Parts = true, s.f.texts(p)
		}
		t.Parts = append(t.Parts, "")
	}
	h.composeRerender(s, http.StatusOK)
}

// composeDoSplit splits into parts: the platform's text becomes a thread of
// parts that each fit, counted as the platform counts (X, Threads).
func (h *Handler) composeDoSplit(s *composeSubmit, arg string) {
	p := snsos.Platform(arg)
	status := http.StatusOK
	if split := splitterFor(p); split != nil {
		t := s.f.tab(p)
		// Splitting costs more than linear time: a text longer than any
		// post may be is refused rather than cut.
		if src := splitSource(t, s.f.Body); len(src) > snsos.MaxBodyBytes {
			s.fieldErrs[splitSourceField(p, t)] = s.tr.T("compose.split.too_long", "Max", groupDigits(snsos.MaxBodyBytes))
			status = http.StatusUnprocessableEntity
		} else if parts := split(src); len(parts) > 0 {
			t.Thread, t.Parts = true, parts
		}
		s.f.openTab = string(p)
	}
	h.composeRerender(s, status)
}

// composeDoMedia moves or removes a media item: <index>:left|right|remove.
func (h *Handler) composeDoMedia(s *composeSubmit, arg string) {
	f := s.f
	parts := strings.Split(arg, ":")
	if len(parts) == 2 {
		if i, err := strconv.Atoi(parts[0]); err == nil && i >= 0 && i < len(f.Media) {
			switch parts[1] {
			case "left":
				if i > 0 {
					f.Media[i-1], f.Media[i] = f.Media[i], f.Media[i-1]
				}
			case "right":
				if i+1 < len(f.Media) {
					f.Media[i+1], f.Media[i] = f.Media[i], f.Media[i+1]
				}
			case "remove":
				f.Media = slices.Delete(f.Media, i, i+1)
			}
		}
	}
	h.composeRerender(s, http.StatusOK)
}

// composeDoTargetMedia moves an item of a tab's media choice:
// <platform>:<index>:up|down. The tab then publishes its own choice.
func (h *Handler) composeDoTargetMedia(s *composeSubmit, arg string) {
	parts := strings.Split(arg, ":")
	if len(parts) == 3 {
		if _, ok := composePlatformOf(snsos.Platform(parts[0])); ok {
			i, err := strconv.Atoi(parts[1])
			delta := map[string]int{"up": -1, "down": 1}[parts[2]]
			if err == nil && delta != 0 {
				t := s.f.tab(snsos.Platform(parts[0]))
				t.Media.Move(s.f.Media, i, delta)
			}
			s.f.openTab = parts[0]
		}
	}
	h.composeRerender(s, http.StatusOK)
}

// composeDoPick fills the date and time of a quick pick in the form's zone.
func (h *Handler) composeDoPick(s *composeSubmit, arg string) {
	if at, err := time.Parse(time.RFC3339, arg); err == nil {
		_, loc, _ := parseComposeTime("", "", s.f.Zone, h.location())
		l := at.In(loc)
		s.f.Date, s.f.Time = l.Format("2006-01-02"), l.Format("15:04")
	}
	h.composeRerender(s, http.StatusOK)
}

// composeDoNow is "Approve and post now": it asks first, and nothing is
// saved yet.
func (h *Handler) composeDoNow(s *composeSubmit) {
	if len(s.f.Accounts) == 0 {
		s.fieldErrs["accounts"] = s.tr.T("compose.err.no_account")
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return
	}
	// Nothing is asked while something would refuse the post: the
	// problems are shown instead.
	ctx := s.r.Context()
	accts, _, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(s.w, s.r, "list accounts", err)
		return
	}
	if chk := h.composeCheck(ctx, s.tr, s.f, accts); len(chk.Blocking) > 0 {
		if !composeTextProblems(s.tr, s.f, chk, s.fieldErrs) {
			s.fieldErrs[""] = strings.Join(chk.Blocking, s.tr.Sp())
		}
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return
	}
	s.f.confirmNow = true
	h.composeRerender(s, http.StatusOK)
}

// composeDoSave saves the post (draft, approve, schedule, now-confirmed),
// once per form token, and sends the browser to the post.
func (h *Handler) composeDoSave(s *composeSubmit) {
	w, r, f := s.w, s.r, s.f
	if len(s.fieldErrs) > 0 {
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return
	}
	if s.existing != nil && !postEditable(s.existing) {
		s.fieldErrs[""] = s.tr.T("compose.err.readonly")
		h.composeRerender(s, http.StatusConflict)
		return
	}
	// One save per form token.
	done, owner := composeTokens.claim(r.Context(), f.Token)
	if !owner {
		if done == "" {
			return // the browser went away
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, done, http.StatusSeeOther)
		return
	}
	dest := ""
	defer func() { composeTokens.finish(f.Token, dest) }()

	post, ok := h.composeSavePost(s)
	if !ok {
		return
	}
	dest = postHref(post.ID) + composeSaveActions[f.Do]
	if f.Do == "now-confirmed" && slices.ContainsFunc(post.Targets, func(t *snsos.Target) bool { return t.Platform == snsos.PlatformTikTok }) {
		dest = postHref(post.ID) + "?flash=compose.now.tiktok" // TikTok processes a while after the upload
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// composeSaveTime is the time the action saves the post at, with the
// problems of the date, time and zone fields added to the submit's.
func (h *Handler) composeSaveTime(s *composeSubmit) time.Time {
	at, _, terrs := parseComposeTime(s.f.Date, s.f.Time, s.f.Zone, h.location())
	if s.f.Do == "now-confirmed" {
		// Now, whatever the date and time fields say: the engine takes a
		// time within its few seconds of slack as now.
		at, terrs = h.now(), nil
	}
	for k, id := range terrs {
		s.fieldErrs[k] = s.tr.T(id)
	}
	if s.f.Do == "schedule" && at.IsZero() && len(terrs) == 0 {
		s.fieldErrs["date"] = s.tr.T("compose.err.schedule_needs_time")
	}
	if s.f.Do == "approve" {
		at = time.Time{} // "Approve without a time"
	}
	return at
}

// composeSavePost hands the post to the engine. When it is refused, the
// form is shown again (or the error page) and ok is false.
func (h *Handler) composeSavePost(s *composeSubmit) (post *snsos.Post, ok bool) {
	ctx := s.r.Context()
	at := h.composeSaveTime(s)
	accts, _, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(s.w, s.r, "list accounts", err)
		return nil, false
	}
	if len(s.fieldErrs) > 0 {
		// The time is wrong: say what else the engine would refuse, so the
		// operator fixes everything in one pass.
		if s.f.Do != "draft" {
			h.composeTikTokRefused(ctx, s, accts)
		}
		composeTextProblems(s.tr, s.f, h.composeCheck(ctx, s.tr, s.f, accts), s.fieldErrs)
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return nil, false
	}
	if s.f.Do != "draft" && h.composeTikTokRefused(ctx, s, accts) {
		composeTextProblems(s.tr, s.f, h.composeCheck(ctx, s.tr, s.f, accts), s.fieldErrs) // all in one pass
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return nil, false
	}
	post = composeBuildPost(s.f, accts, h.composeMediaRefs(ctx, s.f.Media), at)
	approve := s.f.Do != "draft"
	err = h.withEngine(func(e Engine) error {
		if s.existing != nil {
			post.ID = s.existing.ID
			return e.UpdatePost(ctx, post, approve)
		}
		return e.CreatePost(ctx, post, approve)
	})
	if err == nil {
		return post, true
	}
	var v snsos.ValidationErrors
	switch {
	case errors.As(err, &v):
		mapComposeErrors(s.tr, v, post, s.f, s.fieldErrs)
		h.composeRerender(s, http.StatusUnprocessableEntity)
	case snsos.IsCode(err, snsos.ECONFLICT):
		h.log.Warn("web: compose refused", "post", post.ID, "err", err)
		s.fieldErrs[""] = s.tr.T("compose.err.readonly")
		h.composeRerender(s, http.StatusConflict)
	case snsos.IsCode(err, snsos.EUNAVAILABLE):
		s.fieldErrs[""] = s.tr.T("compose.err.unavailable")
		h.composeRerender(s, http.StatusServiceUnavailable)
	default:
		h.serverError(s.w, s.r, "save post", err)
	}
	return nil, false
}
