// Package bench builds the scale benchmark's data set (Seed) and measures
// a running server against it (Run): pages and API routes, the server's
// peak memory and the lateness of posts due while the heaviest page is
// requested in a loop. `sns-os bench seed` and `make bench-scale` use it.
package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// Clock is the store's clock while seeding: the seed sets it to each
// record's moment in the data set's history, so created, updated and audit
// times look as they would have, relative to the anchor rather than to the
// wall clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the time last set.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// SeedOptions says what data set to build.
type SeedOptions struct {
	Posts    int       // how many posts, at least 1
	Accounts int       // how many accounts (X, Instagram, Threads, TikTok in turn), at least 1
	Anchor   time.Time // "now" of the data set: history before it, 2 % of the posts a week after it
	Seed     uint64    // the random source; the same options build the same data set
	// Progress, when set, is called after every batch of posts.
	Progress func(done int)
}

// The shape of the data set: two years of history, 2 % of the posts
// scheduled over 30 days from a week after the anchor, 1 % of the
// delivered targets failed. The week between keeps a data set usable for
// that long: a seeded post that came due while a server ran would be
// queued by its watchdog and tried with the placeholder tokens.
const (
	History       = 2 * 365 * 24 * time.Hour
	AheadFrom     = 7 * 24 * time.Hour
	Ahead         = 30 * 24 * time.Hour
	futureShare   = 0.02
	failShare     = 0.01
	fourTargetsOf = 0.45 // the rest of the posts have three targets (fewer with fewer accounts)
	batchSize     = 500  // posts per transaction
)

// SeedResult counts what Seed made.
type SeedResult struct {
	Accounts  []*snsos.Account
	Posts     int
	Targets   int
	Published int
	Failed    int
	Scheduled int
	Snapshots int
	Elapsed   time.Duration
}

// Seed writes the data set through the store: the accounts with
// UpsertAccount and PutCredential, the posts in their final state with
// SeedPosts (500 to a transaction), which writes the attempts, audit rows
// and metric summaries the engine would have left. The store must have
// been opened with clock.Now as its clock.
func Seed(ctx context.Context, s *store.Store, clock *Clock, o SeedOptions) (*SeedResult, error) {
	if o.Posts < 1 || o.Accounts < 1 {
		return nil, fmt.Errorf("bench seed: want at least one post and one account (got %d posts, %d accounts)", o.Posts, o.Accounts)
	}
	if o.Anchor.IsZero() {
		return nil, fmt.Errorf("bench seed: the anchor date is missing")
	}
	start := time.Now()
	sd := &seeder{s: s, clock: clock, o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5e5)), res: &SeedResult{}}
	sd.o.Anchor = o.Anchor.UTC().Truncate(time.Second)
	if err := sd.accounts(ctx); err != nil {
		return nil, err
	}
	future := int(math.Round(float64(o.Posts) * futureShare))
	past := o.Posts - future
	batch := make([]store.SeedPost, 0, batchSize)
	for i := range o.Posts {
		var at time.Time
		if i < past {
			// Evenly through the history, at a local daytime hour.
			day := sd.o.Anchor.Add(-History + time.Duration(float64(i)/float64(past)*float64(History)))
			at = sd.daytime(day)
			if !at.Before(sd.o.Anchor) {
				at = sd.o.Anchor.Add(-time.Hour)
			}
		} else {
			day := sd.o.Anchor.Add(AheadFrom + time.Duration(float64(i-past+1)/float64(future+1)*float64(Ahead)))
			at = sd.daytime(day)
		}
		batch = append(batch, sd.post(i, at))
		if len(batch) == batchSize || i == o.Posts-1 {
			if err := s.SeedPosts(ctx, batch); err != nil {
				return nil, fmt.Errorf("bench seed: posts %d to %d: %w", i+2-len(batch), i+1, err)
			}
			batch = batch[:0]
			if o.Progress != nil {
				o.Progress(i + 1)
			}
		}
	}
	// The analytics days the posts marked, built as the server's job would.
	if _, err := s.RefreshAnalyticsDays(ctx, 1<<30); err != nil {
		return nil, fmt.Errorf("bench seed: the analytics days: %w", err)
	}
	sd.res.Elapsed = time.Since(start)
	return sd.res, nil
}

