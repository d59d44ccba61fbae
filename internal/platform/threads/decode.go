package threads

import (
	"encoding/json"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The decoders below read 2xx answers that meta.Graph.Decode has already
// checked for an error envelope. Every failure is a classified
// *platform.Error (resp.BadResponse): outcome-unknown for a mutating call,
// transient otherwise.

// decodeProfile reads GET /me.
func decodeProfile(resp *platform.Response) (*platform.Profile, error) {
	var p struct {
		ID       platform.ID `json:"id"`
		Username string      `json:"username"`
		Name     string      `json:"name"`
		Picture  string      `json:"threads_profile_picture_url"`
	}
	if err := platform.Unmarshal(resp.Body, &p); err != nil {
		return nil, resp.BadResponse("malformed profile: " + err.Error())
	}
	if !validID(string(p.ID)) || p.Username == "" {
		return nil, resp.BadResponse("the profile has no valid id or username")
	}
	return &platform.Profile{RemoteID: string(p.ID), Handle: p.Username, DisplayName: p.Name, AvatarURL: p.Picture}, nil
}

// decodeID reads {"id":…}, the answer of container creation and publish.
func decodeID(resp *platform.Response) (string, error) {
	var v struct {
		ID platform.ID `json:"id"`
	}
	if err := platform.Unmarshal(resp.Body, &v); err != nil {
		return "", resp.BadResponse("malformed answer: " + err.Error())
	}
	if !validID(string(v.ID)) {
		return "", resp.BadResponse("the answer has no valid id")
	}
	return string(v.ID), nil
}

// decodeContainer reads GET /{container}?fields=status,error_message.
func decodeContainer(resp *platform.Response, id string) (*meta.Container, error) {
	var v struct {
		ID           platform.ID `json:"id"`
		Status       string      `json:"status"`
		ErrorMessage string      `json:"error_message"`
	}
	if err := platform.Unmarshal(resp.Body, &v); err != nil {
		return nil, resp.BadResponse("malformed container status: " + err.Error())
	}
	st := meta.ParseStatus(v.Status)
	switch st {
	case meta.InProgress, meta.Finished, meta.Failed, meta.Expired, meta.Published:
	default:
		return nil, resp.BadResponse("the container status " + quoteShort(v.Status) + " is not one Threads documents")
	}
	return &meta.Container{ID: id, Status: st, Reason: v.ErrorMessage, Code: meta.StatusErrorCode(v.ErrorMessage)}, nil
}

// post is one entry of a list of the account's posts or replies, or a post
// read by id.
type post struct {
	ID        platform.ID `json:"id"`
	Text      string      `json:"text"`
	Timestamp string      `json:"timestamp"`
	Permalink string      `json:"permalink"`
	MediaType string      `json:"media_type"`
	RepliedTo *struct {
		ID platform.ID `json:"id"`
	} `json:"replied_to"`
	RootPost *struct {
		ID platform.ID `json:"id"`
	} `json:"root_post"`
}

func (p *post) created() time.Time { return meta.ParseTime(p.Timestamp) }

func (p *post) remote() *platform.RemotePost {
	r := &platform.RemotePost{ID: string(p.ID), Text: p.Text, URL: p.Permalink, CreatedAt: p.created()}
	if p.RepliedTo != nil {
		r.InReplyTo = string(p.RepliedTo.ID)
	}
	return r
}

// postList is a page of GET /{user}/threads or /{user}/replies.
type postList struct {
	Data   []post       `json:"data"`
	Paging *meta.Paging `json:"paging"`
}

// decodePosts reads a page of posts; entries without a valid id are
// dropped.
func decodePosts(resp *platform.Response) (*postList, error) {
	var l postList
	if err := platform.Unmarshal(resp.Body, &l); err != nil {
		return nil, resp.BadResponse("malformed list of posts: " + err.Error())
	}
	kept := l.Data[:0]
	for _, p := range l.Data {
		if validID(string(p.ID)) {
			kept = append(kept, p)
		}
	}
	l.Data = kept
	return &l, nil
}

// decodePost reads one post read by id.
func decodePost(resp *platform.Response) (*post, error) {
	var p post
	if err := platform.Unmarshal(resp.Body, &p); err != nil {
		return nil, resp.BadResponse("malformed post: " + err.Error())
	}
	return &p, nil
}

// quotaConfig is a {"quota_total":…,"quota_duration":…} block.
type quotaConfig struct {
	Total    json.Number `json:"quota_total"`
	Duration json.Number `json:"quota_duration"`
}

// Quotas are the publishing allowances of an account: root posts, and
// replies (nil when Threads did not report them: reading them may need a
// reply permission an account connected earlier lacks).
type Quotas struct {
	Posts   platform.Quota
	Replies *platform.Quota
}

// decodeQuotas reads GET /{user}/threads_publishing_limit.
func decodeQuotas(resp *platform.Response) (*Quotas, error) {
	var v struct {
		Data []struct {
			Usage       json.Number  `json:"quota_usage"`
			Config      *quotaConfig `json:"config"`
			ReplyUsage  json.Number  `json:"reply_quota_usage"`
			ReplyConfig *quotaConfig `json:"reply_config"`
		} `json:"data"`
	}
	if err := platform.Unmarshal(resp.Body, &v); err != nil {
		return nil, resp.BadResponse("malformed publishing limit: " + err.Error())
	}
	if len(v.Data) == 0 {
		return nil, resp.BadResponse("Threads did not report the publishing limit")
	}
	d := v.Data[0]
	q := &Quotas{Posts: quota(d.Usage, d.Config, DefaultQuotaTotal)}
	if d.ReplyUsage != "" || d.ReplyConfig != nil {
		r := quota(d.ReplyUsage, d.ReplyConfig, DefaultReplyQuotaTotal)
		q.Replies = &r
	}
	return q, nil
}

// DefaultReplyQuotaTotal is the replies allowed per DefaultQuotaWindow when
// Threads does not say.
const DefaultReplyQuotaTotal = 1000

func quota(usage json.Number, cfg *quotaConfig, total int) platform.Quota {
	q := platform.Quota{Used: count(usage), Total: total, Window: DefaultQuotaWindow}
	if cfg != nil {
		if n := count(cfg.Total); n > 0 {
			q.Total = n
		}
		if s := count(cfg.Duration); s > 0 {
			q.Window = time.Duration(s) * time.Second
		}
	}
	return q
}

// count reads a non-negative integer (fractions truncated; anything else,
// or anything above a million, is 0).
func count(n json.Number) int {
	if i, err := n.Int64(); err == nil && i >= 0 && i <= 1e6 {
		return int(i)
	}
	if f, err := n.Float64(); err == nil && f >= 0 && f <= 1e6 {
		return int(f)
	}
	return 0
}

// quoteShort quotes s, cut to 40 bytes.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
