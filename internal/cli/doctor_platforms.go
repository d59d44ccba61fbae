package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
)

// doctorProbeValue is the made-up authorization code or refresh token the
// token checks send. No platform ever issued it, so the best a platform can
// answer is "invalid grant": nothing is granted, nothing changes.
const doctorProbeValue = "sns-os-doctor-made-up-value"

// What each platform's token endpoint answers to a made-up grant, and so
// what the token check concludes (tiktok-x.md §1.1 and §2.1,
// meta-instagram-threads.md §1.2 and §2.2):
//
//   - X (POST /2/oauth2/token, refresh_token grant, the client in Basic
//     auth): 401 unauthorized_client, or invalid_client, when the client id
//     or secret is wrong ("Missing valid authorization header"); 400
//     invalid_request or invalid_grant ("Value passed for the token was
//     invalid") when the client was accepted and only the token refused.
//   - TikTok (POST /v2/oauth/token/, refresh_token grant, client_key and
//     client_secret in the form): "error": "invalid_client" (or
//     unauthorized_client) for a wrong key or secret; invalid_grant or
//     invalid_request for the made-up token. The HTTP status is not
//     documented, so only the error code counts.
//   - Instagram (POST api.instagram.com/oauth/access_token) and Threads
//     (POST graph.threads.net/oauth/access_token), authorization_code
//     grant: Meta answers in words, in a flat {"error_type","code",
//     "error_message"} or the Graph {"error":{"message","code"}} envelope.
//     "Invalid platform app" or a message about the client id or the
//     application: wrong app id; "Error validating client secret.": wrong
//     secret; a message about the code ("Matching code was not found or
//     was already used", "Invalid authorization code"): the app was
//     accepted; one about redirect_uri: accepted, but the redirect URL
//     sns-os uses is not the registered one.
//
// Anything else (a 5xx, a rate limit, words not seen before) is reported
// as a warning with the platform's own answer: the check could not tell.

// verdict is a check's conclusion.
type verdict struct{ level, msg string }

func (d *doctor) platforms(ctx context.Context) {
	configured := 0
	for _, p := range snsos.Platforms {
		pc := d.cfg.Platforms[p]
		if pc == nil || pc.ClientID == "" {
			continue
		}
		configured++
		what := p.DisplayName() + " app"
		env := "SNSOS_" + strings.ToUpper(string(p))
		if pc.ClientSecret.IsZero() && p != snsos.PlatformX { // an X public client has none
			d.report(levelFail, what, "%s_CLIENT_ID is set but %s_CLIENT_SECRET is not; set both from the app's settings (docs/setup.md)", env, env)
			continue
		}
		v := d.probeToken(ctx, p, pc)
		if v.level == levelOK {
			v.msg += "; its redirect URL must be registered exactly as " + d.redirectURL(p)
		}
		d.report(v.level, what, "%s", v.msg)
		if p == snsos.PlatformInstagram || p == snsos.PlatformThreads {
			d.callbacks(ctx, p, pc)
		}
	}
	if configured == 0 {
		d.report(levelWarn, "platforms", "no platform is configured: set SNSOS_{X,INSTAGRAM,THREADS,TIKTOK}_CLIENT_ID and _CLIENT_SECRET (docs/setup.md)")
	}
}

func (d *doctor) redirectURL(p snsos.Platform) string {
	return d.cfg.PublicURL + "/oauth/" + string(p) + "/callback"
}