type seeder struct {
	s      *store.Store
	clock  *Clock
	o      SeedOptions
	rng    *rand.Rand
	res    *SeedResult
	accts  []*snsos.Account
	serial uint64 // remote ids
}

// seedPlatforms is the order accounts are made in.
var seedPlatforms = []snsos.Platform{snsos.PlatformX, snsos.PlatformInstagram, snsos.PlatformThreads, snsos.PlatformTikTok}

// accounts makes the accounts, connected with placeholder tokens that
// expire long after the anchor, so nothing tries to refresh them.
func (sd *seeder) accounts(ctx context.Context) error {
	sd.clock.Set(sd.o.Anchor.Add(-History - 24*time.Hour))
	for i := range sd.o.Accounts {
		p := seedPlatforms[i%len(seedPlatforms)]
		n := i/len(seedPlatforms) + 1
		a := &snsos.Account{Platform: p, RemoteID: fmt.Sprintf("bench-%s-%d", p, n), Handle: fmt.Sprintf("bench_%s_%d", p, n),
			DisplayName: fmt.Sprintf("Bench %s %d", p.DisplayName(), n), Status: snsos.AccountConnected}
		if err := sd.s.UpsertAccount(ctx, a); err != nil {
			return fmt.Errorf("bench seed: account %s: %w", a.Handle, err)
		}
		c := &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret("bench-placeholder-access-" + a.RemoteID),
			RefreshToken: snsos.Secret("bench-placeholder-refresh-" + a.RemoteID), TokenType: "bearer",
			IssuedAt: sd.clock.Now(), ExpiresAt: sd.o.Anchor.AddDate(20, 0, 0), RefreshExpiresAt: sd.o.Anchor.AddDate(20, 0, 0)}
		if err := sd.s.PutCredential(ctx, c); err != nil {
			return fmt.Errorf("bench seed: credential of %s: %w", a.Handle, err)
		}
		sd.accts = append(sd.accts, a)
	}
	sd.res.Accounts = sd.accts
	return nil
}

// daytime returns a moment on t's day (in Japan, where the operator of the
// data set lives) between 07:00 and 23:00, on a minute, busier in the
// evening.
func (sd *seeder) daytime(t time.Time) time.Time {
	jst := time.FixedZone("JST", 9*3600)
	d := t.In(jst)
	hour := 7 + int(16*math.Sqrt(sd.rng.Float64())) // more posts late in the day
	return time.Date(d.Year(), d.Month(), d.Day(), hour, sd.rng.IntN(60), 0, 0, jst).UTC()
}

// post makes post i, due at at, on 3–4 accounts; a past one is delivered
// (or failed) and measured.
func (sd *seeder) post(i int, at time.Time) store.SeedPost {
	created := at.Add(-time.Duration(1+sd.rng.IntN(72)) * time.Hour)
	if at.After(sd.o.Anchor) && created.After(sd.o.Anchor) {
		created = sd.o.Anchor.Add(-time.Duration(1+sd.rng.IntN(48)) * time.Hour)
	}
	p := &snsos.Post{Body: sd.body(i), ScheduledAt: at, ApprovedAt: created.Add(10 * time.Minute)}
	sp := store.SeedPost{Post: p, CreatedAt: created}
	future := at.After(sd.o.Anchor)
	for _, a := range sd.pickAccounts() {
		t := &snsos.Target{AccountID: a.ID, Platform: a.Platform, State: snsos.StateScheduled, ScheduledAt: at}
		if a.Platform == snsos.PlatformTikTok {
			t.Options = map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}
		}
		p.Targets = append(p.Targets, t)
		var snaps []*snsos.MetricSnapshot
		if !future {
			snaps = sd.deliver(t, len(p.Targets))
		}
		sp.Snapshots = append(sp.Snapshots, snaps)
	}
	sd.res.Posts++
	sd.res.Targets += len(p.Targets)
	if future {
		sd.res.Scheduled += len(p.Targets)
	}
	return sp
}

