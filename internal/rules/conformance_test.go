package rules

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	snsos "github.com/sns-os/snsos"
)

// validateYML is twitter-text's conformance file, kept outside this repository.
var validateYML = filepath.Join("..", "..", "..", "shared", "testdata", "twitter-text", "validate.yml")

// conformanceCase is one case of a counter section of validate.yml.
type conformanceCase struct {
	Description string
	Text        string
	Expected    map[string]string
}

// TestTwitterTextConformance runs every case of the sections of
// twitter-text's validate.yml that use config v3 weighting. (The older
// "tweets" section assumes 140 characters and is not run.)
func TestTwitterTextConformance(t *testing.T) {
	t.Parallel()
	sections, err := readValidateYML(validateYML)
	if os.IsNotExist(err) {
		t.Skipf("twitter-text conformance data not found at %s; it lives in the shared workspace, not in this repository", validateYML)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"} {
		cases := sections[name]
		if len(cases) == 0 {
			t.Fatalf("section %s: no cases found", name)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.Description, func(t *testing.T) {
					t.Parallel()
					got := ParseX(tc.Text)
					want := func(key string) int {
						t.Helper()
						n, err := strconv.Atoi(tc.Expected[key])
						if err != nil {
							t.Fatalf("expected.%s = %q: %v", key, tc.Expected[key], err)
						}
						return n
					}
					if w := want("weightedLength"); got.WeightedLength != w {
						t.Errorf("weightedLength = %d, want %d", got.WeightedLength, w)
					}
					if w := tc.Expected["valid"] == "true"; got.Valid != w {
						t.Errorf("valid = %v, want %v", got.Valid, w)
					}
					if w := want("permillage"); got.Permillage != w {
						t.Errorf("permillage = %d, want %d", got.Permillage, w)
					}
					if w := want("validRangeEnd"); got.ValidRangeEnd != w {
						t.Errorf("validRangeEnd = %d, want %d", got.ValidRangeEnd, w)
					}
					if w := want("displayRangeEnd"); got.DisplayRangeEnd != w {
						t.Errorf("displayRangeEnd = %d, want %d", got.DisplayRangeEnd, w)
					}
					if got.WeightedLength != XWeightedLength(tc.Text) {
						t.Errorf("XWeightedLength disagrees with ParseX")
					}
					// Check agrees with the conformance verdict too.
					if r := Check(snsos.PlatformX, tc.Text, Options{}); r.Valid != got.Valid || r.Length != got.WeightedLength {
						t.Errorf("Check = {Length %d, Valid %v}, want {%d, %v}", r.Length, r.Valid, got.WeightedLength, got.Valid)
					}
				})
			}
		})
	}
}

// readValidateYML reads the sections of validate.yml that hold maps of
// expected values. It understands only the structure of that file: a
// "tests:" map of sections, each a list of cases with description, text
// (a double-quoted YAML scalar) and an expected map of scalars.
func readValidateYML(path string) (map[string][]conformanceCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	sections := map[string][]conformanceCase{}
	var (
		section  string
		cur      *conformanceCase
		expected bool
	)
	flush := func() {
		if cur != nil {
			sections[section] = append(sections[section], *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		switch {
		case indent == 2 && strings.HasSuffix(text, ":"):
			flush()
			section = strings.TrimSuffix(text, ":")
		case indent == 4 && strings.HasPrefix(text, "- "):
			flush()
			cur = &conformanceCase{Expected: map[string]string{}}
			expected = false
			text = strings.TrimPrefix(text, "- ")
			fallthrough
		case indent == 6 && cur != nil:
			key, value, _ := strings.Cut(text, ":")
			value = strings.TrimSpace(value)
			switch key {
			case "description":
				cur.Description, err = yamlScalar(value)
			case "text":
				cur.Text, err = yamlScalar(value)
			case "expected":
				expected = value == ""
				if !expected {
					cur.Expected["value"] = value
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
		case indent == 8 && cur != nil && expected:
			key, value, _ := strings.Cut(text, ":")
			cur.Expected[key] = strings.TrimSpace(value)
		}
	}
	flush()
	return sections, sc.Err()
}

// yamlScalar decodes a plain or double-quoted YAML scalar on one line.
func yamlScalar(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return s, nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if i+1 >= len(s) {
				return "", fmt.Errorf("unterminated escape in %q", s)
			}
			i++
			width := 0
			switch s[i] {
			case 'x':
				width = 2
			case 'u':
				width = 4
			case 'U':
				width = 8
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '\\', '"', '/', ' ':
				b.WriteByte(s[i])
			default:
				return "", fmt.Errorf("unknown escape \\%c", s[i])
			}
			if width > 0 {
				if i+width >= len(s) {
					return "", fmt.Errorf("short escape in %q", s)
				}
				n, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
				if err != nil {
					return "", err
				}
				// Lone surrogates cannot be stored in Go strings; they are not
				// used by the sections under test.
				b.WriteRune(rune(n))
				i += width
			}
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size - 1
		}
	}
	return "", fmt.Errorf("unterminated string %q", s)
}
