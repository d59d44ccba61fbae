package api

import (
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
)

// Handlers read top to bottom: parse → validate → act → respond. Business
// rules live behind Engine, Connector, Metrics and Media.

// ---- accounts ----

func (a *API) handleListAccounts(w http.ResponseWriter, r *http.Request) {
	accounts, err := a.store.ListAccounts(r.Context())
	if err != nil {
		a.error(w, r, err)
		return
	}
	items := make([]accountJSON, 0, len(accounts))
	for _, x := range accounts {
		items = append(items, a.accountView(x))
	}
	writeJSON(w, http.StatusOK, newList(items))
}

type connectRequest struct {
	Platform string `json:"platform"`
}

func (a *API) handleConnectAccount(w http.ResponseWriter, r *http.Request) {
	var req connectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	if req.Platform == "" {
		a.error(w, r, invalid("platform", "required", "choose a platform: x, instagram, threads or tiktok"))
		return
	}
	p, err := snsos.ParsePlatform(req.Platform)
	if err != nil {
		a.error(w, r, invalid("platform", "enum", "must be one of x, instagram, threads, tiktok"))
		return
	}
	u, err := a.connector.StartConnect(r.Context(), p, "")
	if err != nil {
		a.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, connectJSON{AuthorizeURL: u})
}

// updateAccountRequest is the body of PATCH /accounts/{id}: the account
// options to set. The only one is TikTok's publish_mode.
type updateAccountRequest struct {
	Options map[string]string `json:"options"`
}

func (a *API) handleUpdateAccount(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "account")
	if err != nil {
		a.error(w, r, err)
		return
	}
	var req updateAccountRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	acct, err := a.store.FindAccountByID(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	var v snsos.ValidationErrors
	if len(req.Options) == 0 {
		v.Add("options", "required", `give the settings to change, e.g. {"options": {"publish_mode": "inbox"}}`)
	}
	for _, k := range slices.Sorted(maps.Keys(req.Options)) {
		if k != publish.AccountPublishMode {
			v.Add("options."+k, "unknown", "%.40q is not an account setting; the only one is publish_mode (TikTok accounts)", k)
		}
	}
	if err := v.Err(); err != nil {
		a.error(w, r, err)
		return
	}
	set, err := publish.PublishModeOptions(acct, req.Options[publish.AccountPublishMode])
	if err != nil {
		a.error(w, r, err)
		return
	}
	acct, err = a.store.MergeAccountOptions(r.Context(), id, set, "operator")
	if err != nil {
		a.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.accountView(acct))
}

// ---- media ----

func (a *API) handleListMedia(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 1000)
	if err != nil {
		a.error(w, r, err)
		return
	}
	refs, err := a.store.ListMedia(r.Context(), int(limit))
	if err != nil {
		a.error(w, r, err)
		return
	}
	items := make([]mediaJSON, 0, len(refs))
	for _, m := range refs {
		items = append(items, a.mediaView(m))
	}
	writeJSON(w, http.StatusOK, newList(items))
}

