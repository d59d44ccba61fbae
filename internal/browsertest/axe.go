package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// AxeTags are the rule sets Axe runs: WCAG 2.0 and 2.1, levels A and AA,
// and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"}

// AxeViolation is one rule of axe-core that the page breaks.
type AxeViolation struct {
	ID      string // the rule, e.g. "color-contrast"
	Impact  string // minor, moderate, serious or critical
	Help    string
	HelpURL string
	Nodes   []AxeNode
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	Target  string // CSS selectors of the element, comma-separated
	HTML    string // the start of its markup
	Summary string // what is wrong, in axe's words
}

// Serious reports whether the impact is serious or critical.
func (v AxeViolation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// String gives the rule, impact, help URL and every element on one line
// each.
func (v AxeViolation) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&s, "\n\t%s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return s.String()
}

var axeSource = sync.OnceValues(func() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeRun runs axe on the document and returns what it found, by value.
// axe leaves the contrast of text of one or two characters (a day number)
// to review, even when it measured it; those measured too low are counted
// as color-contrast violations too.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations", "incomplete"]});
	const low = n => n.any.some(c => c.data && c.data.messageKey === "shortTextContent" &&
		c.data.contrastRatio > 0 && c.data.contrastRatio < parseFloat(c.data.expectedContrastRatio));
	const short = r.incomplete.filter(v => v.id === "color-contrast")
		.map(v => Object.assign({}, v, {impact: v.impact || "serious", help: v.help + " (short text, which axe leaves to review)",
			nodes: v.nodes.filter(low).map(n => Object.assign({}, n, {failureSummary: n.any.map(c => c.message).join(" ")}))}))
		.filter(v => v.nodes.length);
	return r.violations.concat(short).map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({Target: n.target.map(t => [].concat(t).join(" >>> ")).join(", "),
			HTML: n.html.slice(0, 160), Summary: n.failureSummary || ""}))}));
})()`

// Axe runs axe-core (testdata/axe, test data that the binary never
// embeds) on the current page with the rules of AxeTags and returns the
// violations of every impact, short text of too low a contrast included
// (see axeRun). The script is evaluated through the DevTools protocol
// (Runtime.evaluate), to which the page's Content-Security-Policy does not
// apply: the server under test needs no extra route and the page no inline
// script. The page keeps axe until it navigates.
func (b *Browser) Axe() []AxeViolation {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	if !Eval[bool](b, `typeof window.axe === "object"`) {
		// The trailing void keeps the result (axe's module) out of the reply.
		if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[chromedp.Void](src+"\n;void 0")); err != nil {
			b.t.Fatalf("load axe-core: %v", err)
		}
	}
	tags := `["` + strings.Join(AxeTags, `", "`) + `"]`
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]AxeViolation](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core on %s: %v", b.Location(), err)
	}
	return out
}