// pickAccounts chooses the post's accounts: three or four of them (all when
// there are fewer), in account order.
func (sd *seeder) pickAccounts() []*snsos.Account {
	n := 3
	if sd.rng.Float64() < fourTargetsOf {
		n = 4
	}
	if n > len(sd.accts) {
		n = len(sd.accts)
	}
	idx := sd.rng.Perm(len(sd.accts))[:n]
	sort.Ints(idx)
	out := make([]*snsos.Account, n)
	for k, j := range idx {
		out[k] = sd.accts[j]
	}
	return out
}

// deliver gives target t the outcome of one attempt as the engine would
// have recorded it — published a moment after its due time, or (1 %)
// failed with the platform's refusal — and returns the checkpoints taken
// before the anchor. k numbers the target in its post, for its remote id.
func (sd *seeder) deliver(t *snsos.Target, k int) []*snsos.MetricSnapshot {
	done := t.ScheduledAt.Add(time.Duration(400+sd.rng.IntN(3000)) * time.Millisecond).Truncate(time.Microsecond)
	t.UpdatedAt = done
	if sd.rng.Float64() < failShare {
		t.State, t.Error = snsos.StateFailed, sd.failure(t.Platform)
		sd.res.Failed++
		return nil
	}
	sd.serial++
	remote := fmt.Sprintf("%d", 1800000000000000000+sd.serial*7919+uint64(k))
	t.State, t.PublishedAt, t.RemoteID, t.RemoteURL = snsos.StatePublished, done, remote, remoteURL(t.Platform, t.AccountID, remote)
	sd.res.Published++
	return sd.snapshots(t)
}

// failure is a platform's refusal, in the engine's plain words.
func (sd *seeder) failure(p snsos.Platform) string {
	reasons := []string{
		p.DisplayName() + " refused the post: the text is a duplicate of a recent post",
		p.DisplayName() + " refused the media: the image could not be processed",
		"the account's access was revoked on " + p.DisplayName() + "; connect it again",
	}
	return reasons[sd.rng.IntN(len(reasons))]
}

func remoteURL(p snsos.Platform, account int64, id string) string {
	switch p {
	case snsos.PlatformX:
		return fmt.Sprintf("https://x.com/bench_x_%d/status/%s", account, id)
	case snsos.PlatformInstagram:
		return "https://www.instagram.com/p/B" + id[len(id)-10:] + "/"
	case snsos.PlatformThreads:
		return "https://www.threads.com/post/T" + id[len(id)-10:]
	default:
		return fmt.Sprintf("https://www.tiktok.com/@bench/video/%s", id)
	}
}

// checkpoints are the standard checkpoints with the share of the final
// (+7d) numbers each one typically shows.
var checkpoints = []struct {
	name  snsos.Checkpoint
	after time.Duration
	share float64
}{
	{snsos.Checkpoint1h, time.Hour, 0.22},
	{snsos.Checkpoint24h, 24 * time.Hour, 0.78},
	{snsos.Checkpoint7d, 7 * 24 * time.Hour, 1},
}

