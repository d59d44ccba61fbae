package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/sns-os/snsos/internal/attention"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the request
// body under the webhook secret, when one is set.
const SignatureHeader = "X-Snsos-Signature"

// WebhookConfig is the webhook channel.
type WebhookConfig struct {
	// URL receives a POST of JSON {event, items, sent_at}. https:// is
	// required unless the host is loopback.
	URL string
	// Secret, when set, signs each body (SignatureHeader).
	Secret string
	// Timeout bounds one delivery (default 10 s).
	Timeout time.Duration
	// Client, when set, replaces the HTTP client (tests).
	Client *http.Client
}

type webhookChannel struct {
	cfg    WebhookConfig
	u      *url.URL
	client *http.Client
	item   func(attention.Item) PayloadItem
}

// Payload is the webhook's JSON body.
type Payload struct {
	Event  string        `json:"event"`
	Items  []PayloadItem `json:"items"`
	SentAt time.Time     `json:"sent_at"`
}

// PayloadItem is one attention item in a webhook body: ids, words and
// links, never a token.
type PayloadItem struct {
	Key       string    `json:"key"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	Platform  string    `json:"platform"`
	Handle    string    `json:"handle,omitempty"`
	AccountID int64     `json:"account_id,omitempty"`
	PostID    int64     `json:"post_id,omitempty"`
	TargetID  int64     `json:"target_id,omitempty"`
	Excerpt   string    `json:"excerpt,omitempty"`
	At        time.Time `json:"at,omitzero"`
	PostURL   string    `json:"post_url,omitempty"`
	Action    string    `json:"action"`
	ActionURL string    `json:"action_url"`
}

// CheckWebhookURL reports what is wrong with a webhook URL.
func CheckWebhookURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("is not an absolute http(s) URL")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, errors.New("must be https:// (plain http only to a loopback host)")
	}
	if u.User != nil {
		return nil, errors.New("must not carry user info; sign requests with the webhook secret instead")
	}
	return u, nil
}

// describeURL is the URL without its path and query, which often hold a
// token (https://hooks.example.com/…).
func describeURL(u *url.URL) string {
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

func newWebhook(c WebhookConfig, item func(attention.Item) PayloadItem) (*webhookChannel, error) {
	u, err := CheckWebhookURL(c.URL)
	if err != nil {
		return nil, errors.New("alert webhook URL " + err.Error())
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	client := c.Client
	if client == nil {
		client = &http.Client{
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: c.Timeout,
				MaxIdleConns:          2,
				IdleConnTimeout:       90 * time.Second,
			},
			// A redirect could carry the body elsewhere: never follow one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &webhookChannel{cfg: c, u: u, client: client, item: item}, nil
}

func (w *webhookChannel) Name() string     { return "webhook" }
func (w *webhookChannel) Describe() string { return "webhook " + describeURL(w.u) }

// Send POSTs m. Its errors never hold the URL's path or query.
func (w *webhookChannel) Send(ctx context.Context, m Message) error {
	p := Payload{Event: m.Event, Items: []PayloadItem{}, SentAt: m.SentAt.UTC().Truncate(time.Second)}
	for _, it := range m.Items {
		p.Items = append(p.Items, w.item(it))
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.u.String(), bytes.NewReader(body))
	if err != nil {
		return errors.New("cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sns-os")
	if w.cfg.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.cfg.Secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error text holds the whole URL
		}
		return fmt.Errorf("POST to %s: %v", describeURL(w.u), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST to %s answered %s", describeURL(w.u), resp.Status)
	}
	return nil
}

// Verify reports whether sig (the SignatureHeader value) signs body under
// secret: what a receiver does.
func Verify(secret string, body []byte, sig string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// payloadItem is an item as the webhook sends it.
func (a *Alerter) payloadItem(it attention.Item) PayloadItem {
	return PayloadItem{Key: it.Key, Kind: string(it.Kind), Text: clip(it.Text(a.cfg.Location, a.now()), 600), Platform: string(it.Platform),
		Handle: it.Handle, AccountID: it.AccountID, PostID: it.PostID, TargetID: it.TargetID, Excerpt: it.Excerpt, At: it.At.UTC(),
		PostURL: a.link(it.PostPath), Action: string(it.Action.Kind), ActionURL: a.link(it.Action.Path)}
}
