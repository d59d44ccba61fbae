package web

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFS embed.FS

// Languages the UI speaks, in the matcher's order: the first is the
// fallback for a message a translation lacks and for a browser that asks
// for neither.
var languages = []language.Tag{language.English, language.Japanese}

// langCodes are the cookie values and <html lang> codes of languages.
var langCodes = []string{"en", "ja"}

// langCookie holds the language the operator chose with the switcher.
const langCookie = "lang"

// The messages and the language matcher are loaded at the first page
// that needs them, not at start-up.
var (
	bundle  = sync.OnceValue(newBundle)
	matcher = sync.OnceValue(func() language.Matcher { return language.NewMatcher(languages) })
)

func newBundle() *i18n.Bundle {
	b := i18n.NewBundle(languages[0])
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	// Each feature has its own files: locales/<feature>.<lang>.json.
	for _, code := range langCodes {
		files, _ := fs.Glob(localeFS, "locales/*."+code+".json")
		for _, f := range files {
			if _, err := b.LoadMessageFileFS(localeFS, f); err != nil {
				panic(fmt.Sprintf("web: locale %s: %v", f, err)) // embedded: a test catches it
			}
		}
	}
	return b
}

// langCookieValue is the lang cookie's value, set under the __Host- prefix
// over HTTPS (see Handler.cookieName) or the plain name over http.
func langCookieValue(r *http.Request) string {
	for _, name := range []string{"__Host-" + langCookie, langCookie} {
		if c, err := r.Cookie(name); err == nil {
			return c.Value
		}
	}
	return ""
}

// pickLang returns the index in langCodes of the language for a request:
// the lang cookie when it names a known language, else the best match for
// Accept-Language, else English.
func pickLang(r *http.Request) int {
	if i := langIndex(langCookieValue(r)); i >= 0 {
		return i
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return 0
	}
	// The matcher returns tags such as ja-u-rg-jpzzzz; the index is what
	// names the language.
	_, i, conf := matcher().Match(tags...)
	if conf == language.No {
		return 0
	}
	return i
}

func langIndex(code string) int {
	for i, c := range langCodes {
		if c == code {
			return i
		}
	}
	return -1
}

// translator localizes the messages of one page.
type translator struct {
	lang string
	loc  *i18n.Localizer
	// missing is called with the id of a message no locale has.
	missing func(id string)
	// memo keeps the page's messages by id and plain arguments: a table
	// of a hundred rows asks for the same few cell titles thousands of
	// times, and each localisation costs microseconds.
	mu   sync.Mutex
	memo map[string]string
}

// memoMax bounds a page's memo.
const memoMax = 2048

func newTranslator(lang int, missing func(string)) *translator {
	code := langCodes[lang]
	return &translator{lang: code, loc: i18n.NewLocalizer(bundle(), code), missing: missing}
}

// T returns the message id in the page's language, falling back to English
// when the translation lacks it, and to the id itself when no locale has it.
// data is pairs of placeholder names and values.
func (tr *translator) T(id string, data ...any) string {
	key, ok := memoKey(id, data)
	if ok {
		tr.mu.Lock()
		s, hit := tr.memo[key]
		tr.mu.Unlock()
		if hit {
			return s
		}
	}
	s := tr.localize(id, data)
	if ok {
		tr.mu.Lock()
		if tr.memo == nil {
			tr.memo = map[string]string{}
		}
		if len(tr.memo) < memoMax {
			tr.memo[key] = s
		}
		tr.mu.Unlock()
	}
	return s
}

// memoKey is the memo's key for a message and its arguments, when they are
// all strings and integers (anything else is localized every time).
func memoKey(id string, data []any) (string, bool) {
	if len(data) == 0 {
		return id, true
	}
	var b strings.Builder
	b.WriteString(id)
	for _, v := range data {
		switch v := v.(type) {
		case string: // length-prefixed, so that no two argument lists meet
			b.WriteString("\x00s")
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		case int:
			b.WriteString("\x00i")
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString("\x00i")
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return "", false
		}
	}
	return b.String(), true
}

func (tr *translator) localize(id string, data []any) string {
	var td map[string]any
	if len(data) > 0 {
		td = make(map[string]any, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			if k, ok := data[i].(string); ok {
				td[k] = data[i+1]
			}
		}
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: td}
	if n, ok := td["Count"]; ok {
		lc.PluralCount = n
	}
	s, tag, err := tr.loc.LocalizeWithTag(lc)
	var nf *i18n.MessageNotFoundErr
	switch {
	case err == nil:
		return s
	case errors.As(err, &nf) && s != "" && tag == languages[0]:
		return s // English fallback
	default:
		if tr.missing != nil {
			tr.missing(id)
		}
		return id
	}
}

// TH is T for a message whose placeholders are HTML (such as a <code>
// command): every string value is escaped, template.HTML values are kept,
// and the message text itself comes from the embedded, reviewed locale
// files.
func (tr *translator) TH(id string, data ...any) template.HTML {
	esc := make([]any, len(data))
	for i, v := range data {
		switch v := v.(type) {
		case template.HTML:
			esc[i] = string(v)
		case string:
			if i%2 == 1 {
				esc[i] = template.HTMLEscapeString(v)
			} else {
				esc[i] = v
			}
		default:
			esc[i] = v
		}
	}
	return template.HTML(tr.T(id, esc...)) // #nosec: values escaped above
}

// Sp is the space that joins two pieces of a line in the page's language:
// " " in English, nothing in Japanese (ui-guide §7: no space between
// Japanese sentences, nor between Japanese and Latin text).
func (tr *translator) Sp() string {
	if tr.lang == "ja" {
		return ""
	}
	return " "
}

// weekdaysJA are the Japanese weekday names (ui-guide §7: our own table,
// not time.Format).
var weekdaysJA = [7]string{"日", "月", "火", "水", "木", "金", "土"}

// shortTime formats t for lists: "28 Nov 21:00" / "11月28日(土) 21:00",
// with the year when it is not this year's.
func shortTime(lang string, t, now time.Time) string {
	sameYear := t.Year() == now.Year()
	if lang == "ja" {
		s := fmt.Sprintf("%d月%d日(%s) %02d:%02d", int(t.Month()), t.Day(), weekdaysJA[t.Weekday()], t.Hour(), t.Minute())
		if !sameYear {
			s = fmt.Sprintf("%d年", t.Year()) + s
		}
		return s
	}
	if !sameYear {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("2 Jan 15:04")
}