// snapshots are the +1h, +24h and +7d snapshots of published target t
// that were due before the anchor: views drawn from a log-normal spread
// (most posts modest, a few far-reaching), the other numbers as rates of
// them, growing from one checkpoint to the next.
func (sd *seeder) snapshots(t *snsos.Target) []*snsos.MetricSnapshot {
	views := math.Exp(6.2 + 1.1*sd.rng.NormFloat64()) // median about 500
	like := 0.01 + 0.05*sd.rng.Float64()
	var out []*snsos.MetricSnapshot
	for _, cp := range checkpoints {
		fetched := t.PublishedAt.Add(cp.after + time.Duration(5+sd.rng.IntN(120))*time.Second).Truncate(time.Microsecond)
		if fetched.After(sd.o.Anchor) {
			break
		}
		out = append(out, &snsos.MetricSnapshot{Checkpoint: cp.name, FetchedAt: fetched, Status: snsos.SnapshotOK,
			Values: metricValues(t.Platform, views*cp.share, like)})
	}
	sd.res.Snapshots += len(out)
	return out
}

// metricValues are the numbers platform p's client reports for views v
// and like rate like, with the platform's own extra names.
func metricValues(p snsos.Platform, v, like float64) map[string]int64 {
	n := func(rate float64) int64 { return int64(v * rate) }
	m := map[string]int64{snsos.MetricViews: int64(v), snsos.MetricLikes: n(like), snsos.MetricComments: n(like / 12), snsos.MetricShares: n(like / 8)}
	switch p {
	case snsos.PlatformX:
		m["impressions"], m["replies"], m["reposts"] = int64(v), m[snsos.MetricComments], m[snsos.MetricShares]
		m["quotes"], m["bookmarks"] = n(like/40), n(like/10)
	case snsos.PlatformInstagram:
		m["reach"], m["saved"] = n(0.7), n(like/6)
		m["total_interactions"] = m[snsos.MetricLikes] + m[snsos.MetricComments] + m[snsos.MetricShares] + m["saved"]
	case snsos.PlatformThreads:
		m["replies"], m["reposts"], m["quotes"] = m[snsos.MetricComments], n(like/10), n(like/50)
	}
	return m
}

// Words of the posts' bodies: an operator who writes in Japanese and
// English about a small shop, with hashtags and now and then a link.
var (
	openers = []string{"New in the shop today:", "本日入荷：", "Behind the scenes —", "週末限定のお知らせ。", "A quiet morning at the studio.",
		"お待たせしました！", "Restocked:", "今日のひとこと", "Thank you for 10k followers!", "新作のご紹介です。"}
	middles = []string{"hand-thrown mugs in three glazes", "藍染めのトートバッグ", "our winter blend, roasted on Tuesday",
		"季節限定のほうじ茶ラテ", "linen aprons cut from the last roll", "手ぬぐいの新柄が届きました", "a sketch of the harbour at dusk",
		"店主のおすすめ", "limited run of 40, numbered", "ワークショップの空き状況"}
	closers = []string{"Open 11–19 today.", "ご来店お待ちしております。", "Link in bio.", "詳しくはプロフィールから。", "Tell us what you think!",
		"数量限定です。", "See you on Saturday.", "オンラインショップでも販売中。"}
	tags = []string{"#handmade", "#ceramics", "#tokyo", "#藍染め", "#coffee", "#暮らし", "#smallbusiness", "#うつわ", "#instadaily", "#新作"}
)

// body is post i's text, 40 to about 250 characters.
func (sd *seeder) body(i int) string {
	var b strings.Builder
	b.WriteString(openers[sd.rng.IntN(len(openers))])
	b.WriteString(" ")
	b.WriteString(middles[sd.rng.IntN(len(middles))])
	if sd.rng.IntN(2) == 0 {
		b.WriteString(" — ")
		b.WriteString(middles[sd.rng.IntN(len(middles))])
	}
	b.WriteString(". ")
	b.WriteString(closers[sd.rng.IntN(len(closers))])
	if sd.rng.IntN(5) == 0 {
		fmt.Fprintf(&b, " https://shop.example.com/items/%d", 1000+i)
	}
	for range 1 + sd.rng.IntN(3) {
		b.WriteString(" ")
		b.WriteString(tags[sd.rng.IntN(len(tags))])
	}
	return b.String()
}
