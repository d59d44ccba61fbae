package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/rules"
)

// errLintInvalid makes lint exit 1 without another message: the verdict was
// already printed.
var errLintInvalid = errors.New("text is not valid for the platform")

// maxLintInput bounds what lint reads from stdin; no platform takes more.
const maxLintInput = snsos.MaxBodyBytes

func runLint(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "lint", "lint --platform x|threads|instagram|tiktok [--json] < text",
		"Read a post's text on stdin and check it against the platform's rules, counting as the platform\ncounts (X: twitter-text v3 weighted length). Exits 1 when the text is not valid.")
	platform := fs.String("platform", "", "x, threads, instagram or tiktok")
	asJSON := fs.Bool("json", false, `print {"platform","length","max_length","valid","errors"} as JSON`)
	hasMedia := fs.Bool("media", false, "the post carries media (text may then be empty)")
	photo := fs.Bool("tiktok-photo", false, "TikTok: check as a photo post (title 90, description 4,000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (the text is read from stdin)", fs.Arg(0))}
	}
	if *platform == "" {
		return usageError{"--platform is required: x, threads, instagram or tiktok"}
	}
	p, err := snsos.ParsePlatform(*platform)
	if err != nil {
		return usageError{snsos.ErrorMessage(err)}
	}
	b, err := io.ReadAll(io.LimitReader(e.stdin, maxLintInput+1))
	if err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	if len(b) > maxLintInput {
		return fmt.Errorf("the text is longer than %d bytes; no platform accepts that", maxLintInput)
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("the text is not valid UTF-8")
	}
	text := string(b)
	// A trailing newline from echo or a file is not part of the post.
	for len(text) > 0 && (text[len(text)-1] == '\n' || text[len(text)-1] == '\r') {
		text = text[:len(text)-1]
	}
	res := rules.Check(p, text, rules.Options{HasMedia: *hasMedia, TikTokPhoto: *photo})
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		verdict := "valid"
		if !res.Valid {
			verdict = "not valid"
		}
		fmt.Fprintf(e.stdout, "%s: %d of %d characters, %s\n", p.DisplayName(), res.Length, res.MaxLength, verdict)
		for _, fe := range res.Errors {
			fmt.Fprintf(e.stdout, "  - %s\n", fe.Message)
		}
		if p == snsos.PlatformX {
			cfg, err := config.Load(nil, e.getenv)
			if err != nil {
				return err
			}
			cost := rules.EstimateXCost([]string{text}, rules.XPrices{Post: cfg.XPricePost, PostWithURL: cfg.XPricePostWithURL})
			fmt.Fprintf(e.stdout, "estimated X cost: %s\n", cost)
		}
	}
	if !res.Valid {
		return errLintInvalid
	}
	return nil
}
