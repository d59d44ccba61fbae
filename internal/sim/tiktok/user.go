package tiktok

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// The privacy levels of the Content Posting API.
const (
	PrivacyPublic    = "PUBLIC_TO_EVERYONE"
	PrivacyMutual    = "MUTUAL_FOLLOW_FRIENDS"
	PrivacyFollowers = "FOLLOWER_OF_CREATOR"
	PrivacySelfOnly  = "SELF_ONLY"
)

// AddUser creates an account, or returns the existing one with that
// username. An empty display name defaults to the username.
func (s *Sim) AddUser(username, displayName string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUserLocked(username, displayName)
}

func (s *Sim) addUserLocked(username, displayName string) *User {
	if u, ok := s.byName[strings.ToLower(username)]; ok {
		return u
	}
	if displayName == "" {
		displayName = username
	}
	seed := fmt.Sprintf("%s#%d", username, len(s.users))
	u := &User{OpenID: uuidLike(graph.Seed("open:"+seed), graph.Seed("id:"+seed)),
		UnionID:  uuidLike(graph.Seed("union:"+seed), graph.Seed("uid:"+seed)),
		Username: username, DisplayName: displayName,
		Creator: Creator{MaxVideoPostDurationSec: DefaultMaxDurationSec}}
	s.users = append(s.users, u)
	s.byID[u.OpenID] = u
	s.byName[strings.ToLower(username)] = u
	return u
}

// uuidLike formats two seeds as a version-4-looking UUID, the shape of
// TikTok's open_id and union_id.
func uuidLike(a, b uint64) string {
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", a>>32, a>>16&0xffff, a&0xfff, b>>52, b&0xffffffffffff)
}

// SetCreator replaces the creator settings of the account with this
// open_id. A zero MaxVideoPostDurationSec means the default (300).
func (s *Sim) SetCreator(openID string, c Creator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byID[openID]
	if u == nil {
		return fmt.Errorf("tiktok sim: SetCreator: no account with open_id %q; create it with AddUser", openID)
	}
	if c.MaxVideoPostDurationSec <= 0 {
		c.MaxVideoPostDurationSec = DefaultMaxDurationSec
	}
	u.Creator = c
	return nil
}

// Users returns every account in creation order.
func (s *Sim) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = *u
	}
	return out
}

// userFields maps each user info field to the scope it needs.
var userFields = map[string]string{
	"open_id": ScopeUserBasic, "union_id": ScopeUserBasic, "avatar_url": ScopeUserBasic,
	"avatar_url_100": ScopeUserBasic, "avatar_large_url": ScopeUserBasic, "display_name": ScopeUserBasic,
	"bio_description": ScopeUserProfile, "profile_deep_link": ScopeUserProfile,
	"is_verified": ScopeUserProfile, "username": ScopeUserProfile,
	"follower_count": ScopeUserStats, "following_count": ScopeUserStats,
	"likes_count": ScopeUserStats, "video_count": ScopeUserStats,
}

// handleUserInfo serves GET /v2/user/info/?fields=…: only the requested
// fields, each needing its scope (400 scope_permission_missed).
func (s *Sim) handleUserInfo(w http.ResponseWriter, r *http.Request, c caller) {
	fields := splitList(r.URL.Query().Get("fields"))
	if len(fields) == 0 {
		s.writeErr(w, errParams("fields is required, e.g. fields=open_id,union_id,avatar_url,display_name"))
		return
	}
	for _, f := range fields {
		scope, ok := userFields[f]
		switch {
		case !ok:
			s.writeErr(w, errParams("unknown field "+f))
			return
		case !c.has(scope):
			s.writeErr(w, apiError{Status: http.StatusBadRequest, Code: codeScopeMissed,
				Message: "The field " + f + " needs the scope " + scope + ", which the user did not grant."})
			return
		}
	}
	avatar := s.base(r) + "/__sim/avatars/" + c.user.OpenID + ".jpg"
	s.mu.Lock()
	seed := graph.Seed(c.user.OpenID)
	all := map[string]any{
		"open_id": c.user.OpenID, "union_id": c.user.UnionID, "avatar_url": avatar,
		"avatar_url_100": avatar, "avatar_large_url": avatar, "display_name": c.user.DisplayName,
		"bio_description": "", "profile_deep_link": "https://www.tiktok.com/@" + c.user.Username,
		"is_verified": false, "username": c.user.Username,
		"follower_count": int64(100 + seed%5000), "following_count": int64(10 + seed>>16%500),
		"likes_count": int64(seed >> 32 % 20000), "video_count": int64(s.publicCountLocked(c.user.OpenID)),
	}
	s.mu.Unlock()
	user := make(map[string]any, len(fields))
	for _, f := range fields {
		user[f] = all[f]
	}
	s.writeData(w, map[string]any{"user": user})
}

// privacyOptions returns the privacy levels u may post with.
func (s *Sim) privacyOptions(u *User) []string {
	switch {
	case s.opts.Unaudited:
		return []string{PrivacySelfOnly}
	case u.Private:
		return []string{PrivacyFollowers, PrivacyMutual, PrivacySelfOnly}
	default:
		return []string{PrivacyPublic, PrivacyMutual, PrivacySelfOnly}
	}
}

// handleCreatorInfo serves POST /v2/post/publish/creator_info/query/. A
// creator who may not post now gets the spam error with HTTP 200, as
// TikTok answers.
func (s *Sim) handleCreatorInfo(w http.ResponseWriter, r *http.Request, c caller) {
	avatar := s.base(r) + "/__sim/avatars/" + c.user.OpenID + ".jpg"
	s.mu.Lock()
	u := *c.user
	var refusal *apiError
	if u.BannedFromPosting {
		refusal = &apiError{Code: codeBanned, Message: msgBanned}
	} else {
		refusal = s.capLocked(c.user, false)
	}
	s.mu.Unlock()
	if refusal != nil {
		refusal.Status = http.StatusOK
		s.writeErr(w, *refusal)
		return
	}
	s.writeData(w, map[string]any{
		"creator_avatar_url": avatar, "creator_username": u.Username, "creator_nickname": u.DisplayName,
		"privacy_level_options": s.privacyOptions(&u), "comment_disabled": u.CommentDisabled,
		"duet_disabled": u.DuetDisabled, "stitch_disabled": u.StitchDisabled,
		"max_video_post_duration_sec": u.MaxVideoPostDurationSec,
	})
}

// handleImage serves GET /__sim/avatars/{open_id}.jpg and
// /__sim/covers/{video_id}.jpg: a plain JPEG in a colour derived from the
// id.
func (s *Sim) handleImage(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	s.mu.Lock()
	known := s.byID[id] != nil || s.byPublic[id] != nil
	s.mu.Unlock()
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=7200")
	_, _ = w.Write(graph.AvatarJPEG(id))
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for it := range strings.SplitSeq(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}
