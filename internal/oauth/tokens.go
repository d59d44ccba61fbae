package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
)

// Store is what the service needs from the database. *store.Store
// implements it.
type Store interface {
	PutOAuthState(ctx context.Context, st *store.OAuthState) error
	TakeOAuthState(ctx context.Context, stateHash string) (*store.OAuthState, error)
	DeleteOAuthStatesBefore(ctx context.Context, t time.Time) (int64, error)

	UpsertAccount(ctx context.Context, a *snsos.Account) error
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	SetAccountStatus(ctx context.Context, id int64, status snsos.AccountStatus, reason string) error
	RemoveAccess(ctx context.Context, r store.AccessRemoval) error

	PutCredential(ctx context.Context, c *snsos.Credential) error
	FindCredential(ctx context.Context, accountID int64) (*snsos.Credential, error)
	FindCredentialMeta(ctx context.Context, accountID int64) (*snsos.CredentialMeta, error)
	ListCredentialsExpiringBefore(ctx context.Context, t time.Time) ([]*snsos.CredentialMeta, error)
	PutRefreshedCredential(ctx context.Context, c *snsos.Credential, l store.RefreshLease) error
	AcquireRefreshLease(ctx context.Context, accountID int64, ttl time.Duration) (store.RefreshLease, bool, error)
	ReleaseRefreshLease(ctx context.Context, l store.RefreshLease) error

	ListTargetsOfAccount(ctx context.Context, accountID int64, states ...snsos.TargetState) ([]*snsos.Target, error)
	TransitionTarget(ctx context.Context, tr store.Transition) (*snsos.Target, error)

	AddAuditEvent(ctx context.Context, e *snsos.AuditEvent) error

	PutAccountAvatar(ctx context.Context, av *store.Avatar) error
}

var _ Store = (*store.Store)(nil)

// Inserter inserts jobs on their own. *jobs.Client implements it.
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// DefaultStateTTL is how long an authorization request stays valid.
const DefaultStateTTL = 10 * time.Minute

// leaseTTL bounds how long one process may hold an account's refresh lease
// (a crashed holder blocks refreshes of that account this long at most).
const leaseTTL = 2 * time.Minute

// maxHolderWait bounds how long a caller waits for another process's
// refresh of the same account.
const maxHolderWait = 30 * time.Second

// Config configures a Service.
type Config struct {
	Store Store
	// Platforms holds the configured platform clients; a platform absent
	// here cannot be connected. The clients are built by the caller with
	// the redirect URL PublicURL + "/oauth/{platform}/callback".
	Platforms map[snsos.Platform]platform.Platform
	// PublicURL is the address operators and platforms reach sns-os at; an
	// https URL makes the flow cookie Secure.
	PublicURL string
	// Jobs inserts refresh jobs (the periodic scan). It may be set later
	// with SetJobs when the job client is built after the service.
	Jobs Inserter
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// StateTTL bounds an authorization request (default DefaultStateTTL).
	StateTTL time.Duration
	// AfterConnect is the local path the browser is sent to once an account
	// is connected (the operator UI's accounts page); "" shows a plain
	// confirmation page instead.
	AfterConnect string
	// HTTP fetches the accounts' profile pictures when they are connected;
	// nil means a client set up like the platform clients', with a 10 s
	// timeout, no proxy, and public unicast addresses only.
	HTTP *http.Client
	// AvatarLoopback lets that client connect to loopback addresses too:
	// only for the demo, whose simulator serves the pictures on this host.
	AvatarLoopback bool
	// OnRefresh, when set, hears of every refresh asked of a platform and
	// its failure, if any (metrics).
	OnRefresh func(p snsos.Platform, err error)
}

// Service connects accounts and keeps their credentials fresh. It is safe
// for concurrent use.
type Service struct {
	store     Store
	platforms map[snsos.Platform]platform.Platform
	publicURL string
	now       func() time.Time
	log       *slog.Logger
	stateTTL  time.Duration
	secure    bool
	after     string
	flights   flights
	avatars   *http.Client // fetches profile pictures
	failer    TargetFailer // settles the targets of an account whose access ended
	onRefresh func(p snsos.Platform, err error)

	mu   sync.Mutex
	jobs Inserter

	// leaseTTL is the refresh lease's length (leaseTTL; tests shorten it)
	// and saveRetry the first pause between writes of a refreshed pair.
	leaseTTL  time.Duration
	saveRetry time.Duration

	pmu     sync.Mutex
	unsaved map[int64]*unsaved // refreshed pairs the database refused (see saveRefreshed)
}

