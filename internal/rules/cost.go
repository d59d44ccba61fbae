package rules

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// X's prices for creating posts in US dollars (tiktok-x.md §0.3: pay-per-use
// since 2026-02-06; the URL price since 2026-04-20).
const (
	DefaultXPostPrice        = 0.015
	DefaultXPostWithURLPrice = 0.20
)

// XPrices is what X charges per created post, in US dollars. A zero field
// takes its default price.
type XPrices struct {
	Post        float64 `json:"post"`
	PostWithURL float64 `json:"post_with_url"` // a post whose text holds a URL
}

// Cost is the estimated price of publishing a post (or a thread) on X.
type Cost struct {
	Posts        int     `json:"posts"`          // posts created: one per thread part
	PostsWithURL int     `json:"posts_with_url"` // of which hold a URL
	USD          float64 `json:"usd"`
}

// EstimateXCost returns what publishing parts as one X post or thread costs:
// each part is a post, and a part in which X finds a URL (with or without a
// scheme, as XWeightedLength finds them) costs the URL price.
func EstimateXCost(parts []string, prices XPrices) Cost {
	if prices.Post == 0 {
		prices.Post = DefaultXPostPrice
	}
	if prices.PostWithURL == 0 {
		prices.PostWithURL = DefaultXPostWithURLPrice
	}
	var c Cost
	for _, p := range parts {
		c.Posts++
		if len(extractURLs(norm.NFC.String(p))) > 0 {
			c.PostsWithURL++
		}
	}
	usd := float64(c.Posts-c.PostsWithURL)*prices.Post + float64(c.PostsWithURL)*prices.PostWithURL
	c.USD = math.Round(usd*1e6) / 1e6
	return c
}

// String formats c for people: "$0.215 for 2 posts, 1 with a link".
func (c Cost) String() string {
	s := dollars(c.USD) + " for " + plural(c.Posts, "post")
	switch c.PostsWithURL {
	case 0:
	case 1:
		s += ", 1 with a link"
	default:
		s += fmt.Sprintf(", %d with links", c.PostsWithURL)
	}
	return s
}

// dollars writes an amount with at least two decimals and no trailing
// zeros beyond them: $0.20, $0.015.
func dollars(usd float64) string {
	s := strings.TrimRight(fmt.Sprintf("%.6f", usd), "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return "$" + s
}
