package web

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store"
)

// composeRoutes mounts the compose pages: writing, checking, saving,
// approving and scheduling a post, and the media the editor uses.
func (h *Handler) composeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /compose", h.page(h.handleCompose))
	mux.Handle("POST /compose", h.page(h.handleComposeSubmit))
	mux.Handle("POST /compose/check", h.page(h.handleComposeCheck))
	mux.Handle("GET /posts/{id}/edit", h.page(h.handleComposeEdit))
	mux.Handle("POST /posts/{id}/edit", h.page(h.handleComposeSubmit))
	mux.Handle("POST /posts/{id}/duplicate", h.page(h.handleComposeDuplicate))
	mux.Handle("POST /media", h.page(h.handleComposeUpload))
	mux.Handle("GET /media", h.page(h.handleComposeMediaList))
	mux.Handle("GET /media/{id}", h.page(h.handleComposeMediaFile))
}

// The post page shows what a compose action did.
func init() {
	for _, f := range []string{"compose.approved", "compose.scheduled", "compose.saved", "compose.now", "compose.now.tiktok"} {
		flashes[f] = false
	}
	flashes["compose.readonly"] = true
}

// composePlatform is one platform's plug-in in the editor: its tab, its
// preview and its rules (internal/rules). Adding a platform adds an entry.
type composePlatform struct {
	Platform snsos.Platform
	// Thread reports that a post may be a thread of parts (Options["parts"]).
	Thread bool
	// Fields are the target options the platform's tab has a field for,
	// besides parts (form field <option>_<platform>). The tab carries its
	// target's other options through the form as they are.
	Fields []string
	// Preview is how the platform shows a post: "x" (text, then up to
	// four images), "threads" (text, then a row of media), "instagram"
	// (the media, then the folded caption) or "tiktok" (the video or first
	// photo in a 9:16 frame, the caption over its bottom).
	Preview string
}

var composePlatforms = []composePlatform{
	{Platform: snsos.PlatformX, Thread: true, Preview: "x"},
	{Platform: snsos.PlatformThreads, Thread: true, Fields: []string{rules.OptTopicTag, rules.OptLinkAttachment}, Preview: "threads"},
	{Platform: snsos.PlatformInstagram, Fields: []string{rules.OptMediaType, rules.OptShareToFeed, rules.OptFirstComment}, Preview: "instagram"},
	{Platform: snsos.PlatformTikTok, Fields: []string{rules.OptPrivacyLevel, rules.OptDisableComment, rules.OptDisableDuet,
		rules.OptDisableStitch, rules.OptBrandOrganic, rules.OptBrandContent, rules.OptTitle}, Preview: "tiktok"},
}

func composePlatformOf(p snsos.Platform) (composePlatform, bool) {
	for _, cp := range composePlatforms {
		if cp.Platform == p {
			return cp, true
		}
	}
	return composePlatform{}, false
}

func (h *Handler) handleCompose(w http.ResponseWriter, r *http.Request) {
	f := &composeForm{Token: newComposeToken()}
	if at := r.URL.Query().Get("at"); at != "" {
		if t, err := time.ParseInLocation("2006-01-02T15:04", at, h.location()); err == nil {
			f.Date, f.Time = t.Format("2006-01-02"), t.Format("15:04")
		}
	}
	f.Zone = h.location().String()
	ctx := r.Context()
	accts, _, err := h.composeAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	// A single connected account is chosen for the operator.
	var connected []int64
	for id, a := range accts {
		if a.Status == snsos.AccountConnected {
			connected = append(connected, id)
		}
	}
	if len(connected) == 1 {
		f.Accounts = connected
	}
	h.renderCompose(w, r, http.StatusOK, f, nil, nil)
}

func (h *Handler) handleComposeEdit(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	if !postEditable(post) {
		http.Redirect(w, r, postHref(post.ID)+"?flash=compose.readonly", http.StatusSeeOther)
		return
	}
	f := composeFormOfPost(post, h.location())
	f.Token = newComposeToken()
	h.renderCompose(w, r, http.StatusOK, f, post, nil)
}

// postEditable reports whether a post's content may still change: while
// every target is draft, approved or scheduled.
func postEditable(p *snsos.Post) bool {
	for _, t := range p.Targets {
		if !slices.Contains(store.EditableStates, t.State) {
			return false
		}
	}
	return true
}

func (h *Handler) handleComposeDuplicate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	p := duplicatePost(src)
	if err := h.store.CreatePost(ctx, p, nil); err != nil {
		h.afterAction(w, r, src.ID, "action", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, postHref(p.ID)+"/edit?flash=duplicated", http.StatusSeeOther)
}

// duplicatePost is the copy of src that Duplicate saves: a draft with the
// same text, media (with alt texts), accounts, overrides, options and
// media per target (nil and empty kept apart); no time and no approval.
// TikTok settings are never copied (ui-guide §3).
func duplicatePost(src *snsos.Post) *snsos.Post {
	p := &snsos.Post{Body: src.Body, MediaIDs: slices.Clone(src.MediaIDs), MediaAlt: maps.Clone(src.MediaAlt)}
	for _, t := range src.Targets {
		nt := &snsos.Target{AccountID: t.AccountID, Body: t.Body, State: snsos.StateDraft, MediaIDs: slices.Clone(t.MediaIDs)}
		if t.Platform != snsos.PlatformTikTok && len(t.Options) > 0 {
			nt.Options = maps.Clone(t.Options)
		}
		p.Targets = append(p.Targets, nt)
	}
	return p
}
