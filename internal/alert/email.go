package alert

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/attention"
)

// EmailConfig is the email channel: an SMTP server URL and the addresses.
type EmailConfig struct {
	// URL is smtp://user:password@host:587 (STARTTLS, required unless the
	// host is loopback) or smtps://user:password@host:465 (TLS from the
	// start). The user info, when present, is used with AUTH PLAIN.
	URL string
	// From is the sender address; To the recipients.
	From string
	To   []string
	// TLS, when set, is the base TLS configuration (tests add their CA).
	TLS *tls.Config
	// Dial, when set, replaces the network dial (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds one message from dial to QUIT (default 30 s).
	Timeout time.Duration
}

type emailChannel struct {
	cfg                     EmailConfig
	host, addr              string
	implicitTLS, mayBePlain bool
	user, pass              string
	from                    string
	to                      []string
	render                  func(m Message) (subject, body string)
}

// ParseSMTPURL checks an SMTP URL and returns its host, address (host:port)
// and whether TLS starts at once (smtps).
func ParseSMTPURL(raw string) (host, addr string, implicitTLS bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", false, errors.New("is not a URL; use smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, implicitTLS = "465", true
	default:
		return "", "", false, errors.New("must start with smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	host = u.Hostname()
	if host == "" {
		return "", "", false, errors.New("names no host; use smtp://user:password@host:587")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", false, errors.New("has a bad port")
		}
		port = p
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", "", false, errors.New("takes no path or query; use smtp://user:password@host:587")
	}
	return host, net.JoinHostPort(host, port), implicitTLS, nil
}

// ParseAddresses parses a comma-separated list of email addresses and
// returns the bare addresses.
func ParseAddresses(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := mail.ParseAddress(part)
		if err != nil || strings.ContainsAny(a.Address, "\r\n<>") {
			return nil, fmt.Errorf("%q is not an email address", part)
		}
		out = append(out, a.Address)
	}
	if len(out) == 0 {
		return nil, errors.New("names no address")
	}
	return out, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newEmail(c EmailConfig, render func(Message) (string, string)) (*emailChannel, error) {
	host, addr, implicit, err := ParseSMTPURL(c.URL)
	if err != nil {
		return nil, errors.New("SMTP URL " + err.Error())
	}
	u, _ := url.Parse(c.URL)
	ch := &emailChannel{cfg: c, host: host, addr: addr, implicitTLS: implicit, mayBePlain: isLoopback(host), render: render}
	if u.User != nil {
		ch.user = u.User.Username()
		ch.pass, _ = u.User.Password()
	}
	from, err := ParseAddresses(c.From)
	if err != nil || len(from) != 1 {
		return nil, errors.New("alert email sender: give one address")
	}
	ch.from = from[0]
	for _, t := range c.To {
		to, err := ParseAddresses(t)
		if err != nil {
			return nil, errors.New("alert email recipients: " + err.Error())
		}
		ch.to = append(ch.to, to...)
	}
	if len(ch.to) == 0 {
		return nil, errors.New("alert email recipients: give at least one address")
	}
	if ch.cfg.Timeout <= 0 {
		ch.cfg.Timeout = 30 * time.Second
	}
	return ch, nil
}

func (e *emailChannel) Name() string { return "email" }

func (e *emailChannel) Describe() string {
	return "email to " + strings.Join(e.to, ", ") + " via " + e.host
}

func (e *emailChannel) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.cfg.TLS != nil {
		c = e.cfg.TLS.Clone()
	}
	c.ServerName = e.host
	return c
}

// Send delivers m over SMTP. The password goes only in AUTH, over TLS (or
// to a loopback server); no error it returns holds it.
func (e *emailChannel) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	err := e.send(ctx, m)
	if err != nil && e.pass != "" {
		err = errors.New(strings.ReplaceAll(err.Error(), e.pass, "[REDACTED]"))
	}
	return err
}

func (e *emailChannel) send(ctx context.Context, m Message) error {
	dial := e.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	conn, err := dial(ctx, "tcp", e.addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", e.addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if e.implicitTLS {
		tc := tls.Client(conn, e.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS with %s: %w", e.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting from %s: %w", e.addr, err)
	}
	defer c.Close()
	if err := c.Hello("sns-os.localhost"); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !e.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConfig()); err != nil {
				return fmt.Errorf("STARTTLS with %s: %w", e.addr, err)
			}
		} else if !e.mayBePlain {
			return fmt.Errorf("%s does not offer STARTTLS; sns-os sends mail in clear only to a loopback server (use smtps:// for TLS from the start)", e.addr)
		}
	}
	if e.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("%s does not offer AUTH, but the SMTP URL names a user", e.addr)
		}
		if err := c.Auth(smtp.PlainAuth("", e.user, e.pass, e.host)); err != nil {
			return fmt.Errorf("SMTP sign-in as %s: %w", e.user, err)
		}
	}
	if err := c.Mail(e.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(e.message(m)); err != nil {
		w.Close()
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("message refused: %w", err)
	}
	c.Quit() // the message was accepted; a failed QUIT does not undo it
	return nil
}

// message is the whole RFC 5322 message: plain text, UTF-8,
// quoted-printable (excerpts may be Japanese).
func (e *emailChannel) message(m Message) []byte {
	subject, body := e.render(m)
	var b bytes.Buffer
	id := make([]byte, 12)
	rand.Read(id)
	at := m.SentAt
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(&b, "From: sns-os <%s>\r\n", e.from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(e.to, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@sns-os>\r\n", hex.EncodeToString(id))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n")
	b.WriteString("Auto-Submitted: auto-generated\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(body))
	qp.Close()
	return b.Bytes()
}

// render returns the subject and text of m, in English.
func (a *Alerter) render(m Message) (subject, body string) {
	var b strings.Builder
	if m.Event == EventTest {
		subject = "sns-os: test alert"
		b.WriteString("This is a test alert from sns-os. If you can read it, alerts by email work.\n")
		if a.cfg.PublicURL != "" {
			fmt.Fprintf(&b, "\nsns-os: %s/\n", a.cfg.PublicURL)
		}
		return subject, b.String()
	}
	n := len(m.Items)
	if n == 1 {
		subject = "sns-os: 1 thing needs your attention"
		b.WriteString("This needs your attention in sns-os:\n")
	} else {
		subject = fmt.Sprintf("sns-os: %d things need your attention", n)
		fmt.Fprintf(&b, "These %d things need your attention in sns-os:\n", n)
	}
	now := a.now()
	for i, it := range m.Items {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, clip(it.Text(a.cfg.Location, now), 600))
		if it.PostPath != "" {
			fmt.Fprintf(&b, "   Post: %s\n", a.link(it.PostPath))
		}
		if it.Action.Kind == "reconnect" { // a form on the accounts page (connecting is a POST)
			fmt.Fprintf(&b, "   Reconnect: %s\n", a.link("/accounts"))
		}
		if it.Action.Kind == attention.ActionSettings { // the git archive's status
			fmt.Fprintf(&b, "   Settings: %s\n", a.link(it.Action.Path))
		}
	}
	if a.cfg.PublicURL != "" {
		fmt.Fprintf(&b, "\nOpen the dashboard: %s/\n", a.cfg.PublicURL)
	}
	b.WriteString("\nEach problem is sent once; the dashboard lists everything that still needs you.\n")
	return subject, b.String()
}

// clip cuts s to n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
