package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
)

// fakePurger records what the operator confirmed.
type fakePurger struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakePurger) ConfirmDeletion(ctx context.Context, code string, ids []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.calls = append(f.calls, code+":"+itoa(id))
	}
	return nil
}

// sendContact posts the contact form as a stranger and returns the
// stored message.
func sendContact(t *testing.T, e *siteEnv, f url.Values) *snsos.ContactMessage {
	t.Helper()
	if resp, _ := do(t, e.client(t), "POST", e.srv.URL+"/contact", f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	return inbox(t, e.store)[0]
}

// TestInboxPages: the inbox lists messages (escaped), the nav shows how
// many wait, a message page marks it read and shows its text, and handled
// messages leave the list, the badge and the dashboard.
func TestInboxPages(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	m := sendContact(t, e, contactForm("<Ann>", "ann@example.com", "question", "Hello <b>there</b>", "line one\n<script>x</script>"))
	stranger := e.client(t)
	if resp, _ := do(t, stranger, "GET", e.srv.URL+"/inbox", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a stranger opens the inbox: %d", resp.StatusCode)
	}
	c := signedIn(t, e.testEnv)
	_, body := do(t, c, "GET", e.srv.URL+"/inbox", nil)
	wantAll(t, "inbox", body, `<a href="/inbox" aria-current="page">Inbox <span class="navbadge" aria-hidden="true">1</span>`,
		"&lt;Ann&gt;", "Hello &lt;b&gt;there&lt;/b&gt;", `<tr class="unread">`, "New", "To handle (1)")
	path := "/inbox/" + itoa(m.ID)
	_, body = do(t, c, "GET", e.srv.URL+path, nil)
	wantAll(t, "message", body, "<pre class=\"message-body\" lang=\"en\">line one\n&lt;script&gt;x&lt;/script&gt;</pre>", "mailto:ann@example.com?subject=Re:%20Hello%20%3Cb%3Ethere%3C%2Fb%3E",
		"Mark handled", "Delete this message")
	if strings.Contains(body, "Data deletion request") {
		t.Error("an ordinary message shows the deletion box")
	}
	if got, _ := e.store.FindContactMessage(context.Background(), m.ID); got.ReadAt.IsZero() {
		t.Error("opening the message did not mark it read")
	}
	_, home := do(t, c, "GET", e.srv.URL+"/", nil)
	wantAll(t, "dashboard", home, "&lt;Ann&gt; wrote through the contact form.", `href="`+path+`"`, ">Read<")

	resp, _ := do(t, c, "POST", e.srv.URL+path+"/handled", url.Values{"handled": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox?flash=handled" {
		t.Fatalf("handled: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = do(t, c, "GET", e.srv.URL+"/inbox?flash=handled", nil)
	wantAll(t, "inbox after", body, "Marked handled.", "No message waits for you.")
	if strings.Contains(body, `class="navbadge"`) {
		t.Error("the badge still counts a handled message")
	}
	if items := siteItems(t, e.store, e.clock.Now()); len(items) != 0 {
		t.Fatalf("still on the attention list: %+v", items)
	}
	_, body = do(t, c, "GET", e.srv.URL+"/inbox?show=all", nil)
	wantAll(t, "all", body, "Handled", "&lt;Ann&gt;")
	resp, _ = do(t, c, "POST", e.srv.URL+path+"/delete", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+path, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a deleted message: %d", resp.StatusCode)
	}
}

// TestInboxDeletionConfirm: a form deletion request deletes nothing until
// the operator confirms it; confirmed for the sender alone, their messages
// go at once; confirmed for an account, the Purger gets it, or, without
// one, nothing happens and the page says so.
func TestInboxDeletionConfirm(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	ctx := context.Background()
	acct := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "main"}
	if err := e.store.UpsertAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	sendContact(t, e, contactForm("Ann", "ann@example.com", "question", "Older note", "hi"))
	m := sendContact(t, e, contactForm("Ann", "ANN@example.com", "deletion", "", "Please delete what you hold about me."))
	path := "/inbox/" + itoa(m.ID)
	c := signedIn(t, e.testEnv)
	_, body := do(t, c, "GET", e.srv.URL+path, nil)
	wantAll(t, "deletion message", body, "Data deletion request", "Status: waiting for your confirmation; nothing has been deleted",
		"Reply to the sender by Tue, 1 Dec 2026, 03:00", "Complete the deletion by Tue, 29 Dec 2026, 03:00",
		`<option value="sender">Only the messages from this sender</option>`, `<option value="`+itoa(acct.ID)+`">The X account @main</option>`,
		`href="/deletion/`+m.DeletionCode+`"`)

	// Without the box ticked, nothing happens.
	resp, _ := do(t, c, "POST", e.srv.URL+path+"/deletion", url.Values{"about": {"sender"}})
	if resp.Header.Get("Location") != path+"?flash=notconfirmed" || len(inbox(t, e.store)) != 2 {
		t.Fatalf("unconfirmed: %s", resp.Header.Get("Location"))
	}
	// An account without a Purger: refused, nothing deleted.
	resp, _ = do(t, c, "POST", e.srv.URL+path+"/deletion", url.Values{"about": {itoa(acct.ID)}, "confirm": {"1"}})
	if resp.Header.Get("Location") != path+"?flash=nopurge" {
		t.Fatalf("no purger: %s", resp.Header.Get("Location"))
	}
	_, body = do(t, c, "GET", e.srv.URL+path+"?flash=nopurge", nil)
	wantAll(t, "no purger", body, "Purge not available", "Nothing was deleted.")
	if req, _ := e.store.FindDeletionRequestByCode(ctx, m.DeletionCode); req.Status != snsos.DeletionUnconfirmed {
		t.Fatalf("request moved to %s", req.Status)
	}

	// The sender alone: every message from the address goes.
	resp, _ = do(t, c, "POST", e.srv.URL+path+"/deletion", url.Values{"about": {"sender"}, "confirm": {"1"}})
	if resp.Header.Get("Location") != "/inbox?flash=purged" {
		t.Fatalf("sender only: %s", resp.Header.Get("Location"))
	}
	if n := len(inbox(t, e.store)); n != 0 {
		t.Fatalf("%d messages left", n)
	}
	if req, _ := e.store.FindDeletionRequestByCode(ctx, m.DeletionCode); req.Status != snsos.DeletionCompleted || req.CompletedAt.IsZero() {
		t.Fatalf("request = %+v", req)
	}

	// With a Purger, an account's deletion is handed to it.
	fp := &fakePurger{}
	e2 := newSiteEnv(t, e.store, e.clock, func(c *Config) { c.Purger = fp })
	m2 := sendContact(t, e2, contactForm("Cy", "cy@example.com", "deletion", "", "Delete @main"))
	c2 := signedIn(t, e2.testEnv)
	path2 := "/inbox/" + itoa(m2.ID)
	resp, _ = do(t, c2, "POST", e2.srv.URL+path2+"/deletion", url.Values{"about": {itoa(acct.ID)}, "confirm": {"1"}})
	if resp.Header.Get("Location") != path2+"?flash=confirmed" || len(fp.calls) != 1 || fp.calls[0] != m2.DeletionCode+":"+itoa(acct.ID) {
		t.Fatalf("purger: %s %v", resp.Header.Get("Location"), fp.calls)
	}
	if got, _ := e2.store.FindContactMessage(ctx, m2.ID); got.HandledAt.IsZero() {
		t.Error("the confirmed request's message is not marked handled")
	}
	// An ordinary message has no deletion to confirm.
	m3 := sendContact(t, e2, contactForm("Di", "di@example.com", "question", "", "hi"))
	if resp, _ := do(t, c2, "POST", e2.srv.URL+"/inbox/"+itoa(m3.ID)+"/deletion", url.Values{"about": {"sender"}, "confirm": {"1"}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("confirming an ordinary message: %d", resp.StatusCode)
	}
}

// TestInboxKeepsOpenRequestMessage: the message that carries a deletion
// request still open cannot be deleted by hand — the page says why and
// what to do — and a sender's second request survives the first being
// settled as "the sender's messages only"; once settled, it can go.
func TestInboxKeepsOpenRequestMessage(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	first := sendContact(t, e, contactForm("Ann", "ann@example.com", "deletion", "", "Delete my messages."))
	second := sendContact(t, e, contactForm("Ann", "Ann@example.com", "deletion", "", "And my Instagram data."))
	c := signedIn(t, e.testEnv)
	path := "/inbox/" + itoa(second.ID)
	resp, _ := do(t, c, "POST", e.srv.URL+path+"/delete", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?flash=deletionopen" {
		t.Fatalf("deleting the message of an open request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := do(t, c, "GET", e.srv.URL+path+"?flash=deletionopen", nil)
	wantAll(t, "refusal", body, `role="alert"`, "Not deleted: this message carries a data deletion request that is still open.",
		"Settle the request first")

	resp, _ = do(t, c, "POST", e.srv.URL+"/inbox/"+itoa(first.ID)+"/deletion", url.Values{"about": {"sender"}, "confirm": {"1"}})
	if resp.Header.Get("Location") != "/inbox?flash=purged" {
		t.Fatalf("settling the first: %s", resp.Header.Get("Location"))
	}
	left := inbox(t, e.store)
	if len(left) != 1 || left[0].ID != second.ID {
		t.Fatalf("after settling the first request the inbox holds %+v", left)
	}
	if d, err := e.store.FindDeletionRequestByCode(context.Background(), second.DeletionCode); err != nil || d.Status != snsos.DeletionUnconfirmed {
		t.Fatalf("the second request %+v, %v", d, err)
	}
	resp, _ = do(t, c, "POST", e.srv.URL+path+"/deletion", url.Values{"about": {"sender"}, "confirm": {"1"}})
	if resp.Header.Get("Location") != "/inbox?flash=purged" || len(inbox(t, e.store)) != 0 {
		t.Fatalf("settling the second: %s, %d left", resp.Header.Get("Location"), len(inbox(t, e.store)))
	}
}

// TestInboxReplyLinkEscaped: a stored address or subject with "?", "&" or
// "%" (from before the form refused them, or the store written otherwise)
// cannot add a recipient or header field to the Reply link.
func TestInboxReplyLinkEscaped(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	m := &snsos.ContactMessage{Name: "Eve", Email: "victim%40real.example?bcc=spy%40evil.example&x=@example.com",
		Subject: "hi&bcc=spy@evil.example#x", Body: "hello", Lang: "en"}
	if err := e.store.CreateContact(context.Background(), m, nil); err != nil {
		t.Fatal(err)
	}
	c := signedIn(t, e.testEnv)
	_, body := do(t, c, "GET", e.srv.URL+"/inbox/"+itoa(m.ID), nil)
	want := "mailto:victim%2540real.example%3Fbcc%3Dspy%2540evil.example%26x%3D@example.com?subject=Re:%20hi%26bcc%3Dspy@evil.example%23x"
	wantAll(t, "reply link", body, `href="`+want+`"`)
	hrefs := regexp.MustCompile(`href="mailto:[^"]*"`).FindAllString(body, -1)
	if len(hrefs) != 2 {
		t.Fatalf("mailto links %q", hrefs)
	}
	for _, h := range hrefs {
		u, err := url.Parse(html.UnescapeString(strings.TrimSuffix(strings.TrimPrefix(h, `href="`), `"`)))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if len(q) != 1 || q.Get("subject") != "Re: hi&bcc=spy@evil.example#x" || u.Fragment != "" {
			t.Errorf("%s reads as fields %v, fragment %q", h, q, u.Fragment)
		}
		if to, _ := url.PathUnescape(u.Opaque); to != m.Email {
			t.Errorf("%s is addressed to %q", h, to)
		}
	}
}

func TestMailtoHref(t *testing.T) {
	for _, c := range []struct{ addr, subject, want string }{
		{"ann@example.com", "Re: Hello", "mailto:ann@example.com?subject=Re:%20Hello"},
		{"a+b@example.com", "Re: 1+1=2", "mailto:a%2Bb@example.com?subject=Re:%201%2B1%3D2"},
		{"佐藤@example.jp", "Re: こんにちは", "mailto:%E4%BD%90%E8%97%A4@example.jp?subject=Re:%20%E3%81%93%E3%82%93%E3%81%AB%E3%81%A1%E3%81%AF"},
		{"a,b@example.com", "Re: x", "mailto:a%2Cb@example.com?subject=Re:%20x"},
	} {
		if got := mailtoHref(c.addr, c.subject); got != c.want {
			t.Errorf("mailtoHref(%q, %q) = %q, want %q", c.addr, c.subject, got, c.want)
		}
	}
}
