package x

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Error texts X sends for refused posts [COMMUNITY, via the research doc].
const (
	detailDuplicate = "You are not allowed to create a Tweet with duplicate content."
	detailTooLong   = "Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text."
	detailReply     = "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."
	detailQuote     = "Quoting this post is not allowed because you have not been mentioned or are not part of the conversation thread of the post you are quoting."
	detailReplyGone = "You attempted to reply to a Tweet that is deleted or not visible to you."
	detailEdit      = "You are not permitted to edit this Post."
	msgMediaIDs     = "Your media IDs are invalid."
)

// Allowed keys of the POST /2/tweets body and of its objects; the schema
// says additionalProperties: false at every level.
var tweetSchema = map[string][]string{
	"$": {"text", "media", "reply", "quote_tweet_id", "poll", "reply_settings", "made_with_ai",
		"paid_partnership", "for_super_followers_only", "nullcast", "community_id",
		"share_with_followers", "card_uri", "geo", "edit_options", "direct_message_deep_link"},
	"$.media":        {"media_ids", "tagged_user_ids"},
	"$.reply":        {"in_reply_to_tweet_id", "exclude_reply_user_ids", "auto_populate_reply_metadata"},
	"$.poll":         {"options", "duration_minutes", "reply_settings"},
	"$.geo":          {"place_id"},
	"$.edit_options": {"previous_post_id"},
}

// checkSchema returns a message for the first unknown key in raw.
func checkSchema(path string, raw json.RawMessage) string {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return path + ": must be an object"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(tweetSchema[path], k) {
			return path + "." + k + ": is not defined in the schema and the schema does not allow additional properties"
		}
		if _, nested := tweetSchema[path+"."+k]; nested && !bytes.Equal(bytes.TrimSpace(obj[k]), []byte("null")) {
			if msg := checkSchema(path+"."+k, obj[k]); msg != "" {
				return msg
			}
		}
	}
	return ""
}

type createTweet struct {
	Text  *string `json:"text"`
	Media *struct {
		MediaIDs      []string `json:"media_ids"`
		TaggedUserIDs []string `json:"tagged_user_ids"`
	} `json:"media"`
	Reply *struct {
		InReplyToTweetID string   `json:"in_reply_to_tweet_id"`
		Exclude          []string `json:"exclude_reply_user_ids"`
		AutoPopulate     bool     `json:"auto_populate_reply_metadata"`
	} `json:"reply"`
	QuoteTweetID string `json:"quote_tweet_id"`
	Poll         *struct {
		Options         []string `json:"options"`
		DurationMinutes int      `json:"duration_minutes"`
		ReplySettings   string   `json:"reply_settings"`
	} `json:"poll"`
	ReplySettings         string          `json:"reply_settings"`
	MadeWithAI            bool            `json:"made_with_ai"`
	PaidPartnership       bool            `json:"paid_partnership"`
	ForSuperFollowersOnly bool            `json:"for_super_followers_only"`
	Nullcast              bool            `json:"nullcast"`
	CommunityID           string          `json:"community_id"`
	ShareWithFollowers    bool            `json:"share_with_followers"`
	CardURI               string          `json:"card_uri"`
	Geo                   json.RawMessage `json:"geo"`
	EditOptions           *struct {
		PreviousPostID string `json:"previous_post_id"`
	} `json:"edit_options"`
	DirectMessageDeepLink string `json:"direct_message_deep_link"`
}

// handleCreateTweet serves POST /2/tweets.
func (s *Sim) handleCreateTweet(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	req, ok := readCreateTweet(w, r)
	if !ok {
		return
	}
	text := ""
	if req.Text != nil {
		text = *req.Text
	}
	var mediaIDs []string
	if req.Media != nil {
		mediaIDs = req.Media.MediaIDs
	}
	if msg := createTweetInvalid(req, text, mediaIDs); msg != "" {
		invalidMessage(w, msg)
		return
	}
	if detail := s.createTweetForbidden(req, text); detail != "" {
		forbidden(w, detail)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if msg := s.checkMediaLocked(mediaIDs, c.user.ID, now); msg != "" {
		s.log.Info("xsim: media refused", "reason", msg)
		invalidRequest(w, errorEntry{Parameters: map[string][]string{"media.media_ids": mediaIDs}, Message: msgMediaIDs})
		return
	}
	var parent *Post
	if req.Reply != nil {
		parent = s.postsByID[req.Reply.InReplyToTweetID]
		if parent == nil || parent.Deleted {
			forbidden(w, detailReplyGone)
			return
		}
		if parent.AuthorID != c.user.ID && !s.opts.AllowReplyToOthers {
			forbidden(w, detailReply)
			return
		}
	}
	dupKey := c.user.ID + "\x00" + text
	if prev := s.dupes[dupKey]; !s.allowDups && text != "" && prev != nil && !prev.Deleted && now.Sub(prev.CreatedAt) < s.opts.DuplicateWindow {
		forbidden(w, detailDuplicate)
		return
	}
	p := s.addPostLocked(c.user.ID, text, mediaIDs, parent, dupKey, now)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"id": p.ID, "text": p.Text, "edit_history_tweet_ids": p.EditHistoryIDs,
	}})
}

