package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/web/form"
)

// mediaConverter is the media library's conversion to JPEG, an optional
// capability of Media (media.Library has it): it decodes a PNG, WebP or GIF
// (first frame), flattens transparency onto white, encodes a JPEG at
// quality 90 and stores it as a new item, refusing images over the
// library's limits (pixels, bytes) with ETOOLARGE.
type mediaConverter interface {
	ConvertToJPEG(ctx context.Context, id int64) (*snsos.MediaRef, error)
}

// composeConvertible are the image types "Convert to JPEG" is offered for.
var composeConvertible = []string{"image/png", "image/webp", "image/gif"}

// composeDoConvert is "Convert to JPEG" (do=convert:<media id>): the item
// becomes a new JPEG item, which takes its place in the post's media and
// in every tab's media choice, with its alt text; the form comes back
// with a notice. Nothing is saved.
func (h *Handler) composeDoConvert(s *composeSubmit, arg string) {
	ctx := s.r.Context()
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || !slices.Contains(s.f.Media, id) {
		s.fieldErrs["media"] = s.tr.T("compose.convert.not_in_post")
		h.composeRerender(s, http.StatusUnprocessableEntity)
		return
	}
	conv, ok := h.cfg.Media.(mediaConverter)
	if !ok {
		s.fieldErrs["media"] = s.tr.T("compose.convert.unavailable")
		h.composeRerender(s, http.StatusServiceUnavailable)
		return
	}
	old, err := h.cfg.Media.Get(ctx, id)
	if err == nil {
		var m *snsos.MediaRef
		if m, err = conv.ConvertToJPEG(ctx, id); err == nil {
			s.f.replaceMedia(id, m.ID)
			s.f.notice = s.tr.T("compose.convert.done", "From", composeMediaOf(old, 0).Filename, "To", composeMediaOf(m, 0).Filename)
			h.composeRerender(s, http.StatusOK)
			return
		}
	}
	status := http.StatusUnprocessableEntity
	switch {
	case snsos.IsCode(err, snsos.ETOOLARGE):
		s.fieldErrs["media"] = s.tr.T("compose.convert.too_large", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.EINVALID):
		s.fieldErrs["media"] = s.tr.T("compose.convert.invalid", "Reason", snsos.ErrorMessage(err))
	case snsos.IsCode(err, snsos.ENOTFOUND):
		s.fieldErrs["media"] = s.tr.T("compose.convert.not_in_post")
	default:
		h.log.Error("web: convert to JPEG", "media", id, "err", err)
		s.fieldErrs["media"] = s.tr.T("compose.convert.failed")
		status = http.StatusInternalServerError
	}
	h.composeRerender(s, status)
}

// replaceMedia puts media item id where old is: in the post's media, in
// every tab's media choice (at the same position) and as the owner of
// old's alt text.
func (f *composeForm) replaceMedia(old, id int64) {
	f.Media = form.ReplaceID(f.Media, old, id)
	for _, t := range f.Tabs {
		t.Media.Replace(old, id)
	}
	if alt, ok := f.Alt[old]; ok {
		f.Alt[id] = alt
		delete(f.Alt, old)
	}
}
