package web

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
)

// Store is what the operator interface reads and writes directly; changes
// to posts and targets go through the Engine. *store.Store implements it.
type Store interface {
	attention.Store // the dashboard's Needs attention
	SiteStore       // the public pages and the inbox

	// Settings.
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
	SwapSetting(ctx context.Context, key, old, value string) (bool, error)

	// Sessions.
	CreateSession(ctx context.Context, sess *store.Session, now time.Time) error
	FindSession(ctx context.Context, idHash string, now time.Time) (*store.Session, error)
	TouchSession(ctx context.Context, idHash string, now, idleUntil time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	DeleteOtherSessions(ctx context.Context, keepHash string) (int64, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// Accounts.
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	MergeAccountOptions(ctx context.Context, id int64, set map[string]string, actor string) (*snsos.Account, error)
	FindAccountAvatar(ctx context.Context, accountID int64) (*store.Avatar, error)
	ListAccountAvatarIDs(ctx context.Context) (map[int64]bool, error)
	CountAccountTargets(ctx context.Context, accountID int64, states ...snsos.TargetState) (map[snsos.TargetState]int, error)
	CountAccountDeliveries(ctx context.Context, accountID int64, from, to time.Time, excludeTarget int64) (int, error)

	// Posts and targets.
	CreatePost(ctx context.Context, p *snsos.Post, hook store.TxHook) error
	ListPosts(ctx context.Context, f store.PostFilter) ([]*snsos.Post, error)
	SearchPosts(ctx context.Context, q store.PostQuery) (*store.PostPage, error)
	FindTargetByID(ctx context.Context, id int64) (*snsos.Target, error)
	ListTargetsInRange(ctx context.Context, f store.TargetRange) ([]*store.DatedTarget, error)
	CalendarCells(ctx context.Context, q store.CalendarQuery) ([]store.CalendarCell, error)
	ListRecentlyPublished(ctx context.Context, limit int) ([]*snsos.Target, error)
	CountAttentionTargets(ctx context.Context) (int, error)
	ListAttempts(ctx context.Context, targetID int64) ([]*snsos.Attempt, error)
	ListSnapshots(ctx context.Context, targetID int64) ([]*snsos.MetricSnapshot, error)

	// Analytics (store/analytics_summary.go): range reads on the summary.
	AnalyticsPlatforms(ctx context.Context, r store.AnalyticsRange) ([]snsos.Platform, error)
	AnalyticsPage(ctx context.Context, r store.AnalyticsRange, after, before *store.Cursor, limit int) (*store.TargetPage, error)
	ScanAnalytics(ctx context.Context, r store.AnalyticsRange, fn func(*store.AnalyticsPoint) error) error
	AnalyticsDays(ctx context.Context, r store.AnalyticsRange) ([]*store.DayAgg, error)
	AnalyticsNewerInDay(ctx context.Context, r store.AnalyticsRange, cur store.Cursor) (int, error)
	ScanAnalyticsSnapshots(ctx context.Context, r store.AnalyticsRange, fn func(*snsos.Target, []*snsos.MetricSnapshot) error) error
	BestHoursPosts(ctx context.Context, platform snsos.Platform) ([]time.Time, []int64, error)

	// API tokens.
	CreateAPIToken(ctx context.Context, name, hash, prefix string) (*snsos.APIToken, error)
	ListAPITokens(ctx context.Context) ([]*snsos.APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64) error
}

var _ Store = (*store.Store)(nil)
