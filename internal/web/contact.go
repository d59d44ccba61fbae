package web

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
)

// The contact form (POST /contact, /ja/contact): a stranger's message is
// checked, counted against its client address (the sign-in throttle's
// address, trusting X-Forwarded-For from the trusted proxies only; an IPv6
// address counts by its /64, as one host usually holds a whole one), stored
// as text, and put before the operator through the inbox, the attention
// list and the alert channels. A "Data Deletion Request" also opens a
// deletion request that waits for the operator: a form post never deletes
// anything by itself.

// Limits of the form. A Japanese character takes nine bytes
// percent-encoded, so the body bound leaves room for a full message.
const (
	contactNameMax    = 100
	contactEmailMax   = 254
	contactSubjectMax = 150
	contactMessageMax = 5000
	contactBodyMax    = 64 << 10

	// contactPerClient messages per contactWindow from one address;
	// contactPerWindow from all of them together.
	contactPerClient = 5
	contactPerWindow = 200
	contactWindow    = time.Hour
)

// contactEmailRefused are characters RFC 5322 allows in an address that
// the form refuses all the same: in the inbox's mailto: link they start
// or join header fields (?bcc=…&cc=…) or percent-escapes, and no real
// sender needs them. The link escapes the address anyway (mailtoHref).
const contactEmailRefused = "?&%"

// contactTopics are the choices of "What is it about?", in order.
var contactTopics = []string{"question", "privacy", "deletion"}

// deletionSubjects are subjects that ask for deletion whatever the topic
// chosen (Meta's reviewers type the English one).
var deletionSubjects = []string{"data deletion request", "データ削除リクエスト"}

// contactCode is what a confirmation code made here looks like; the sent
// page shows a code only of this shape.
var contactCode = regexp.MustCompile(`^[A-Za-z0-9_-]{16}$`)

type contactData struct {
	Name, Email, Topic, Subject, Message string
	Topics                               []topicOption
	Errors                               []fieldError
	// Err holds each field's message by field id.
	Err map[string]string
	// Sent, Code and StatusHref describe the page after sending.
	Sent       bool
	Code       string
	StatusHref string
	Again      string
	PolicyLink template.HTML
	NameMax    int
	SubjectMax int
	MessageMax int
	// The limits as the page writes numbers ("5,000").
	SubjectMaxText, MessageMaxText string
}

type topicOption struct {
	Value, Label string
	Selected     bool
}

func (h *Handler) contactPage(r *http.Request, d *contactData) *publicPage {
	p := h.newPublicPage(r, "contact.title", d)
	d.NameMax, d.SubjectMax, d.MessageMax = contactNameMax, contactSubjectMax, contactMessageMax
	d.SubjectMaxText, d.MessageMaxText = groupDigits(contactSubjectMax), groupDigits(contactMessageMax)
	d.PolicyLink = link(localPath(p.lang, "/privacy"), p.T("contact.policy"))
	d.Again = localPath(p.lang, "/contact")
	if d.Topic == "" {
		d.Topic = contactTopics[0]
	}
	for _, t := range contactTopics {
		d.Topics = append(d.Topics, topicOption{Value: t, Label: p.T("contact.topic." + t), Selected: t == d.Topic})
	}
	if d.Err == nil {
		d.Err = map[string]string{}
	}
	return p
}

func (h *Handler) handleContact(w http.ResponseWriter, r *http.Request) {
	d := &contactData{}
	q := r.URL.Query()
	switch q.Get("sent") {
	case "1":
		d.Sent = true
	case "deletion":
		d.Sent = true
		if code := q.Get("code"); contactCode.MatchString(code) {
			d.Code = code
		}
	}
	if t := q.Get("topic"); t == "deletion" {
		d.Topic = t // a link such as the policy's can preselect it
	}
	p := h.contactPage(r, d)
	if d.Code != "" {
		d.StatusHref = localPath(p.lang, "/deletion/"+d.Code) // deletion.go
	}
	if d.Sent {
		p.Title = p.T("contact.sent.title")
	}
	h.renderPublic(w, http.StatusOK, "contact", p)
}

func (h *Handler) handleContactPost(w http.ResponseWriter, r *http.Request) {
	d := &contactData{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		h.contactRefuse(w, r, d, http.StatusUnsupportedMediaType, "contact.error.form")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, contactBodyMax)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.contactRefuse(w, r, d, http.StatusRequestEntityTooLarge, "contact.error.toolarge")
			return
		}
		h.contactRefuse(w, r, d, http.StatusBadRequest, "contact.error.form")
		return
	}
	f := r.PostForm
	d.Name, d.Email, d.Topic = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email")), f.Get("topic")
	d.Subject, d.Message = strings.TrimSpace(f.Get("subject")), strings.TrimSpace(f.Get("message"))
	p := h.contactPage(r, d)
	key := h.clientAddr(r)
	// The policy says an address is held for the window and no longer.
	h.site.contact.prune()
	if blocked, left := h.site.contact.Blocked(key); blocked {
		h.contactThrottled(w, p, d, left)
		return
	}
	if f.Get("website") != "" {
		// The trap field is hidden from people: only a robot fills it. It is
		// answered as a success (so it learns nothing) and counted.
		h.site.contact.Reserve(key)
		h.log.Info("web: contact form trap filled; message dropped", "remote", key)
		http.Redirect(w, r, localPath(p.lang, "/contact")+"?sent=1", http.StatusSeeOther)
		return
	}
	if !h.checkContact(p, d) {
		h.renderPublic(w, http.StatusBadRequest, "contact", p)
		return
	}
	if ok, left := h.site.contact.Reserve(key); !ok {
		h.contactThrottled(w, p, d, left)
		return
	}
	if ok, _ := h.site.contactAll.Reserve("all"); !ok {
		h.site.contact.Refund(key)
		d.Errors = []fieldError{{ID: "message", Msg: p.T("contact.busy")}}
		h.renderPublic(w, http.StatusTooManyRequests, "contact", p)
		return
	}
	h.storeContact(w, r, p, d)
}

