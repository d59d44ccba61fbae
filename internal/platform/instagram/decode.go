package instagram

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// object returns the JSON object of an answer that is either that object
// (what Instagram sends) or the documented wrapper {"data":[object, …]}.
func object(body []byte) ([]byte, error) {
	var w struct {
		Data json.RawMessage `json:"data"`
	}
	if err := platform.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	d := bytes.TrimSpace(w.Data)
	if len(d) == 0 || d[0] != '[' {
		return body, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(d, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("the data list is empty")
	}
	return list[0], nil
}

// profileJSON is GET /me.
type profileJSON struct {
	ID       platform.ID `json:"id"`
	UserID   platform.ID `json:"user_id"`
	Username string      `json:"username"`
	Name     string      `json:"name"`
	Picture  string      `json:"profile_picture_url"`
}

// decodeProfile reads GET /me, flat or wrapped in data[].
func decodeProfile(resp *platform.Response) (*platform.Profile, error) {
	var p profileJSON
	obj, err := object(resp.Body)
	if err == nil {
		err = platform.Unmarshal(obj, &p)
	}
	if err != nil {
		return nil, resp.BadResponse("unreadable profile: " + err.Error())
	}
	remote := p.UserID
	if remote == "" {
		remote = p.ID
	}
	if !platform.ValidNumericID(string(remote)) || p.Username == "" {
		return nil, resp.BadResponse("the profile has no account id and username")
	}
	prof := &platform.Profile{RemoteID: string(remote), Handle: p.Username, DisplayName: p.Name, AvatarURL: p.Picture}
	if platform.ValidNumericID(string(p.ID)) {
		prof.Options = map[string]string{"app_scoped_id": string(p.ID)}
	}
	return prof, nil
}

// decodeID reads the {"id": …} answer of a container, publish or comment
// call; the id is mandatory. A 2xx answer to a mutating call without a
// readable id is outcome-unknown (resp.BadResponse).
func decodeID(resp *platform.Response) (string, error) {
	var v struct {
		ID platform.ID `json:"id"`
	}
	if err := platform.Unmarshal(resp.Body, &v); err != nil {
		return "", resp.BadResponse("unreadable answer: " + err.Error())
	}
	if !platform.ValidNumericID(string(v.ID)) {
		return "", resp.BadResponse("the answer has no valid id")
	}
	return string(v.ID), nil
}

// decodeStatus reads GET /{container}?fields=status_code,status.
func decodeStatus(resp *platform.Response, id string) (*meta.Container, error) {
	var v struct {
		StatusCode string `json:"status_code"`
		Status     string `json:"status"`
	}
	if err := platform.Unmarshal(resp.Body, &v); err != nil {
		return nil, resp.BadResponse("unreadable container status: " + err.Error())
	}
	st := meta.ParseStatus(v.StatusCode)
	switch st {
	case meta.InProgress, meta.Finished, meta.Failed, meta.Expired, meta.Published:
	default:
		return nil, resp.BadResponse(fmt.Sprintf("unknown container status %.40q", v.StatusCode))
	}
	return &meta.Container{ID: id, Status: st, Reason: v.Status, Code: meta.StatusErrorCode(v.Status)}, nil
}

// mediaJSON is one media object: a list entry or GET /{media-id}.
type mediaJSON struct {
	ID            platform.ID  `json:"id"`
	Caption       string       `json:"caption"`
	Timestamp     string       `json:"timestamp"`
	Permalink     string       `json:"permalink"`
	MediaType     string       `json:"media_type"`
	ProductType   string       `json:"media_product_type"`
	LikeCount     *json.Number `json:"like_count"`
	CommentsCount *json.Number `json:"comments_count"`
}

func (m *mediaJSON) created() time.Time { return meta.ParseTime(m.Timestamp) }

// count returns n as an integer and whether it was one.
func count(n *json.Number) (int64, bool) {
	if n == nil {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// decodeMedia reads GET /{media-id}.
func decodeMedia(resp *platform.Response) (*mediaJSON, error) {
	var m mediaJSON
	if err := platform.Unmarshal(resp.Body, &m); err != nil {
		return nil, resp.BadResponse("unreadable media: " + err.Error())
	}
	return &m, nil
}

// mediaList is GET /{user-id}/media and /{user-id}/stories.
type mediaList struct {
	Data   []mediaJSON  `json:"data"`
	Paging *meta.Paging `json:"paging"`
}

// decodeMediaList reads a page of media; every id must be valid.
func decodeMediaList(resp *platform.Response) (*mediaList, error) {
	var l mediaList
	if err := platform.Unmarshal(resp.Body, &l); err != nil {
		return nil, resp.BadResponse("unreadable media list: " + err.Error())
	}
	for _, m := range l.Data {
		if !platform.ValidNumericID(string(m.ID)) {
			return nil, resp.BadResponse(fmt.Sprintf("a media has an invalid id %.30q", m.ID))
		}
	}
	return &l, nil
}

// Defaults of the publishing quota when Instagram's answer leaves them out.
const (
	DefaultQuotaTotal  = 100
	DefaultQuotaWindow = 24 * time.Hour
)

// decodeQuota reads GET /{user-id}/content_publishing_limit.
func decodeQuota(resp *platform.Response) (*platform.Quota, error) {
	var v struct {
		Usage  json.Number `json:"quota_usage"`
		Config *struct {
			Total    json.Number `json:"quota_total"`
			Duration json.Number `json:"quota_duration"`
		} `json:"config"`
	}
	obj, err := object(resp.Body)
	if err == nil {
		err = platform.Unmarshal(obj, &v)
	}
	if err != nil {
		return nil, resp.BadResponse("unreadable publishing limit: " + err.Error())
	}
	used, ok := count(&v.Usage)
	if !ok || used < 0 {
		return nil, resp.BadResponse("the publishing limit has no quota_usage")
	}
	q := &platform.Quota{Used: int(min(used, 1<<30)), Total: DefaultQuotaTotal, Window: DefaultQuotaWindow}
	if v.Config != nil {
		if n, ok := count(&v.Config.Total); ok && n > 0 {
			q.Total = int(min(n, 1<<30))
		}
		if n, ok := count(&v.Config.Duration); ok && n > 0 && n < 366*24*3600 {
			q.Window = time.Duration(n) * time.Second
		}
	}
	return q, nil
}
