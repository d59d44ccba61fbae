package compliance

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/sns-os/snsos"
)

// maxBody bounds a callback's body: a form with one signed_request.
const maxBody = MaxSignedRequest + 1024

// Routes adds the callbacks to mux. They are public (the signature is the
// credential); the server lets POST /webhooks/ past its cross-origin check.
func (s *Service) Routes(mux *http.ServeMux) {
	for _, p := range []snsos.Platform{snsos.PlatformInstagram, snsos.PlatformThreads} {
		for _, kind := range []string{KindDeauthorize, KindDataDeletion} {
			mux.HandleFunc("POST /webhooks/"+string(p)+"/"+kind, s.handler(p, kind))
		}
	}
}

// handler answers one callback: 400 with a short reason for anything that
// fails verification (nothing is changed then), 503 when a verified
// request could not be acted on (the platform tries again), else 200.
func (s *Service) handler(p snsos.Platform, kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, reason := readSignedRequest(w, r)
		if reason != "" {
			s.refused(w, p, kind, reason)
			return
		}
		v, err := Verify(raw, s.cfg.Secrets[p], s.now(), s.cfg.MaxAge)
		var re *RefusedError
		if errors.As(err, &re) {
			if len(s.cfg.Secrets[p]) == 0 {
				s.log.Warn("platform callback refused: no app secret is configured", "platform", string(p),
					"setting", "SNSOS_"+strings.ToUpper(string(p))+"_APP_SECRET")
			}
			s.refused(w, p, kind, re.Reason)
			return
		}
		ans, err := s.Callback(r.Context(), p, kind, v)
		if errors.As(err, &re) {
			s.refused(w, p, kind, re.Reason)
			return
		}
		if err != nil {
			s.log.Error("platform callback not acted on", "platform", string(p), "kind", kind, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the request could not be recorded; try again later"})
			return
		}
		writeJSON(w, http.StatusOK, ans)
	}
}

// readSignedRequest returns the signed_request form field of r, or why
// there is none.
func readSignedRequest(w http.ResponseWriter, r *http.Request) (string, string) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && ct == "application/json":
		return "", "the body is JSON; send signed_request as a form field (application/x-www-form-urlencoded)"
	case err != nil || ct != "application/x-www-form-urlencoded":
		return "", "send signed_request as a form field (application/x-www-form-urlencoded)"
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", "the body is too large"
		}
		return "", "the form cannot be read"
	}
	vals := r.PostForm["signed_request"]
	switch len(vals) {
	case 0:
		return "", "signed_request is missing"
	case 1:
		return vals[0], ""
	}
	return "", "signed_request is given more than once"
}

func (s *Service) refused(w http.ResponseWriter, p snsos.Platform, kind, reason string) {
	s.log.Info("platform callback refused", "platform", string(p), "kind", kind, "reason", reason)
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