// New returns a Service configured by cfg.
func New(cfg Config) *Service {
	s := &Service{
		store:     cfg.Store,
		platforms: cfg.Platforms,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		now:       cfg.Now,
		log:       cfg.Logger,
		stateTTL:  cfg.StateTTL,
		jobs:      cfg.Jobs,
		flights:   flights{m: map[int64]*flight{}},
		unsaved:   map[int64]*unsaved{},
		leaseTTL:  leaseTTL,
		saveRetry: saveRetryStart,
		avatars:   cfg.HTTP,
		onRefresh: cfg.OnRefresh,
	}
	if s.avatars == nil {
		s.avatars = newAvatarClient(cfg.AvatarLoopback)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.stateTTL <= 0 {
		s.stateTTL = DefaultStateTTL
	}
	if s.platforms == nil {
		s.platforms = map[snsos.Platform]platform.Platform{}
	}
	s.secure = strings.HasPrefix(strings.ToLower(s.publicURL), "https://")
	if strings.HasPrefix(cfg.AfterConnect, "/") && !strings.HasPrefix(cfg.AfterConnect, "//") {
		s.after = cfg.AfterConnect
	}
	return s
}

// SetJobs sets the job inserter used by the periodic scan, for callers
// that build the job client (which needs the workers from Register) after
// the service.
func (s *Service) SetJobs(j Inserter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = j
}

func (s *Service) inserter() Inserter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs
}

// CallbackURL returns the OAuth redirect URL of platform p, the one its
// client must be configured with.
func (s *Service) CallbackURL(p snsos.Platform) string {
	return s.publicURL + "/oauth/" + string(p) + "/callback"
}

// client returns the configured client of p, or an error saying which
// platforms are configured.
func (s *Service) client(p snsos.Platform) (platform.Platform, error) {
	if c := s.platforms[p]; c != nil {
		return c, nil
	}
	var names []string
	for name, c := range s.platforms {
		if c != nil {
			names = append(names, string(name))
		}
	}
	slices.Sort(names)
	configured := "none is configured"
	if len(names) > 0 {
		configured = "configured: " + strings.Join(names, ", ")
	}
	if !p.Valid() {
		return nil, snsos.Errorf(snsos.EINVALID, "unknown platform %q (%s)", string(p), configured)
	}
	return nil, snsos.Errorf(snsos.EINVALID, "%s is not configured on this sns-os (%s)", p.DisplayName(), configured)
}

// policy says when a platform's access token is refreshed.
type policy struct {
	// margin: refresh when less than this remains before expiry.
	margin time.Duration
	// minAge: and the token is at least this old (Meta refuses to refresh
	// a long-lived token younger than 24 hours).
	minAge time.Duration
}

// policies is the refresh table. X access tokens live 2 hours and TikTok's
// 24 hours, both with rotating refresh tokens; Meta's long-lived tokens
// live 60 days and are refreshed with themselves, any time after they are
// 24 hours old: refreshing once 30 days are left leaves a month of daily
// retries before a token that keeps failing to refresh expires.
var policies = map[snsos.Platform]policy{
	snsos.PlatformX:         {margin: 10 * time.Minute},
	snsos.PlatformTikTok:    {margin: 10 * time.Minute},
	snsos.PlatformInstagram: {margin: metaMargin, minAge: 24 * time.Hour},
	snsos.PlatformThreads:   {margin: metaMargin, minAge: 24 * time.Hour},
}

// metaMargin is when a Meta long-lived token is refreshed: with 30 of its
// 60 days left.
const metaMargin = 30 * 24 * time.Hour

var defaultPolicy = policy{margin: 10 * time.Minute}

func policyOf(p snsos.Platform) policy {
	if pol, ok := policies[p]; ok {
		return pol
	}
	return defaultPolicy
}

// maxMargin is the largest margin of the table: the scan looks this far
// ahead.
func maxMargin() time.Duration {
	m := defaultPolicy.margin
	for _, p := range policies {
		m = max(m, p.margin)
	}
	return m
}

// due reports whether a token expiring at expires and issued at issued
// should be refreshed now under pol.
func (pol policy) due(expires, issued, now time.Time) bool {
	if expires.IsZero() || expires.Sub(now) >= pol.margin {
		return false
	}
	return pol.minAge <= 0 || issued.IsZero() || now.Sub(issued) >= pol.minAge
}

// NeedsReconnect reports whether err means the account must be connected
// again by the operator (revoked or refused grant, expired token that
// cannot be refreshed, account marked needs_reauth or revoked).
func NeedsReconnect(err error) bool { return errors.Is(err, platform.ErrAuth) }

// reconnectError returns the error of an account that needs connecting
// again; it matches platform.ErrAuth.
func reconnectError(a *snsos.Account, reason string) error {
	return &platform.Error{Kind: platform.KindAuth, Platform: a.Platform, Op: "use credential",
		Reason: reconnectMessage(a, reason)}
}

func reconnectMessage(a *snsos.Account, reason string) string {
	return fmt.Sprintf("the %s account @%s needs to be connected again: %s", a.Platform.DisplayName(), a.Handle, reason)
}