// readCreateTweet reads the body of POST /2/tweets, answering 400 when it
// cannot be read, has a key the schema does not define or is not JSON.
func readCreateTweet(w http.ResponseWriter, r *http.Request) (*createTweet, bool) {
	raw, err := readAll(w, r, 1<<20)
	if err != nil {
		invalidMessage(w, "Could not read request body.")
		return nil, false
	}
	if msg := checkSchema("$", raw); msg != "" {
		invalidMessage(w, msg)
		return nil, false
	}
	var req createTweet
	if err := json.Unmarshal(raw, &req); err != nil {
		invalidMessage(w, "Invalid JSON body: "+err.Error())
		return nil, false
	}
	return &req, true
}

// createTweetInvalid is the message of the 400 X answers a new post's
// fields with, "" when they are valid: media ids, fields that exclude each
// other, a missing text, the poll, characters X refuses.
func createTweetInvalid(req *createTweet, text string, mediaIDs []string) string {
	if req.Media != nil {
		if len(mediaIDs) < 1 || len(mediaIDs) > 4 {
			return "$.media.media_ids: must have between 1 and 4 items"
		}
		for _, id := range mediaIDs {
			if !numericID.MatchString(id) {
				return "$.media.media_ids: value [" + id + "] does not match the regex ^[0-9]{1,19}$"
			}
		}
	}
	exclusive := 0
	for _, set := range []bool{req.Media != nil, req.Poll != nil, req.QuoteTweetID != "", req.CardURI != ""} {
		if set {
			exclusive++
		}
	}
	if exclusive > 1 {
		return "media, poll, quote_tweet_id and card_uri are mutually exclusive"
	}
	if text == "" && req.Media == nil && req.CardURI == "" {
		return "$.text: is required unless media or card_uri is present"
	}
	if req.Poll != nil {
		if n := len(req.Poll.Options); n < 2 || n > 4 {
			return "$.poll.options: must have between 2 and 4 items"
		}
		if d := req.Poll.DurationMinutes; d < 5 || d > 10080 {
			return "$.poll.duration_minutes: must be between 5 and 10080"
		}
	}
	if invalidChar(text) {
		return "$.text: contains invalid characters"
	}
	return ""
}

// createTweetForbidden is the detail of the 403 X answers a valid new
// post with before looking at any state, "" when it goes on: a quote, an
// edit, a text too long.
func (s *Sim) createTweetForbidden(req *createTweet, text string) string {
	switch {
	case req.QuoteTweetID != "":
		return detailQuote
	case req.EditOptions != nil:
		return detailEdit
	case WeightedLength(text) > s.opts.MaxWeightedLength:
		return detailTooLong
	}
	return ""
}

// addPostLocked records a new post of userID, a reply to parent when
// set, and remembers it under dupKey for the duplicate check when it has
// text. Callers hold s.mu.
func (s *Sim) addPostLocked(userID, text string, mediaIDs []string, parent *Post, dupKey string, now time.Time) *Post {
	p := &Post{ID: s.newID(), AuthorID: userID, Text: text, MediaIDs: slices.Clone(mediaIDs), CreatedAt: now}
	p.EditHistoryIDs = []string{p.ID}
	p.ConversationID = p.ID
	if parent != nil {
		p.ReplyTo = parent.ID
		p.ConversationID = parent.ConversationID
	}
	s.posts = append(s.posts, p)
	s.postsByID[p.ID] = p
	if text != "" {
		s.dupes[dupKey] = p
	}
	return p
}

