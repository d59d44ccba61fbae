package web

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
)

func contactForm(name, email, topic, subject, message string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "topic": {topic}, "subject": {subject}, "message": {message}, "website": {""}}
}

func inbox(t *testing.T, st *store.Store) []*snsos.ContactMessage {
	t.Helper()
	msgs, err := st.ListInbox(context.Background(), store.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestContactForm: a message is stored as typed (its page's language
// too), the visitor is sent to the thank-you page, the alert channels run
// at once and the dashboard lists it; bad fields come back with the input
// kept and nothing stored.
func TestContactForm(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	c := e.client(t)
	resp, _ := do(t, c, "POST", e.srv.URL+"/ja/contact", contactForm("佐藤 花子", "hanako@example.com", "question", "投稿について", "こんにちは。\n<b>太字</b>ではありません。"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ja/contact?sent=1" {
		t.Fatalf("send: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(resp.Cookies()) > 0 {
		t.Error("the contact form set a cookie")
	}
	msgs := inbox(t, e.store)
	if len(msgs) != 1 || msgs[0].Name != "佐藤 花子" || msgs[0].Lang != "ja" || msgs[0].Body != "こんにちは。\n<b>太字</b>ではありません。" || msgs[0].DeletionCode != "" {
		t.Fatalf("stored %+v", msgs)
	}
	select {
	case <-e.notified:
	case <-time.After(10 * time.Second):
		t.Fatal("the alert channels were not run")
	}
	_, body := do(t, c, "GET", e.srv.URL+"/ja/contact?sent=1", nil)
	wantAll(t, "sent page", body, "送信しました", "ありがとうございます。")
	items := siteItems(t, e.store, e.clock.Now())
	if len(items) != 1 || items[0].Kind != attention.Contact || items[0].From != "佐藤 花子" || items[0].Action.Path != "/inbox/"+itoa(msgs[0].ID) {
		t.Fatalf("attention = %+v", items)
	}

	for name, tc := range map[string]struct {
		form  url.Values
		field string
	}{
		"no name":          {contactForm("", "a@example.com", "question", "", "hi"), "name-error"},
		"two-line name":    {contactForm("A\nB", "a@example.com", "question", "", "hi"), "name-error"},
		"long name":        {contactForm(strings.Repeat("名", contactNameMax+1), "a@example.com", "question", "", "hi"), "name-error"},
		"bad email":        {contactForm("A", "not-an-address", "question", "", "hi"), "email-error"},
		"named email":      {contactForm("A", "A <a@example.com>", "question", "", "hi"), "email-error"},
		"mailto injection": {contactForm("A", "victim%40real.example?bcc=spy%40evil.example&x=@example.com", "question", "", "hi"), "email-error"},
		"question mark":    {contactForm("A", "a?b@example.com", "question", "", "hi"), "email-error"},
		"unknown topic":    {contactForm("A", "a@example.com", "sales", "", "hi"), "topic-error"},
		"long subject":     {contactForm("A", "a@example.com", "question", strings.Repeat("s", contactSubjectMax+1), "hi"), "subject-error"},
		"empty message":    {contactForm("A", "a@example.com", "question", "", "  "), "message-error"},
		"message too long": {contactForm("A", "a@example.com", "question", "", strings.Repeat("あ", contactMessageMax+1)), "message-error"},
	} {
		resp, body := do(t, c, "POST", e.srv.URL+"/contact", tc.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+tc.field+`"`) || !strings.Contains(body, `id="error-summary"`) {
			t.Errorf("%s: %d, no %s", name, resp.StatusCode, tc.field)
		}
		if tc.form.Get("name") == "A" && !strings.Contains(body, `value="a@example.com"`) && tc.field != "email-error" {
			t.Errorf("%s: the typed address was not kept", name)
		}
	}
	// An address mail.ParseAddress takes but the Reply link could misread
	// is refused in words that say which characters.
	_, body = do(t, c, "POST", e.srv.URL+"/contact", contactForm("A", "a&b@example.com", "question", "", "hi"))
	wantAll(t, "refused characters", body, "Enter an email address without the characters ?, &amp; or %")
	_, body = do(t, c, "POST", e.srv.URL+"/ja/contact", contactForm("A", "a%b@example.com", "question", "", "hi"))
	wantAll(t, "refused characters (ja)", body, "メールアドレスには記号 ? &amp; % を使えません。")
	// A full message of Japanese text fits the body bound.
	resp, _ = do(t, c, "POST", e.srv.URL+"/contact", contactForm("A", "a@example.com", "question", "", strings.Repeat("あ", contactMessageMax)))
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a full Japanese message: %d", resp.StatusCode)
	}
	if n := len(inbox(t, e.store)); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
}

// TestContactFormRefusals: bodies too large or not a form, and the trap
// field, store nothing.
func TestContactFormRefusals(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	c := e.client(t)
	big := contactForm("A", "a@example.com", "question", "", strings.Repeat("x", contactBodyMax))
	if resp, _ := do(t, c, "POST", e.srv.URL+"/contact", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized body: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/contact", strings.NewReader(`{"name":"A","email":"a@example.com","message":"hi"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a JSON body: %d", resp.StatusCode)
	}
	trap := contactForm("Bot", "bot@example.com", "question", "", "buy now")
	trap.Set("website", "https://spam.example")
	resp, _ = do(t, c, "POST", e.srv.URL+"/contact", trap)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/contact?sent=1" {
		t.Errorf("the trap: %d %s, want the usual success", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A cross-origin post is refused before the handler.
	req, _ = http.NewRequest("POST", e.srv.URL+"/contact", strings.NewReader(contactForm("A", "a@example.com", "question", "", "hi").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %d", resp.StatusCode)
	}
	if n := len(inbox(t, e.store)); n != 0 {
		t.Fatalf("%d messages stored, want none", n)
	}
}

// TestContactThrottle: one address sends contactPerClient messages an
// hour; the next is refused with what was typed kept, another address is
// not, and behind a trusted proxy the client's address counts.
func TestContactThrottle(t *testing.T) {
	e := newSiteEnv(t, nil, nil, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	send := func(xff, msg string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/contact", strings.NewReader(contactForm("A", "a@example.com", "question", "", msg).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		return doReq(t, e.client(t), req)
	}
	for i := range contactPerClient {
		if resp, _ := send("203.0.113.7", "hello "+itoa(int64(i))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("message %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := send("203.0.113.7", "one too many")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3600" ||
		!strings.Contains(body, "Try again in 60 minutes") || !strings.Contains(body, "one too many") {
		t.Fatalf("over the limit: %d %s\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := send("198.51.100.9", "from elsewhere"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	e.clock.Add(contactWindow)
	if resp, _ := send("203.0.113.7", "an hour later"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
	if n := len(inbox(t, e.store)); n != contactPerClient+2 {
		t.Fatalf("%d messages stored", n)
	}
}

// TestContactThrottleIPv6: the addresses of one IPv6 /64 (what one host
// or household usually holds) share one count; another /64 has its own.
func TestContactThrottleIPv6(t *testing.T) {
	e := newSiteEnv(t, nil, nil, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	send := func(xff string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/contact", strings.NewReader(contactForm("A", "a@example.com", "question", "", "hi from "+xff).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		resp, _ := doReq(t, e.client(t), req)
		return resp.StatusCode
	}
	for i := range contactPerClient {
		if code := send("2001:db8:1:2::" + strconv.FormatInt(int64(i+1), 16)); code != http.StatusSeeOther {
			t.Fatalf("message %d: %d", i+1, code)
		}
	}
	if code := send("2001:db8:1:2:ffff:ffff:ffff:fffe"); code != http.StatusTooManyRequests {
		t.Fatalf("another address of the same /64: %d, want 429", code)
	}
	if code := send("2001:db8:1:3::1"); code != http.StatusSeeOther {
		t.Fatalf("the next /64: %d", code)
	}
}

// TestContactDeletionRequest: the subject "Data Deletion Request" (or the
// topic) opens a deletion request awaiting the operator, shows the sender
// its reference, and lists it with its deadlines; nothing is deleted.
func TestContactDeletionRequest(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	c := e.client(t)
	resp, _ := do(t, c, "POST", e.srv.URL+"/contact", contactForm("Ann", "ann@example.com", "question", " data  deletion REQUEST ", "Delete my data"))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/contact?sent=deletion&code=") {
		t.Fatalf("send: %d %s", resp.StatusCode, loc)
	}
	code := strings.TrimPrefix(loc, "/contact?sent=deletion&code=")
	_, body := do(t, c, "GET", e.srv.URL+loc, nil)
	wantAll(t, "sent page", body, "Its reference is "+code, `href="/deletion/`+code+`"`, "within 48 hours", "within 30 days")
	req, err := e.store.FindDeletionRequestByCode(context.Background(), code)
	if err != nil || req.Status != snsos.DeletionUnconfirmed || req.Platform != "" || !req.DueAt.Equal(testEpoch.Add(30*24*time.Hour)) {
		t.Fatalf("request = %+v, %v", req, err)
	}
	resp, _ = do(t, c, "POST", e.srv.URL+"/ja/contact", contactForm("Ben", "ben@example.com", "deletion", "", "削除してください"))
	if !strings.HasPrefix(resp.Header.Get("Location"), "/ja/contact?sent=deletion&code=") {
		t.Fatalf("topic deletion: %s", resp.Header.Get("Location"))
	}
	msgs := inbox(t, e.store)
	if len(msgs) != 2 || msgs[0].Subject != "Data Deletion Request" || msgs[1].DeletionCode != code {
		t.Fatalf("inbox = %+v", msgs)
	}
	items := siteItems(t, e.store, e.clock.Now())
	if len(items) != 2 || items[0].Kind != attention.Deletion || !items[0].At.Equal(testEpoch.Add(48*time.Hour)) {
		t.Fatalf("attention = %+v", items)
	}
	if text := items[0].Text(time.UTC, e.clock.Now()); !strings.Contains(text, "Reply by Tue, 1 Dec 2026, 03:00 UTC") ||
		!strings.Contains(text, "complete it by Tue, 29 Dec 2026, 03:00 UTC") || !strings.Contains(text, "Nothing is deleted until you confirm") {
		t.Errorf("alert text %q", text)
	}
	// A crafted sent page shows no code that is not one.
	_, body = do(t, c, "GET", e.srv.URL+"/contact?sent=deletion&code=%3Cscript%3E", nil)
	if strings.Contains(body, "/deletion/") || strings.Contains(body, "script") && strings.Contains(body, "reference") {
		t.Error("a crafted code reached the page")
	}
}

func doReq(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// FuzzContactCheck: whatever a stranger sends, checking never panics, and
// what it accepts is within the limits: a one-line name and subject, a bare
// address, a known topic and a message of valid UTF-8.
func FuzzContactCheck(f *testing.F) {
	f.Add("Ann", "ann@example.com", "question", "Hello", "hi")
	f.Add("名前", "a@b.c", "deletion", "Data Deletion Request", "削除してください")
	f.Add("A\x00", "A <a@example.com>", "x", "\n", "\xff")
	h := &Handler{}
	f.Fuzz(func(t *testing.T, name, email, topic, subject, message string) {
		d := &contactData{Name: name, Email: email, Topic: topic, Subject: subject, Message: message, Err: map[string]string{}}
		p := &publicPage{translator: newTranslator(0, nil)}
		if !h.checkContact(p, d) {
			if len(d.Errors) == 0 {
				t.Fatal("refused without a reason")
			}
			return
		}
		if name == "" || utf8.RuneCountInString(name) > contactNameMax || !oneLine(name) || !oneLine(subject) ||
			utf8.RuneCountInString(subject) > contactSubjectMax || !validTopic(topic) || message == "" ||
			utf8.RuneCountInString(message) > contactMessageMax || !utf8.ValidString(message) || strings.ContainsAny(email, "<> \r\n"+contactEmailRefused) {
			t.Fatalf("accepted %q %q %q %q %q", name, email, topic, subject, message)
		}
		if isDeletionSubject(subject) && !strings.Contains(strings.ToLower(subject), "deletion") && !strings.Contains(subject, "削除") {
			t.Fatalf("%q read as a deletion request", subject)
		}
	})
}

// TestContactAddressesForgotten: once its hour has passed, a client
// address is no longer held, as the privacy policy says.
func TestContactAddressesForgotten(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	do(t, e.client(t), "POST", e.srv.URL+"/contact", contactForm("A", "a@example.com", "question", "", "hi"))
	if n := e.h.site.contact.Len(); n != 1 {
		t.Fatalf("%d addresses held, want 1", n)
	}
	e.clock.Add(contactWindow)
	do(t, e.client(t), "POST", e.srv.URL+"/contact", url.Values{"name": {""}}) // any post prunes
	if n := e.h.site.contact.Len(); n != 0 {
		t.Fatalf("%d addresses held after the window", n)
	}
}
