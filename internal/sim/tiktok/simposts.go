package tiktok

import (
	"net/http"
	"time"
)

// simPost is one item of GET /__sim/posts.
type simPost struct {
	ID          string `json:"id"` // the publish_id
	Account     string `json:"account"`
	OpenID      string `json:"open_id"`
	Text        string `json:"text"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	MediaType   string `json:"media_type"`
	MediaCount  int    `json:"media_count"`
	CreatedAt   string `json:"created_at"`
	// PrivacyLevel is "" for an inbox upload the user has not posted yet.
	PrivacyLevel string `json:"privacy_level"`
	Mode         string `json:"mode"`
	Status       string `json:"status"`
	FailReason   string `json:"fail_reason,omitempty"`
	PublicID     string `json:"public_id"`
	SHA256       string `json:"sha256,omitempty"`
}

// text is what a post says: a video's title, a photo post's description
// (its title when it has none).
func (p *Post) text() string {
	if p.MediaType == MediaTypePhoto && p.Description != "" {
		return p.Description
	}
	return p.Title
}

// handleSimPosts serves GET /__sim/posts: {"items":[…]}, every publish
// (direct posts and inbox uploads, in every state), oldest first. It is
// not part of TikTok.
func (s *Sim) handleSimPosts(w http.ResponseWriter, r *http.Request) {
	posts := s.Posts()
	items := make([]simPost, 0, len(posts))
	for _, p := range posts {
		n := len(p.Media)
		if p.Source == SourceFile {
			n = 1
		}
		items = append(items, simPost{
			ID: p.PublishID, Account: p.Username, OpenID: p.OpenID, Text: p.text(), Title: p.Title,
			Description: p.Description, MediaType: p.MediaType, MediaCount: n,
			CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), PrivacyLevel: p.PrivacyLevel, Mode: p.Mode,
			Status: p.Status, FailReason: p.FailReason, PublicID: p.PublicID, SHA256: p.SHA256,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// handleSimFinishInbox serves POST /__sim/inbox/finish (not part of
// TikTok): form fields publish_id and privacy (PUBLIC_TO_EVERYONE, the
// default, or SELF_ONLY). It acts as the user who opens an inbox upload in
// the TikTok app and posts it (FinishInbox), so a demo or a test run over
// HTTP can make a public video id appear. It answers the post as GET
// /__sim/posts lists it, or 400 with {"error": …} when the upload is not
// waiting in the inbox.
func (s *Sim) handleSimFinishInbox(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	id := r.PostFormValue("publish_id")
	public := true
	switch r.PostFormValue("privacy") {
	case "", PrivacyPublic:
	case PrivacySelfOnly:
		public = false
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "privacy is " + PrivacyPublic + " or " + PrivacySelfOnly})
		return
	}
	if err := s.FinishInbox(id, public); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	for _, p := range s.Posts() {
		if p.PublishID == id {
			writeJSON(w, http.StatusOK, map[string]any{"id": p.PublishID, "status": p.Status,
				"privacy_level": p.PrivacyLevel, "public_id": p.PublicID})
			return
		}
	}
}