// checkMediaLocked validates the media of a new post: owned, finalized,
// processed, not expired, and 4 images or 1 GIF or 1 video. Callers hold
// s.mu.
func (s *Sim) checkMediaLocked(ids []string, userID string, now time.Time) string {
	kinds := map[mediaKind]int{}
	for _, id := range ids {
		m := s.lookupMedia(id, userID)
		if m == nil {
			return "media " + id + " not found or not owned by the user"
		}
		if st, _ := m.state(now, s.opts.ProcessingDuration); st != "succeeded" {
			return "media " + id + " is " + st
		}
		if now.Sub(m.finalized) > mediaExpiresSecs*time.Second {
			return "media " + id + " expired"
		}
		if m.cat.kind == kindOther {
			return "media " + id + " has category " + m.catName
		}
		kinds[m.cat.kind]++
	}
	if len(kinds) > 1 || kinds[kindGIF] > 1 || kinds[kindVideo] > 1 {
		return "a post takes 4 images, or 1 GIF, or 1 video"
	}
	return ""
}

// handleDeleteTweet serves DELETE /2/tweets/{id}.
func (s *Sim) handleDeleteTweet(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	id := r.PathValue("id")
	if !numericID.MatchString(id) {
		invalidParam(w, "id", "The `id` path parameter value ["+id+"] is not valid.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.postsByID[id]
	if p == nil || p.Deleted {
		writeProblem(w, http.StatusNotFound, map[string]any{
			"title": "Not Found Error", "detail": "Could not find tweet with id: [" + id + "].",
			"type": problemNotFound, "status": 404,
		})
		return
	}
	if p.AuthorID != c.user.ID {
		forbidden(w, "You are not allowed to delete a Tweet that is not yours.")
		return
	}
	p.Deleted = true
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]bool{"deleted": true}})
}

func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// Field lists accepted by the lookup endpoints. Fields the simulator does
// not model are accepted and omitted from the objects.
var (
	tweetFields = []string{"article", "attachments", "author_id", "card_uri", "community_id",
		"context_annotations", "conversation_id", "created_at", "display_text_range", "edit_controls",
		"edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
		"media_metadata", "non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive",
		"promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings", "scopes",
		"source", "text", "withheld"}
	userFields = []string{"affiliation", "confirmed_email", "connection_status", "created_at",
		"description", "entities", "id", "is_identity_verified", "location", "most_recent_tweet_id",
		"name", "parody", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected",
		"public_metrics", "receives_your_dm", "subscription", "subscription_type", "url", "username",
		"verified", "verified_followers_count", "verified_type", "withheld"}
	mediaFields = []string{"alt_text", "duration_ms", "height", "media_key", "non_public_metrics",
		"organic_metrics", "preview_image_url", "promoted_metrics", "public_metrics", "type", "url",
		"variants", "width"}
	tweetExpansions = []string{"attachments.media_keys", "author_id", "referenced_tweets.id",
		"in_reply_to_user_id", "edit_history_tweet_ids"}
)

// parseList reads the comma-separated values of the first present
// parameter among names, checking each against allowed. It writes the 400
// and returns false on an unknown value.
func parseList(w http.ResponseWriter, r *http.Request, allowed []string, names ...string) (map[string]bool, bool) {
	out := map[string]bool{}
	q := r.URL.Query()
	for _, name := range names {
		for _, v := range q[name] {
			for f := range strings.SplitSeq(v, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				if !slices.Contains(allowed, f) {
					invalidRequest(w, errorEntry{
						Parameters: map[string][]string{name: {v}},
						Message:    "The `" + name + "` query parameter value [" + f + "] is not one of [" + strings.Join(allowed, ",") + "]",
					})
					return nil, false
				}
				out[f] = true
			}
		}
	}
	return out, true
}

// lookupOpts are the parsed field and expansion parameters.
type lookupOpts struct {
	tweet, media, user, expansions map[string]bool
}

func parseLookup(w http.ResponseWriter, r *http.Request) (lookupOpts, bool) {
	var o lookupOpts
	var ok bool
	if o.tweet, ok = parseList(w, r, tweetFields, "tweet.fields", "post.fields"); !ok {
		return o, false
	}
	if o.media, ok = parseList(w, r, mediaFields, "media.fields"); !ok {
		return o, false
	}
	if o.user, ok = parseList(w, r, userFields, "user.fields"); !ok {
		return o, false
	}
	o.expansions, ok = parseList(w, r, tweetExpansions, "expansions")
	return o, ok
}

// metrics holds the deterministic engagement of one post at one age.
type metrics struct {
	impressions, likes, replies, retweets, quotes, bookmarks, linkClicks, profileClicks int64
}