// probeToken sends the platform's made-up grant with the configured client
// and reads the answer (see above).
func (d *doctor) probeToken(ctx context.Context, p snsos.Platform, pc *config.PlatformConfig) verdict {
	base := func(def string) string {
		if pc.BaseURL != "" {
			return strings.TrimRight(pc.BaseURL, "/")
		}
		return def
	}
	form := url.Values{}
	var endpoint string
	switch p {
	case snsos.PlatformX:
		endpoint = base(x.DefaultAPIBase) + "/2/oauth2/token"
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", doctorProbeValue)
		if pc.ClientSecret.IsZero() {
			form.Set("client_id", pc.ClientID)
		}
	case snsos.PlatformTikTok:
		endpoint = base(tiktok.DefaultAPIBase) + "/v2/oauth/token/"
		form.Set("client_key", pc.ClientID)
		form.Set("client_secret", pc.ClientSecret.Reveal())
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", doctorProbeValue)
	case snsos.PlatformInstagram, snsos.PlatformThreads:
		endpoint = base(instagram.DefaultTokenBase) + "/oauth/access_token"
		if p == snsos.PlatformThreads {
			endpoint = base(threads.DefaultGraphBase) + "/oauth/access_token"
		}
		form.Set("client_id", pc.ClientID)
		form.Set("client_secret", pc.ClientSecret.Reveal())
		form.Set("grant_type", "authorization_code")
		form.Set("redirect_uri", d.redirectURL(p))
		form.Set("code", doctorProbeValue)
	default:
		return verdict{levelWarn, "sns-os has no token check for this platform"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return verdict{levelFail, err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p == snsos.PlatformX && !pc.ClientSecret.IsZero() {
		// As the X client sends it (oauth2.AuthStyleInHeader).
		req.SetBasicAuth(url.QueryEscape(pc.ClientID), url.QueryEscape(pc.ClientSecret.Reveal()))
	}
	status, body, err := d.do(req)
	if err != nil {
		return verdict{levelFail, "POST " + endpoint + ": " + err.Error() + "; check this server's outbound network and DNS"}
	}
	switch p {
	case snsos.PlatformX, snsos.PlatformTikTok:
		return oauthVerdict(p, status, body)
	default:
		return metaVerdict(p, status, body, d.redirectURL(p))
	}
}

// oauthVerdict reads an RFC 6749 token error (X, TikTok).
func oauthVerdict(p snsos.Platform, status int, body []byte) verdict {
	code := oauthErrorCode(body)
	env := "SNSOS_" + strings.ToUpper(string(p))
	where := "the OAuth 2.0 Client ID and Client Secret under the app's Keys and tokens in the X developer portal (a confidential client: Web App)"
	if p == snsos.PlatformTikTok {
		where = "the Client key and Client secret on the app's page in TikTok for Developers"
	}
	switch {
	case code == "invalid_client" || code == "unauthorized_client" || (p == snsos.PlatformX && status == http.StatusUnauthorized):
		return verdict{levelFail, p.DisplayName() + " refused the client id and secret (" + strings.TrimSpace(code+" "+httpStatus(status)) +
			"); copy " + where + " into " + env + "_CLIENT_ID and " + env + "_CLIENT_SECRET"}
	case code == "invalid_grant" || code == "invalid_request":
		return verdict{levelOK, p.DisplayName() + " accepts the client id and secret (a made-up refresh token was refused with " + code + ", as expected)"}
	case status == http.StatusOK && code == "":
		return verdict{levelWarn, p.DisplayName() + " answered a made-up refresh token with 200; the client is accepted, but the answer is unexpected"}
	default:
		return verdict{levelWarn, "could not tell whether " + p.DisplayName() + " accepts the client: it answered " + httpStatus(status) + " " + quote(body) + "; try again later"}
	}
}

// oauthErrorCode returns the "error" of a token error answer: a string in
// RFC 6749's shape, or the code of an {"error":{"code":…}} envelope.
func oauthErrorCode(body []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Error) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil {
		return s
	}
	var env struct {
		Code string `json:"code"`
	}
	json.Unmarshal(v.Error, &env)
	return env.Code
}

// metaVerdict reads a Meta token error by its words (see above).
func metaVerdict(p snsos.Platform, status int, body []byte, redirect string) verdict {
	msg := metaErrorMessage(body)
	low := strings.ToLower(msg)
	env := "SNSOS_" + strings.ToUpper(string(p))
	name := p.DisplayName()
	where := "the App Dashboard (Instagram > API setup with Instagram login)"
	if p == snsos.PlatformThreads {
		where = "the App Dashboard (the Threads use case's Settings)"
	}
	switch {
	case strings.Contains(low, "client secret") || strings.Contains(low, "client_secret"):
		return verdict{levelFail, name + " refused the app secret (\"" + msg + "\"); copy the " + name + " app secret from " + where +
			" into " + env + "_CLIENT_SECRET (the " + name + " app's own secret, not the Meta app's)"}
	case strings.Contains(low, "platform app") || strings.Contains(low, "client_id") || strings.Contains(low, "client id") ||
		strings.Contains(low, "app id") || strings.Contains(low, "application"):
		return verdict{levelFail, name + " refused the app id (\"" + msg + "\"); copy the " + name + " app ID from " + where +
			" into " + env + "_CLIENT_ID (the " + name + " app ID, not the Meta app ID)"}
	case strings.Contains(low, "redirect"):
		return verdict{levelFail, name + " accepts the app id and secret but not the redirect URL (\"" + msg + "\"); register " + redirect +
			" exactly in " + where}
	case strings.Contains(low, "code"):
		return verdict{levelOK, name + " accepts the app id and secret (a made-up code was refused: \"" + msg + "\", as expected)"}
	case status == http.StatusOK:
		return verdict{levelWarn, name + " answered a made-up code with 200; the app is accepted, but the answer is unexpected"}
	default:
		return verdict{levelWarn, "could not tell whether " + name + " accepts the app: it answered " + httpStatus(status) + " " + quote(body) + "; try again later"}
	}
}

// metaErrorMessage returns the words of a Meta error in either envelope.
func metaErrorMessage(body []byte) string {
	var v struct {
		ErrorMessage string          `json:"error_message"`
		Error        json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if v.ErrorMessage != "" {
		return v.ErrorMessage
	}
	var g struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &g) == nil && g.Message != "" {
		return g.Message
	}
	var s string
	json.Unmarshal(v.Error, &s)
	return s
}

func httpStatus(status int) string {
	if status == 0 {
		return ""
	}
	return strings.TrimSpace(strconv.Itoa(status) + " " + http.StatusText(status))
}

// callbacks posts an unsigned request to the platform's deauthorize and
// data-deletion URLs through the public URL: sns-os must refuse it with
// 400 (which proves the URL reaches it), and changes nothing.
func (d *doctor) callbacks(ctx context.Context, p snsos.Platform, pc *config.PlatformConfig) {
	what := p.DisplayName() + " callbacks"
	if pc.AppSecret.IsZero() {
		d.report(levelWarn, what, "no app secret: Meta's deauthorize and data-deletion callbacks cannot be verified and are refused; "+
			"set SNSOS_%s_APP_SECRET (or META_APP_SECRET)", strings.ToUpper(string(p)))
	}
	var urls []string
	for _, kind := range []string{"deauthorize", "data-deletion"} {
		u := d.cfg.PublicURL + "/webhooks/" + string(p) + "/" + kind
		urls = append(urls, u)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader("signed_request=sns-os-doctor"))
		if err != nil {
			d.report(levelFail, what, "%v", err)
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, body, err := d.do(req)
		switch {
		case err != nil:
			d.report(levelFail, what, "POST %s: %s; Meta could not reach it either", u, err)
			return
		case status != http.StatusBadRequest:
			d.report(levelFail, what, "POST %s with an unsigned request answered %s %s where sns-os answers 400: "+
				"check that the proxy forwards /webhooks/ to sns-os", u, httpStatus(status), quote(body))
			return
		}
	}
	d.report(levelOK, what, "answer through the public URL; register %s as the deauthorize and %s as the data deletion URL", urls[0], urls[1])
}