func (a *API) handleGetMedia(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "media")
	if err != nil {
		a.error(w, r, err)
		return
	}
	m, err := a.store.FindMediaByID(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	v := a.mediaView(m)
	if a.mediaURL != nil {
		v.URL, v.URLExpires = a.mediaURL(m.ID)
		v.URLExpires = a.at(v.URLExpires)
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) handleDeleteMedia(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "media")
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.media.Delete(r.Context(), id); err != nil {
		a.error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// handleConvertMedia makes a converted copy of a media item as a new item:
// {"to": "jpeg"} (the only conversion so far). Nothing is converted unless
// the operator asks.
func (a *API) handleConvertMedia(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "media")
	if err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		To string `json:"to"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if in.To != "jpeg" {
		var v snsos.ValidationErrors
		v.Add("to", "one_of", "the only conversion is to \"jpeg\"")
		a.error(w, r, v.Err())
		return
	}
	m, err := a.media.ConvertToJPEG(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/media/"+strconv.FormatInt(m.ID, 10))
	writeJSON(w, http.StatusCreated, a.mediaView(m))
}

var errUploadType = snsos.Errorf(eUnsupportedMediaType,
	`Send the file as multipart/form-data in the field "file", or as the raw body with its own Content-Type.`)

// handleUploadMedia takes a file as the multipart field "file" or as the
// raw body. The request is capped at maxUpload; the media layer sniffs the
// type and applies the per-type caps.
func (a *API) handleUploadMedia(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, a.maxUpload)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		a.error(w, r, errUploadType)
		return
	}
	var m *snsos.MediaRef
	switch mt {
	case "multipart/form-data":
		m, err = a.uploadMultipart(r)
	case "application/json", "application/x-www-form-urlencoded", "multipart/mixed":
		err = errUploadType
	default:
		m, err = a.uploadRaw(r)
	}
	if err != nil {
		a.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/media/"+strconv.FormatInt(m.ID, 10))
	writeJSON(w, http.StatusCreated, a.mediaView(m))
}

func (a *API) uploadMultipart(r *http.Request) (*snsos.MediaRef, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, snsos.WrapError(snsos.EINVALID, err, "The multipart body has no boundary.")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, invalid("file", "required", `attach the file in the multipart field "file"`)
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, snsos.WrapError(snsos.EINVALID, err, "The multipart body is malformed.")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		defer part.Close()
		return a.media.Upload(r.Context(), part, cleanFilename(part.FileName()))
	}
}

func (a *API) uploadRaw(r *http.Request) (*snsos.MediaRef, error) {
	if r.ContentLength == 0 {
		return nil, invalid("file", "required", "the body is empty; send the file's bytes")
	}
	name := r.URL.Query().Get("filename")
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		name = params["filename"]
	}
	return a.media.Upload(r.Context(), r.Body, cleanFilename(name))
}

// cleanFilename keeps the last element of a client-supplied name (it is for
// display only).
func cleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// ---- posts ----

type targetInput struct {
	AccountID int64          `json:"account_id"`
	Body      string         `json:"body"`
	Options   map[string]any `json:"options"`
	// MediaIDs is the target's own media, in its order: absent (or null)
	// for the post's media, [] for none, else a subset of the post's.
	MediaIDs []int64 `json:"media_ids"`
}

type createPostRequest struct {
	Body     string  `json:"body"`
	MediaIDs []int64 `json:"media_ids"`
	// MediaAlt is the alt text of media items by media id ("12": "…").
	// The keys are read as strings and parsed here, so that a key that is
	// not an id is named as such (encoding/json would call it a value).
	MediaAlt    map[string]string `json:"media_alt"`
	Targets     []targetInput     `json:"targets"`
	ScheduledAt string            `json:"scheduled_at"`
	Approve     bool              `json:"approve"`
}

func (a *API) handleCreatePost(w http.ResponseWriter, r *http.Request) {
	var req createPostRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	p, err := req.post()
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.engine.CreatePost(r.Context(), p, req.Approve); err != nil {
		a.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/posts/"+strconv.FormatInt(p.ID, 10))
	a.respondPost(w, r, http.StatusCreated, p.ID)
}

// handleUpdatePost saves an edited post: the same body as POST /posts,
// which replaces the post's text, media, time and targets (matched to the
// stored ones by account). Editing is refused (409) once a target has
// started publishing; approve works as on create.
func (a *API) handleUpdatePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	var req createPostRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	p, err := req.post()
	if err != nil {
		a.error(w, r, err)
		return
	}
	p.ID = id
	if err := a.engine.UpdatePost(r.Context(), p, req.Approve); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondPost(w, r, http.StatusOK, id)
}

// post reads the post a create or update request describes.
func (req *createPostRequest) post() (*snsos.Post, error) {
	p := &snsos.Post{Body: req.Body, MediaIDs: req.MediaIDs}
	var v snsos.ValidationErrors
	for _, key := range slices.Sorted(maps.Keys(req.MediaAlt)) {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			v.Add("media_alt["+strconv.Quote(key)+"]", "key", "the keys of media_alt are media ids (positive integers from media_ids)")
			continue
		}
		text := req.MediaAlt[key]
		if strings.TrimSpace(text) == "" {
			continue // an empty description is no description
		}
		if p.MediaAlt == nil {
			p.MediaAlt = map[int64]string{}
		}
		p.MediaAlt[id] = text
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if req.ScheduledAt != "" {
		at, err := parseTime("scheduled_at", req.ScheduledAt)
		if err != nil {
			return nil, err
		}
		p.ScheduledAt = at
	}
	for _, t := range req.Targets {
		p.Targets = append(p.Targets, &snsos.Target{AccountID: t.AccountID, Body: t.Body, Options: t.Options, MediaIDs: t.MediaIDs})
	}
	return p, nil
}

func (a *API) handleListPosts(w http.ResponseWriter, r *http.Request) {
	f := store.PostFilter{Limit: 50}
	var v snsos.ValidationErrors
	if s := r.URL.Query().Get("state"); s != "" {
		if f.State = snsos.TargetState(s); !f.State.Valid() {
			v.Add("state", "enum", "must be a delivery state: draft, approved, scheduled, publishing, retry_wait, unknown, needs_operator, published, failed or canceled")
		}
	}
	limit, err := queryInt(r, "limit", 500)
	if err != nil {
		v.Add("limit", "range", "must be an integer from 1 to 500")
	} else if limit > 0 {
		f.Limit = int(limit)
	}
	if f.BeforeID, err = queryInt(r, "before", 0); err != nil {
		v.Add("before", "positive", "must be a positive post id")
	}
	if err := v.Err(); err != nil {
		a.error(w, r, err)
		return
	}
	posts, err := a.store.ListPosts(r.Context(), f)
	if err != nil {
		a.error(w, r, err)
		return
	}
	items := make([]postJSON, 0, len(posts))
	for _, p := range posts {
		items = append(items, a.postView(p, nil, false))
	}
	out := newList(items)
	if len(posts) == f.Limit {
		out.NextBefore = posts[len(posts)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) handleGetPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.respondPost(w, r, http.StatusOK, id)
}

func (a *API) handleApprovePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.Approve(r.Context(), id); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondPost(w, r, http.StatusOK, id)
}

type scheduleRequest struct {
	ScheduledAt string `json:"scheduled_at"`
}

func (a *API) handleSchedulePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	var req scheduleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	if req.ScheduledAt == "" {
		a.error(w, r, invalid("scheduled_at", "required", "say when to publish, e.g. 2026-12-24T09:00:00+09:00"))
		return
	}
	at, err := parseTime("scheduled_at", req.ScheduledAt)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.Schedule(r.Context(), id, at); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondPost(w, r, http.StatusOK, id)
}

func (a *API) handleCancelPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.Cancel(r.Context(), id); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondPost(w, r, http.StatusOK, id)
}

// handleDeletePost deletes a post record (refused while a target is
// scheduled or in flight). Its media that no other post uses are offered
// for deletion in the answer (media_unused), and deleted at once with
// ?delete_media=true; media still in use elsewhere is kept.
func (a *API) handleDeletePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "post")
	if err != nil {
		a.error(w, r, err)
		return
	}
	withMedia := false
	if v := r.URL.Query().Get("delete_media"); v != "" {
		if withMedia, err = strconv.ParseBool(v); err != nil {
			var ve snsos.ValidationErrors
			ve.Add("delete_media", "bool", "use true or false")
			a.error(w, r, ve.Err())
			return
		}
	}
	unused, err := a.store.DeletePost(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := struct {
		Deleted      bool    `json:"deleted"`
		MediaUnused  []int64 `json:"media_unused"`
		MediaDeleted []int64 `json:"media_deleted"`
	}{Deleted: true, MediaUnused: []int64{}, MediaDeleted: []int64{}}
	for _, mid := range unused {
		if withMedia {
			if err := a.media.Delete(r.Context(), mid); err == nil {
				out.MediaDeleted = append(out.MediaDeleted, mid)
				continue
			} else if !snsos.IsCode(err, snsos.ECONFLICT) && !snsos.IsCode(err, snsos.ENOTFOUND) {
				a.log.Error("delete media of a deleted post", "media_id", mid, "err", err)
			}
		}
		out.MediaUnused = append(out.MediaUnused, mid)
	}
	writeJSON(w, http.StatusOK, out)
}

// respondPost answers with the post as stored now, targets with their
// attempts and metrics.
func (a *API) respondPost(w http.ResponseWriter, r *http.Request, status int, id int64) {
	p, err := a.store.FindPostByID(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	v, err := a.postDetail(r.Context(), p)
	if err != nil {
		a.error(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// ---- targets ----

func (a *API) handleGetTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "target")
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.respondTarget(w, r, id)
}

func (a *API) handleRetryTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "target")
	if err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.RetryTarget(r.Context(), id); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondTarget(w, r, id)
}

func (a *API) handleReconcileTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "target")
	if err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.ReconcileTarget(r.Context(), id); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondTarget(w, r, id)
}

// The outcomes an operator may report for a target in needs_operator.
const (
	outcomePublished    = "published"
	outcomeNotPublished = "not_published"
)

type resolveRequest struct {
	// Outcome is what the operator found on the platform: "published"
	// (then RemoteURL is the post's link) or "not_published".
	Outcome   string `json:"outcome"`
	RemoteURL string `json:"remote_url"`
}

// handleResolveTarget records what the operator found on the platform for
// a target that waits for them (needs_operator):
// {"outcome":"published","remote_url":"https://x.com/…/status/…"} or
// {"outcome":"not_published"} (the target fails; retry posts it again).
// Any other state is 409.
func (a *API) handleResolveTarget(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "target")
	if err != nil {
		a.error(w, r, err)
		return
	}
	var req resolveRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.error(w, r, err)
		return
	}
	var res publish.Resolution
	var v snsos.ValidationErrors
	switch req.Outcome {
	case outcomePublished:
		res = publish.Resolution{Published: true, RemoteURL: strings.TrimSpace(req.RemoteURL)}
		if res.RemoteURL == "" {
			v.Add("remote_url", "required", "give the post's link on the platform, e.g. https://x.com/handle/status/1234567890")
		}
	case outcomeNotPublished:
		if strings.TrimSpace(req.RemoteURL) != "" {
			v.Add("remote_url", "absent", "a post that is not published has no link: leave remote_url out, or use the outcome \"published\"")
		}
	case "":
		v.Add("outcome", "required", `say what you found on the platform: "published" (with remote_url) or "not_published"`)
	default:
		v.Add("outcome", "enum", `must be "published" or "not_published"`)
	}
	if err := v.Err(); err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.engine.ResolveTarget(r.Context(), id, res); err != nil {
		a.error(w, r, err)
		return
	}
	a.respondTarget(w, r, id)
}

func (a *API) handleRefreshMetrics(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "target")
	if err != nil {
		a.error(w, r, err)
		return
	}
	snap, err := a.metrics.RefreshNow(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.snapshotView(snap))
}

// respondTarget answers with the target as stored now, with its attempts
// and metrics.
func (a *API) respondTarget(w http.ResponseWriter, r *http.Request, id int64) {
	t, err := a.store.FindTargetByID(r.Context(), id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	v, err := a.targetDetail(r.Context(), t)
	if err != nil {
		a.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