// metricsAt derives a post's metrics from its id and age. Each counter is
// a non-decreasing function of age (a saturating curve plus a slow linear
// tail) scaled by a seed hashed from the id, so repeated reads agree and
// later reads never go down.
func metricsAt(id string, age time.Duration) metrics {
	h := fnv.New64a()
	h.Write([]byte(id))
	seed := h.Sum64()
	hours := max(0, age.Hours())
	peak := float64(200 + seed%4800)
	imp := int64(peak*(1-math.Exp(-hours/6)) + float64(seed%7+1)*hours)
	rate := func(shift uint, base, spread uint64) int64 {
		return imp * int64(base+(seed>>shift)%spread) / 1000
	}
	return metrics{
		impressions:   imp,
		likes:         rate(8, 20, 40),
		replies:       rate(16, 2, 8),
		retweets:      rate(24, 3, 10),
		quotes:        rate(32, 0, 3),
		bookmarks:     rate(40, 1, 6),
		linkClicks:    rate(48, 2, 10),
		profileClicks: rate(56, 5, 15),
	}
}

// tweetObject renders p for viewer; field-level authorization failures come
// back as partial errors.
func (s *Sim) tweetObject(p *Post, o lookupOpts, viewerID string, now time.Time) (map[string]any, []errorEntry) {
	t := map[string]any{"id": p.ID, "text": p.Text, "edit_history_tweet_ids": p.EditHistoryIDs}
	var errs []errorEntry
	f := o.tweet
	if f["created_at"] {
		t["created_at"] = p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if f["author_id"] || o.expansions["author_id"] {
		t["author_id"] = p.AuthorID
	}
	if f["conversation_id"] {
		t["conversation_id"] = p.ConversationID
	}
	if p.ReplyTo != "" {
		if f["in_reply_to_user_id"] {
			if parent := s.postsByID[p.ReplyTo]; parent != nil {
				t["in_reply_to_user_id"] = parent.AuthorID
			}
		}
		if f["referenced_tweets"] {
			t["referenced_tweets"] = []map[string]string{{"type": "replied_to", "id": p.ReplyTo}}
		}
	}
	if (f["attachments"] || o.expansions["attachments.media_keys"]) && len(p.MediaIDs) > 0 {
		keys := make([]string, 0, len(p.MediaIDs))
		for _, id := range p.MediaIDs {
			keys = append(keys, s.mediaKey(id))
		}
		t["attachments"] = map[string]any{"media_keys": keys}
	}
	if f["edit_controls"] {
		t["edit_controls"] = map[string]any{
			"edits_remaining": 5, "is_edit_eligible": false,
			"editable_until": p.CreatedAt.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z"),
		}
	}
	if f["possibly_sensitive"] {
		t["possibly_sensitive"] = false
	}
	if f["reply_settings"] {
		t["reply_settings"] = "everyone"
	}
	m := metricsAt(p.ID, now.Sub(p.CreatedAt))
	if f["public_metrics"] {
		t["public_metrics"] = map[string]int64{
			"retweet_count": m.retweets, "reply_count": m.replies, "like_count": m.likes,
			"quote_count": m.quotes, "bookmark_count": m.bookmarks, "impression_count": m.impressions,
		}
	}
	private := p.AuthorID == viewerID && now.Sub(p.CreatedAt) < 30*24*time.Hour
	for _, field := range []string{"non_public_metrics", "organic_metrics"} {
		if !f[field] {
			continue
		}
		if !private {
			errs = append(errs, fieldError(p.ID, field))
			continue
		}
		if field == "non_public_metrics" {
			t[field] = map[string]int64{
				"impression_count": m.impressions, "url_link_clicks": m.linkClicks,
				"user_profile_clicks": m.profileClicks,
				"engagements":         m.likes + m.replies + m.retweets + m.quotes + m.linkClicks + m.profileClicks,
			}
		} else {
			t[field] = map[string]int64{
				"impression_count": m.impressions, "like_count": m.likes, "reply_count": m.replies,
				"retweet_count": m.retweets, "url_link_clicks": m.linkClicks, "user_profile_clicks": m.profileClicks,
			}
		}
	}
	return t, errs
}

// fieldError is the partial error for a metric field the viewer may not
// read (someone else's post, or older than 30 days). Detail text
// UNVERIFIED.
func fieldError(id, field string) errorEntry {
	return errorEntry{
		Value: field, Detail: "Sorry, you are not authorized to access '" + field + "' on a Tweet.",
		Field: field, ResourceType: "tweet", Parameter: "tweet.fields", ResourceID: id,
		Section: "data", Title: "Field Authorization Error", Type: problemFieldUnauth,
	}
}

func notFoundError(id, resourceType, param string) errorEntry {
	return errorEntry{
		Value: id, Detail: "Could not find " + resourceType + " with id: [" + id + "].",
		Title: "Not Found Error", ResourceType: resourceType, Parameter: param, ResourceID: id,
		Type: problemNotFound,
	}
}

// mediaKey returns the media_key of id. Callers hold s.mu.
func (s *Sim) mediaKey(id string) string {
	if m := s.media[id]; m != nil {
		return m.key()
	}
	return "3_" + id
}

// includes builds the includes object for the expansions in o. Callers
// hold s.mu.
func (s *Sim) includes(posts []*Post, o lookupOpts, viewerID string, now time.Time) map[string]any {
	inc := map[string]any{}
	if o.expansions["attachments.media_keys"] {
		var media []map[string]any
		for _, p := range posts {
			for _, id := range p.MediaIDs {
				m := s.media[id]
				item := map[string]any{"media_key": s.mediaKey(id), "type": "photo"}
				if m != nil {
					switch m.cat.kind {
					case kindGIF:
						item["type"] = "animated_gif"
					case kindVideo:
						item["type"] = "video"
					}
					if o.media["width"] && m.w > 0 {
						item["width"], item["height"] = m.w, m.h
					}
					if o.media["alt_text"] && m.altText != "" {
						item["alt_text"] = m.altText
					}
				}
				if o.media["public_metrics"] && item["type"] != "photo" {
					item["public_metrics"] = map[string]int64{"view_count": metricsAt(id, now.Sub(p.CreatedAt)).impressions / 2}
				}
				media = append(media, item)
			}
		}
		if media != nil {
			inc["media"] = media
		}
	}
	if o.expansions["author_id"] {
		var users []map[string]any
		seen := map[string]bool{}
		for _, p := range posts {
			if u := s.usersByID[p.AuthorID]; u != nil && !seen[u.ID] {
				seen[u.ID] = true
				users = append(users, s.userObject(u, o.user))
			}
		}
		if users != nil {
			inc["users"] = users
		}
	}
	if len(inc) == 0 {
		return nil
	}
	return inc
}

// handleLookupTweets serves GET /2/tweets?ids=.
func (s *Sim) handleLookupTweets(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	rawIDs := r.URL.Query().Get("ids")
	ids := strings.Split(rawIDs, ",")
	if rawIDs == "" || len(ids) > 100 {
		invalidRequest(w, errorEntry{Parameters: map[string][]string{"ids": {rawIDs}},
			Message: "The `ids` query parameter must hold between 1 and 100 comma-separated ids."})
		return
	}
	for _, id := range ids {
		if !numericID.MatchString(id) {
			invalidRequest(w, errorEntry{Parameters: map[string][]string{"ids": {rawIDs}},
				Message: "The `ids` query parameter value [" + id + "] is not valid"})
			return
		}
	}
	o, ok := parseLookup(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var data []map[string]any
	var errs []errorEntry
	var found []*Post
	for _, id := range ids {
		p := s.postsByID[id]
		if p == nil || p.Deleted {
			errs = append(errs, notFoundError(id, "tweet", "ids"))
			continue
		}
		t, e := s.tweetObject(p, o, c.user.ID, now)
		data = append(data, t)
		errs = append(errs, e...)
		found = append(found, p)
	}
	writeJSON(w, http.StatusOK, lookupBody(data, s.includes(found, o, c.user.ID, now), errs, nil))
}

// handleLookupTweet serves GET /2/tweets/{id}.
func (s *Sim) handleLookupTweet(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	id := r.PathValue("id")
	if !numericID.MatchString(id) {
		invalidParam(w, "id", "The `id` path parameter value ["+id+"] is not valid")
		return
	}
	o, ok := parseLookup(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	p := s.postsByID[id]
	if p == nil || p.Deleted {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []errorEntry{notFoundError(id, "tweet", "id")}})
		return
	}
	t, errs := s.tweetObject(p, o, c.user.ID, now)
	body := map[string]any{"data": t}
	if inc := s.includes([]*Post{p}, o, c.user.ID, now); inc != nil {
		body["includes"] = inc
	}
	if errs != nil {
		body["errors"] = errs
	}
	writeJSON(w, http.StatusOK, body)
}

func lookupBody(data []map[string]any, inc map[string]any, errs []errorEntry, meta map[string]any) map[string]any {
	body := map[string]any{}
	if data != nil {
		body["data"] = data
	}
	if inc != nil {
		body["includes"] = inc
	}
	if errs != nil {
		body["errors"] = errs
	}
	if meta != nil {
		body["meta"] = meta
	}
	return body
}

// handleUserTweets serves GET /2/users/{id}/tweets: the user's live posts,
// newest first, with max_results (5–100, default 10), pagination_token,
// since_id, until_id, start_time, end_time and exclude=replies.
func (s *Sim) handleUserTweets(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	uid := r.PathValue("id")
	q := r.URL.Query()
	if !numericID.MatchString(uid) {
		invalidParam(w, "id", "The `id` path parameter value ["+uid+"] is not valid")
		return
	}
	limit := 10
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 || n > 100 {
			invalidParam(w, "max_results", "The `max_results` query parameter value ["+v+"] is not between 5 and 100")
			return
		}
		limit = n
	}
	var start, end time.Time
	for name, dst := range map[string]*time.Time{"start_time": &start, "end_time": &end} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				invalidParam(w, name, "The `"+name+"` query parameter value ["+v+"] is not a valid RFC 3339 time")
				return
			}
			*dst = t
		}
	}
	exclude, ok := parseList(w, r, []string{"replies", "retweets"}, "exclude")
	if !ok {
		return
	}
	o, ok := parseLookup(w, r)
	if !ok {
		return
	}
	until := q.Get("until_id")
	if tok := q.Get("pagination_token"); tok != "" {
		until = strings.TrimPrefix(tok, "p")
	}
	since := q.Get("since_id")

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.usersByID[uid] == nil {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []errorEntry{notFoundError(uid, "user", "id")}})
		return
	}
	var page []*Post
	more := false
	for i := len(s.posts) - 1; i >= 0; i-- {
		p := s.posts[i]
		switch {
		case p.AuthorID != uid, p.Deleted,
			exclude["replies"] && p.ReplyTo != "",
			until != "" && !idLess(p.ID, until),
			since != "" && !idLess(since, p.ID),
			!start.IsZero() && p.CreatedAt.Before(start),
			!end.IsZero() && !p.CreatedAt.Before(end):
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, p)
	}
	var data []map[string]any
	var errs []errorEntry
	for _, p := range page {
		t, e := s.tweetObject(p, o, c.user.ID, now)
		data = append(data, t)
		errs = append(errs, e...)
	}
	meta := map[string]any{"result_count": len(page)}
	if len(page) > 0 {
		meta["newest_id"] = page[0].ID
		meta["oldest_id"] = page[len(page)-1].ID
		if more {
			meta["next_token"] = "p" + page[len(page)-1].ID
		}
	}
	writeJSON(w, http.StatusOK, lookupBody(data, s.includes(page, o, c.user.ID, now), errs, meta))
}