// storeContact stores a checked message (and its deletion request) and
// sends the visitor to the sent page.
func (h *Handler) storeContact(w http.ResponseWriter, r *http.Request, p *publicPage, d *contactData) {
	m := &snsos.ContactMessage{Name: d.Name, Email: d.Email, Subject: d.Subject, Body: d.Message, Lang: p.lang}
	var req *snsos.DeletionRequest
	if d.Topic == "deletion" || isDeletionSubject(d.Subject) {
		req = &snsos.DeletionRequest{ConfirmationCode: auth.NewToken("", 12)}
		if m.Subject == "" {
			m.Subject = "Data Deletion Request"
		}
	}
	if err := h.store.CreateContact(r.Context(), m, req); err != nil {
		h.publicError(w, r, "store contact message", err)
		return
	}
	h.log.Info("web: contact message received", "id", m.ID, "deletion", req != nil)
	h.site.notifier.trigger()
	next := localPath(p.lang, "/contact") + "?sent=1"
	if req != nil {
		next = localPath(p.lang, "/contact") + "?sent=deletion&code=" + req.ConfirmationCode
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkContact checks the fields, filling d's errors; it reports whether
// the message may be stored.
func (h *Handler) checkContact(p *publicPage, d *contactData) bool {
	bad := func(id, msg string) {
		d.Err[id] = msg
		d.Errors = append(d.Errors, fieldError{ID: id, Msg: msg})
	}
	if d.Name == "" || utf8.RuneCountInString(d.Name) > contactNameMax || !oneLine(d.Name) {
		bad("name", p.T("contact.error.name", "Max", groupDigits(contactNameMax)))
	}
	if a, err := mail.ParseAddress(d.Email); err != nil || len(d.Email) > contactEmailMax || a.Address != d.Email || !oneLine(d.Email) {
		bad("email", p.T("contact.error.email"))
	} else if strings.ContainsAny(d.Email, contactEmailRefused) {
		bad("email", p.T("contact.error.email_chars"))
	}
	if !validTopic(d.Topic) {
		bad("topic", p.T("contact.error.topic"))
	}
	if utf8.RuneCountInString(d.Subject) > contactSubjectMax || !oneLine(d.Subject) {
		bad("subject", p.T("contact.error.subject", "Max", groupDigits(contactSubjectMax)))
	}
	if d.Message == "" || utf8.RuneCountInString(d.Message) > contactMessageMax || !utf8.ValidString(d.Message) {
		bad("message", p.T("contact.error.message", "Max", groupDigits(contactMessageMax)))
	}
	return len(d.Errors) == 0
}

func validTopic(t string) bool {
	for _, v := range contactTopics {
		if t == v {
			return true
		}
	}
	return false
}

// oneLine reports whether s is valid UTF-8 without control characters
// (no line breaks: it goes into alert email bodies and subjects).
func oneLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func isDeletionSubject(s string) bool {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, d := range deletionSubjects {
		if s == d {
			return true
		}
	}
	return false
}

// contactRefuse answers a post that is not a form this page sent.
func (h *Handler) contactRefuse(w http.ResponseWriter, r *http.Request, d *contactData, status int, msgID string) {
	p := h.contactPage(r, d)
	d.Errors = []fieldError{{ID: "name", Msg: p.T(msgID)}}
	h.renderPublic(w, status, "contact", p)
}

// contactThrottled answers 429 with what was typed kept.
func (h *Handler) contactThrottled(w http.ResponseWriter, p *publicPage, d *contactData, left time.Duration) {
	mins := max(1, int((left+time.Minute-1)/time.Minute))
	d.Errors = []fieldError{{ID: "message", Msg: p.T("contact.throttled", "Count", mins)}}
	w.Header().Set("Retry-After", itoaDur(left))
	h.renderPublic(w, http.StatusTooManyRequests, "contact", p)
}

// itoaDur is d in whole seconds, at least 1 (for Retry-After).
func itoaDur(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// prune drops every entry whose window has passed, so no client address
// stays in memory longer than the window (the privacy policy says so).
func (t *throttle) prune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, e := range t.m {
		if !now.Before(e.first.Add(t.window)) {
			delete(t.m, k)
		}
	}
}
