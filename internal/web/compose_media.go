package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sns-os/snsos"
)

type composeMediaJSON struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	Mime     string `json:"mime"`
	URL      string `json:"url"`
	Image    bool   `json:"image"`
}

func composeMediaJSONOf(m *snsos.MediaRef) composeMediaJSON {
	return composeMediaJSON{ID: m.ID, Filename: m.Filename, Mime: m.Mime, URL: mediaPath(m.ID), Image: m.IsImage()}
}

// mediaPath is where a library file is served to the signed-in operator.
func mediaPath(id int64) string { return "/media/" + strconv.FormatInt(id, 10) }

// handleComposeUpload streams the request body (the file itself) into the
// media library. The file name comes from the X-Filename header
// (URL-encoded) or the name query parameter.
func (h *Handler) handleComposeUpload(w http.ResponseWriter, r *http.Request) {
	tr := newTranslator(pickLang(r), nil)
	if h.cfg.Media == nil {
		composeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": tr.T("compose.upload.unavailable")})
		return
	}
	name := r.URL.Query().Get("name")
	if hn := r.Header.Get("X-Filename"); hn != "" {
		if un, err := url.QueryUnescape(hn); err == nil {
			name = un
		}
	}
	m, err := h.cfg.Media.Upload(r.Context(), r.Body, name)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case snsos.IsCode(err, snsos.ETOOLARGE):
			status = http.StatusRequestEntityTooLarge
		case snsos.IsCode(err, snsos.EINVALID):
			status = http.StatusUnprocessableEntity
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled):
		default:
			if snsos.ErrorCode(err) == snsos.EINTERNAL {
				h.log.Error("web: upload", "err", err)
				status = http.StatusInternalServerError
			}
		}
		h.log.Warn("web: upload refused", "err", err)
		composeJSON(w, status, map[string]string{"error": uploadMessage(tr, err)})
		return
	}
	composeJSON(w, http.StatusCreated, composeMediaJSONOf(m))
}

// uploadMessage says why an upload failed and what to do.
func uploadMessage(tr *translator, err error) string {
	switch {
	case snsos.IsCode(err, snsos.ETOOLARGE):
		return tr.T("compose.upload.too_large", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.EINVALID):
		return tr.T("compose.upload.invalid", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.EUNAVAILABLE):
		return tr.T("compose.upload.unavailable")
	}
	return tr.T("compose.upload.interrupted")
}

func (h *Handler) handleComposeMediaList(w http.ResponseWriter, r *http.Request) {
	out := []composeMediaJSON{}
	if h.cfg.Media != nil {
		list, err := h.cfg.Media.List(r.Context(), 100)
		if err != nil {
			h.serverError(w, r, "list media", err)
			return
		}
		for _, m := range list {
			out = append(out, composeMediaJSONOf(m))
		}
	}
	composeJSON(w, http.StatusOK, out)
}

// handleComposeMediaFile streams a library file to the signed-in operator
// (thumbnails and previews).
func (h *Handler) handleComposeMediaFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || h.cfg.Media == nil {
		http.NotFound(w, r)
		return
	}
	rc, m, err := h.cfg.Media.Open(r.Context(), id)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "open media", err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", m.Mime)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Disposition", "inline")
	io.Copy(w, rc)
}