// idLess compares decimal ids numerically.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// userObject renders u with the requested user.fields. Callers hold s.mu.
func (s *Sim) userObject(u *userRec, fields map[string]bool) map[string]any {
	out := map[string]any{"id": u.ID, "name": u.Name, "username": u.Username}
	count, latest := 0, ""
	for _, p := range s.posts {
		if p.AuthorID == u.ID && !p.Deleted {
			count++
			latest = p.ID
		}
	}
	set := func(field string, v any) {
		if fields[field] {
			out[field] = v
		}
	}
	set("created_at", u.createdAt.UTC().Format("2006-01-02T15:04:05.000Z"))
	set("description", "")
	set("location", "")
	set("url", "")
	set("protected", false)
	set("verified", false)
	set("verified_type", "none")
	set("subscription_type", "None")
	set("profile_image_url", s.avatarURL(u.ID))
	set("public_metrics", map[string]int{
		"followers_count": 0, "following_count": 0, "tweet_count": count, "listed_count": 0, "like_count": 0, "media_count": 0,
	})
	if latest != "" {
		set("most_recent_tweet_id", latest)
	}
	return out
}

// handleUsersMe serves GET /2/users/me.
func (s *Sim) handleUsersMe(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	fields, ok := parseList(w, r, userFields, "user.fields")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": s.userObject(c.user, fields)})
}
