// Package config builds the one Config of an sns-os process from, in order of
// precedence, command-line flags, SNSOS_* environment variables, an optional
// config file of KEY=VALUE lines, and defaults. Secrets may also be read from
// files named by the *_FILE variant of their variable. Config.Validate
// explains in one line per problem what to set, and Config.Dump prints every
// setting with secrets masked.
//
// Only the cli package imports config; everything else receives plain values.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/secret"
)

// Config is every setting of an sns-os process.
type Config struct {
	Addr        string // listen address, host:port
	DataDir     string // SQLite file, key file, media, archive
	DatabaseURL string // empty: SQLite in DataDir; postgres://… for PostgreSQL
	PublicURL   string // the URL people and platforms reach this server at
	Timezone    string // the operator's zone (IANA name)

	MasterKey     snsos.Secret // empty: generated key file in DataDir
	MasterKeysOld snsos.Secret // previous keys, comma separated, readable during a rotation

	APIToken       snsos.Secret // bootstrap API token; only its hash is stored
	ArchiveRemote  string       // git remote of the metadata archive
	Archive        ArchiveConfig
	Checkpoints    []time.Duration
	CheckpointsRaw string

	// ReconcileDelay is how long after an ambiguous outcome sns-os first
	// looks for the post on the platform.
	ReconcileDelay time.Duration
	// JobTimeout bounds one run of a job (a publication's calls, a metric
	// read); an attempt's ownership lease is derived from it.
	JobTimeout time.Duration
	// RetryBackoff is the first wait before retrying a publication that
	// failed without side effect; it doubles per attempt up to 15 minutes.
	RetryBackoff time.Duration
	// LandMargin is how long after a platform call ended sns-os still
	// expects it could land on the platform: a "not found" during
	// reconciliation counts as proof only after it.
	LandMargin time.Duration
	// SignedRequestMaxAge is how old (by its issued_at) a Meta
	// deauthorize or data-deletion callback may be.
	SignedRequestMaxAge time.Duration
	// DeletionWindow is how long after a data-deletion request its posts,
	// metrics and media are deleted (the tokens go at once); at most the
	// 30 days the privacy policy promises.
	DeletionWindow time.Duration

	LogFormat       string // text or json
	LogLevel        string // debug, info, warn, error
	ShutdownTimeout time.Duration
	// PageTimeout bounds a page's or API read's work (its database work
	// above all): past it the request answers 503.
	PageTimeout time.Duration
	// MetricsAddr, when set, is a listener of its own serving /metrics
	// without a token (the main listener's /metrics always needs one).
	MetricsAddr string

	Platforms map[snsos.Platform]*PlatformConfig
	// MetaAppSecret is META_APP_SECRET, the Meta app's own secret: the
	// fallback app secret of Instagram and Threads, also accepted beside
	// theirs on their callbacks.
	MetaAppSecret snsos.Secret

	// S3 selects an S3-compatible bucket (Cloudflare R2) for media instead
	// of the data dir, when its Endpoint is set.
	S3 S3Config

	// XPricePost and XPricePostWithURL are X's pay-per-use prices in USD
	// for one post without and with a link, used for cost estimates.
	XPricePost, XPricePostWithURL float64

	// Alerts (see internal/alert): email through SMTPURL from
	// AlertEmailFrom to AlertEmailTo (comma separated), and a webhook.
	SMTPURL            snsos.Secret // smtp://user:pass@host:587 (STARTTLS) or smtps://…:465
	AlertEmailFrom     string
	AlertEmailTo       string
	AlertWebhookURL    string
	AlertWebhookSecret snsos.Secret

	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (sign-in throttling by client address).
	TrustedProxies    []netip.Prefix
	TrustedProxiesRaw string

	// OperatorName, OperatorEmail and Jurisdiction are who runs this
	// server, where to write to them and whose law governs, as the public
	// privacy policy and terms state them.
	OperatorName  string
	OperatorEmail string
	Jurisdiction  string

	// sources records where each setting came from, for Dump.
	sources map[string]string
}

// S3Config is the media bucket.
type S3Config struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	Region    string
	AccessKey string
	SecretKey snsos.Secret
	UseSSL    bool
	PathStyle bool
}

// PlatformConfig holds one platform's app registration.
type PlatformConfig struct {
	ClientID     string
	ClientSecret snsos.Secret
	AppSecret    snsos.Secret // Meta's app secret for signed_request (Instagram, Threads)
	BaseURL      string       // when set, replaces every host of the platform (simulators, fakes)
	// FirstComment (Instagram) switches on the first comment: sns-os then
	// asks for instagram_business_manage_comments, which it otherwise
	// leaves out.
	FirstComment bool
}

// option is one setting: its environment name, flag, and how to apply it.
type option struct {
	env     string // SNSOS_ADDR
	flag    string // addr ("" = no flag)
	def     string
	secret  bool // masked in Dump; *_FILE variant accepted
	help    string
	set     func(c *Config, v string) error
	display func(c *Config) string
}

func str(p func(c *Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil },
		func(c *Config) string { return *p(c) }
}

func sec(p func(c *Config) *snsos.Secret) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = snsos.Secret(v); return nil },
		func(c *Config) string { return p(c).String() }
}

func options() []option {
	var opts []option
	add := func(env, flg, def string, secret bool, help string, set func(*Config, string) error, disp func(*Config) string) {
		opts = append(opts, option{env: env, flag: flg, def: def, secret: secret, help: help, set: set, display: disp})
	}
	s, d := str(func(c *Config) *string { return &c.Addr })
	add("SNSOS_ADDR", "addr", "127.0.0.1:8080", false, "listen address (host:port)", s, d)
	s, d = str(func(c *Config) *string { return &c.DataDir })
	add("SNSOS_DATA_DIR", "data", "./snsos-data", false, "data directory: SQLite database, key file, media, archive", s, d)
	s, _ = str(func(c *Config) *string { return &c.DatabaseURL })
	add("SNSOS_DATABASE_URL", "database-url", "", false, "empty for SQLite in the data dir, or postgres://user:pass@host/db", s,
		func(c *Config) string { return redactURL(c.DatabaseURL) })
	s, d = str(func(c *Config) *string { return &c.PublicURL })
	add("SNSOS_PUBLIC_URL", "public-url", "", false, "public base URL (default http://ADDR)", s, d)
	s, d = str(func(c *Config) *string { return &c.Timezone })
	add("SNSOS_TIMEZONE", "timezone", "Asia/Tokyo", false, "the operator's time zone (IANA name)", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.MasterKey })
	add("SNSOS_MASTER_KEY", "", "", true, "32-byte master key (hex or base64); empty: generated key file in the data dir", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.MasterKeysOld })
	add("SNSOS_MASTER_KEY_OLD", "", "", true, "previous master keys (comma separated), kept readable during a rotation", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.APIToken })
	add("SNSOS_API_TOKEN", "", "", true, "bootstrap API token (only its hash is stored)", s, d)
	s, _ = str(func(c *Config) *string { return &c.ArchiveRemote })
	add("SNSOS_ARCHIVE_REMOTE", "archive-remote", "", false, "git remote the metadata archive is pushed to", s,
		func(c *Config) string { return redactURL(c.ArchiveRemote) })
	archiveOptions(add)
	add("SNSOS_CHECKPOINTS", "checkpoints", "1h,24h,7d", false, "metric checkpoint offsets after publication",
		func(c *Config, v string) error { c.CheckpointsRaw = v; return nil },
		func(c *Config) string { return c.CheckpointsRaw })
	add("SNSOS_RECONCILE_DELAY", "", "20s", false, "wait after an ambiguous publish before looking for the post on the platform",
		func(c *Config, v string) error {
			dur, err := time.ParseDuration(v)
			if err != nil || dur <= 0 || dur > time.Hour {
				return fmt.Errorf("want a duration between 1ms and 1h, such as 20s")
			}
			c.ReconcileDelay = dur
			return nil
		},
		func(c *Config) string { return c.ReconcileDelay.String() })
	durOpt := func(env, def, help string, lo, hi time.Duration, p func(c *Config) *time.Duration) {
		add(env, "", def, false, help,
			func(c *Config, v string) error {
				dur, err := time.ParseDuration(v)
				if err != nil || dur < lo || dur > hi {
					return fmt.Errorf("want a duration between %s and %s, such as %s", lo, hi, def)
				}
				*p(c) = dur
				return nil
			},
			func(c *Config) string { return p(c).String() })
	}
	durOpt("SNSOS_JOB_TIMEOUT", "5m", "how long one job run (a publication with its uploads) may take", time.Second, time.Hour,
		func(c *Config) *time.Duration { return &c.JobTimeout })
	durOpt("SNSOS_RETRY_BACKOFF", "30s", "first wait before retrying a publication that failed without side effect (doubles per attempt, at most 15m)",
		10*time.Millisecond, time.Hour, func(c *Config) *time.Duration { return &c.RetryBackoff })
	durOpt("SNSOS_LAND_MARGIN", "1m", "how long after a platform call ended it may still land; reconciliation trusts \"not found\" only after it",
		10*time.Millisecond, time.Hour, func(c *Config) *time.Duration { return &c.LandMargin })
	durOpt("SNSOS_SIGNED_REQUEST_MAX_AGE", "1h", "how old (issued_at) a Meta deauthorize or data-deletion callback may be; older ones are refused",
		time.Minute, 7*24*time.Hour, func(c *Config) *time.Duration { return &c.SignedRequestMaxAge })
	durOpt("SNSOS_DELETION_WINDOW", "720h", "how long after a data-deletion request its posts, metrics and media are deleted (tokens go at once); 0s deletes at once",
		0, 720*time.Hour, func(c *Config) *time.Duration { return &c.DeletionWindow })
	durOpt("SNSOS_PAGE_TIMEOUT", "5s", "how long a page or API read may work before it answers 503 (\"took too long\") instead of waiting on",
		100*time.Millisecond, 5*time.Minute, func(c *Config) *time.Duration { return &c.PageTimeout })
	s, d = str(func(c *Config) *string { return &c.MetricsAddr })
	add("SNSOS_METRICS_ADDR", "metrics-addr", "", false, "listen address (host:port) of /metrics without a token; empty: only on SNSOS_ADDR, with an API token", s, d)
	s, d = str(func(c *Config) *string { return &c.LogFormat })
	add("SNSOS_LOG_FORMAT", "log-format", "text", false, "log format: text or json", s, d)
	s, d = str(func(c *Config) *string { return &c.LogLevel })
	add("SNSOS_LOG_LEVEL", "log-level", "info", false, "log level: debug, info, warn or error", s, d)
	add("SNSOS_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", false, "how long running jobs and requests may take to finish on shutdown",
		func(c *Config, v string) error {
			dur, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a duration such as 30s")
			}
			c.ShutdownTimeout = dur
			return nil
		},
		func(c *Config) string { return c.ShutdownTimeout.String() })
	boolean := func(p func(c *Config) *bool) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("want true or false")
				}
				*p(c) = b
				return nil
			}, func(c *Config) string {
				return strconv.FormatBool(*p(c))
			}
	}
	s, d = str(func(c *Config) *string { return &c.S3.Endpoint })
	add("SNSOS_S3_ENDPOINT", "", "", false, "S3-compatible endpoint for media, host[:port] (e.g. ACCOUNT.r2.cloudflarestorage.com); empty: media in the data dir", s, d)
	s, d = str(func(c *Config) *string { return &c.S3.Bucket })
	add("SNSOS_S3_BUCKET", "", "", false, "media bucket", s, d)
	s, d = str(func(c *Config) *string { return &c.S3.Region })
	add("SNSOS_S3_REGION", "", "auto", false, "bucket region (auto for R2)", s, d)
	s, d = str(func(c *Config) *string { return &c.S3.AccessKey })
	add("SNSOS_S3_ACCESS_KEY", "", "", false, "bucket access key id", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.S3.SecretKey })
	add("SNSOS_S3_SECRET_KEY", "", "", true, "bucket secret access key", s, d)
	s, d = boolean(func(c *Config) *bool { return &c.S3.UseSSL })
	add("SNSOS_S3_USE_SSL", "", "true", false, "use HTTPS to reach the bucket", s, d)
	s, d = boolean(func(c *Config) *bool { return &c.S3.PathStyle })
	add("SNSOS_S3_PATH_STYLE", "", "false", false, "path-style bucket addressing (for MinIO and test servers)", s, d)
	price := func(p func(c *Config) *float64) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 100 {
					return fmt.Errorf("want a price in USD such as 0.015")
				}
				*p(c) = f
				return nil
			}, func(c *Config) string {
				return strconv.FormatFloat(*p(c), 'f', -1, 64)
			}
	}
	s, d = price(func(c *Config) *float64 { return &c.XPricePost })
	add("SNSOS_X_PRICE_POST", "", "0.015", false, "X price in USD of one post, for cost estimates", s, d)
	s, d = price(func(c *Config) *float64 { return &c.XPricePostWithURL })
	add("SNSOS_X_PRICE_POST_WITH_URL", "", "0.20", false, "X price in USD of one post containing a link", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.SMTPURL })
	add("SNSOS_SMTP_URL", "", "", true, "SMTP server for alert email: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465", s, d)
	s, d = str(func(c *Config) *string { return &c.AlertEmailFrom })
	add("SNSOS_ALERT_EMAIL_FROM", "", "", false, "sender address of alert email", s, d)
	s, d = str(func(c *Config) *string { return &c.AlertEmailTo })
	add("SNSOS_ALERT_EMAIL_TO", "", "", false, "recipients of alert email (comma separated)", s, d)
	s, _ = str(func(c *Config) *string { return &c.AlertWebhookURL })
	add("SNSOS_ALERT_WEBHOOK_URL", "", "", false, "URL that receives alerts as a JSON POST (https)", s,
		func(c *Config) string { return elideURL(c.AlertWebhookURL) })
	s, d = sec(func(c *Config) *snsos.Secret { return &c.AlertWebhookSecret })
	add("SNSOS_ALERT_WEBHOOK_SECRET", "", "", true, "signs each alert webhook body (HMAC-SHA256 in X-Snsos-Signature)", s, d)
	add("SNSOS_TRUSTED_PROXIES", "", "", false, "reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For is believed for sign-in throttling",
		func(c *Config, v string) error {
			ps, err := ParsePrefixes(v)
			if err != nil {
				return err
			}
			c.TrustedProxies, c.TrustedProxiesRaw = ps, v
			return nil
		},
		func(c *Config) string { return c.TrustedProxiesRaw })
	s, d = str(func(c *Config) *string { return &c.OperatorName })
	add("SNSOS_OPERATOR_NAME", "", "", false, "who runs this server (a person or company), as the public privacy policy and terms name them", s, d)
	s, d = str(func(c *Config) *string { return &c.OperatorEmail })
	add("SNSOS_OPERATOR_EMAIL", "", "", false, "the address the public pages give for privacy questions and deletion requests", s, d)
	s, d = str(func(c *Config) *string { return &c.Jurisdiction })
	add("SNSOS_JURISDICTION", "", "", false, "whose law governs the privacy policy and terms, such as Japan", s, d)
	for _, p := range snsos.Platforms {
		p := p
		up := strings.ToUpper(string(p))
		pc := func(c *Config) *PlatformConfig { return c.Platforms[p] }
		s, d = str(func(c *Config) *string { return &pc(c).ClientID })
		add("SNSOS_"+up+"_CLIENT_ID", "", "", false, p.DisplayName()+" app client id", s, d)
		s, d = sec(func(c *Config) *snsos.Secret { return &pc(c).ClientSecret })
		add("SNSOS_"+up+"_CLIENT_SECRET", "", "", true, p.DisplayName()+" app client secret", s, d)
		if p == snsos.PlatformInstagram || p == snsos.PlatformThreads {
			s, d = sec(func(c *Config) *snsos.Secret { return &pc(c).AppSecret })
			add("SNSOS_"+up+"_APP_SECRET", "", "", true, p.DisplayName()+" app secret for signed_request (falls back to META_APP_SECRET)", s, d)
		}
		if p == snsos.PlatformInstagram {
			s, d = boolean(func(c *Config) *bool { return &pc(c).FirstComment })
			add("SNSOS_INSTAGRAM_FIRST_COMMENT", "", "false", false,
				"post a first comment under Instagram posts that ask for one (asks for the comments permission; reconnect after switching it on)", s, d)
		}
		s, d = str(func(c *Config) *string { return &pc(c).BaseURL })
		add("SNSOS_"+up+"_BASE_URL", "", "", false, "replaces every "+p.DisplayName()+" host (for simulators and fakes)", s, d)
	}
	return opts
}

// newConfig returns a Config with empty platform entries.
func newConfig() *Config {
	c := &Config{Platforms: map[snsos.Platform]*PlatformConfig{}, sources: map[string]string{}}
	for _, p := range snsos.Platforms {
		c.Platforms[p] = &PlatformConfig{}
	}
	return c
}

// Flags holds the flag values registered by Register until Load applies them.
type Flags struct {
	file  *string
	vals  map[string]*string
	fs    *flag.FlagSet
	names map[string]bool
}

// Register adds the config flags (--addr, --data, --config …) to fs. Call it
// before fs.Parse, then pass the result to Load.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{vals: map[string]*string{}, fs: fs}
	f.file = fs.String("config", "", "config file of KEY=VALUE lines (SNSOS_CONFIG)")
	for _, o := range options() {
		if o.flag != "" {
			f.vals[o.flag] = fs.String(o.flag, "", o.help+" ("+o.env+")")
		}
	}
	return f
}

// Load builds the Config. getenv reads the environment; flags may be nil.
// Load reads *_FILE files and the config file, but does not validate: call
// Validate.
func Load(flags *Flags, getenv func(string) string) (*Config, error) {
	c := newConfig()
	setFlags := map[string]bool{}
	if flags != nil && flags.fs != nil {
		flags.fs.Visit(func(fl *flag.Flag) { setFlags[fl.Name] = true })
	}

	file := getenv("SNSOS_CONFIG")
	if flags != nil && setFlags["config"] {
		file = *flags.file
	}
	fileVals := map[string]string{}
	if file != "" {
		var err error
		if fileVals, err = readFile(file); err != nil {
			return nil, err
		}
	}
	lookup := func(name string) (string, string, bool) {
		if v := getenv(name); v != "" {
			return v, "env", true
		}
		if v, ok := fileVals[name]; ok && v != "" {
			return v, "file", true
		}
		return "", "", false
	}
	readSecretFile := func(name string) (string, string, bool, error) {
		path, src, ok := lookup(name + "_FILE")
		if !ok {
			return "", "", false, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", false, fmt.Errorf("%s_FILE: cannot read %s: %w", name, path, errors.Unwrap(err))
		}
		return strings.TrimRight(string(b), "\r\n"), src + " " + name + "_FILE", true, nil
	}

	var errs []error
	for _, o := range options() {
		val, src := o.def, "default"
		if v, s, ok := lookup(o.env); ok {
			val, src = v, s
		}
		if o.secret {
			v, s, ok, err := readSecretFile(o.env)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				if src != "default" {
					errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: keep one", o.env, o.env))
					continue
				}
				val, src = v, s
			}
		}
		if o.flag != "" && setFlags[o.flag] {
			val, src = *flags.vals[o.flag], "flag --"+o.flag
		}
		if err := o.set(c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", o.env, val, err))
			continue
		}
		c.sources[o.env] = src
	}
	// META_APP_SECRET is the fallback for both Meta platforms.
	meta := snsos.Secret(getenv("META_APP_SECRET"))
	if meta == "" {
		meta = snsos.Secret(fileVals["META_APP_SECRET"])
	}
	c.MetaAppSecret = meta
	if meta != "" {
		for _, p := range []snsos.Platform{snsos.PlatformInstagram, snsos.PlatformThreads} {
			if c.Platforms[p].AppSecret == "" {
				c.Platforms[p].AppSecret = meta
				c.sources["SNSOS_"+strings.ToUpper(string(p))+"_APP_SECRET"] = "META_APP_SECRET"
			}
		}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c, errors.Join(errs...)
}

func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	known := map[string]bool{"META_APP_SECRET": true}
	for _, o := range options() {
		known[o.env] = true
		if o.secret {
			known[o.env+"_FILE"] = true
		}
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(strings.TrimPrefix(k, "export ")), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("config file %s line %d: want KEY=VALUE", path, n)
		}
		if !known[k] {
			return nil, fmt.Errorf("config file %s line %d: unknown setting %s", path, n, k)
		}
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		vals[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return vals, nil
}

// Validate checks every setting and returns one line per problem, each
// naming the setting and what to do.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("SNSOS_ADDR", "%q is not host:port; set it like 127.0.0.1:8080", c.Addr)
	}
	if _, port, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && (err != nil || port == "") {
		bad("SNSOS_METRICS_ADDR", "%q is not host:port; set it like 127.0.0.1:9090, or leave it empty", c.MetricsAddr)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("SNSOS_DATA_DIR", "is empty; set it to a writable directory")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("SNSOS_DATABASE_URL", "must be empty (SQLite in the data dir) or a postgres:// URL")
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("SNSOS_PUBLIC_URL", "%q is not an absolute http(s) URL; set it like https://sns.example.com", c.PublicURL)
	} else if u.Scheme == "http" && !loopbackAddr(c.Addr) {
		// Over plain http on a reachable address, the password and the
		// session cookie would cross the network in clear.
		bad("SNSOS_PUBLIC_URL", "%q is plain http while SNSOS_ADDR %q is reachable from other hosts; serve https (behind a TLS proxy) and set an https:// URL, or listen on 127.0.0.1", c.PublicURL, c.Addr)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		bad("SNSOS_TIMEZONE", "%q is not a time zone; use an IANA name such as Asia/Tokyo", c.Timezone)
	}
	if cps, err := ParseCheckpoints(c.CheckpointsRaw); err != nil {
		bad("SNSOS_CHECKPOINTS", "%s", snsos.ErrorMessage(err))
	} else {
		c.Checkpoints = cps
	}
	if !slices.Contains([]string{"text", "json"}, c.LogFormat) {
		bad("SNSOS_LOG_FORMAT", "%q: use text or json", c.LogFormat)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("SNSOS_LOG_LEVEL", "%q: use debug, info, warn or error", c.LogLevel)
	}
	if c.ShutdownTimeout <= 0 {
		bad("SNSOS_SHUTDOWN_TIMEOUT", "must be positive, e.g. 30s")
	}
	if mk := c.MasterKey.Reveal(); mk != "" {
		if _, err := secret.ParseKey(mk); err != nil {
			bad("SNSOS_MASTER_KEY", "%s", strings.TrimPrefix(err.Error(), "secret: "))
		}
	}
	for i, k := range strings.Split(c.MasterKeysOld.Reveal(), ",") {
		if k = strings.TrimSpace(k); k != "" {
			if _, err := secret.ParseKey(k); err != nil {
				bad("SNSOS_MASTER_KEY_OLD", "key %d: %s", i+1, strings.TrimPrefix(err.Error(), "secret: "))
			}
		}
	}
	if tok := c.APIToken.Reveal(); tok != "" && len(tok) < 16 {
		bad("SNSOS_API_TOKEN", "is too short; use at least 16 random characters (sns-os token create makes one)")
	}
	if c.S3.Endpoint != "" {
		if strings.Contains(c.S3.Endpoint, "://") {
			bad("SNSOS_S3_ENDPOINT", "give host[:port] without a scheme; SNSOS_S3_USE_SSL chooses https")
		}
		if c.S3.Bucket == "" {
			bad("SNSOS_S3_BUCKET", "is required when SNSOS_S3_ENDPOINT is set")
		}
		if c.S3.AccessKey == "" || c.S3.SecretKey.IsZero() {
			bad("SNSOS_S3_ACCESS_KEY", "and SNSOS_S3_SECRET_KEY are required when SNSOS_S3_ENDPOINT is set")
		}
	}
	c.validateAlerts(bad)
	if e := c.OperatorEmail; e != "" {
		if as, err := alert.ParseAddresses(e); err != nil || len(as) != 1 {
			bad("SNSOS_OPERATOR_EMAIL", "%q is not one email address; set it like privacy@example.com", e)
		} else {
			c.OperatorEmail = as[0] // the bare address the pages link to
		}
	}
	for _, o := range [][2]string{{"SNSOS_OPERATOR_NAME", c.OperatorName}, {"SNSOS_JURISDICTION", c.Jurisdiction}} {
		if len(o[1]) > 200 || strings.ContainsFunc(o[1], unicode.IsControl) {
			bad(o[0], "must be one line of at most 200 bytes")
		}
	}
	for _, p := range snsos.Platforms {
		pc := c.Platforms[p]
		if pc.BaseURL != "" {
			if u, err := url.Parse(pc.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("SNSOS_"+strings.ToUpper(string(p))+"_BASE_URL", "%q is not an absolute http(s) URL", pc.BaseURL)
			}
		}
	}
	return errors.Join(errs...)
}

// validateAlerts checks the alert settings with the parsers the alert
// channels use, so what passes here works at startup.
func (c *Config) validateAlerts(bad func(name, format string, args ...any)) {
	addrs := func(name, v string, one bool) {
		as, err := alert.ParseAddresses(v)
		switch {
		case strings.Trim(v, ", \t") == "":
			bad(name, "is required when SNSOS_SMTP_URL is set")
		case err != nil:
			bad(name, "%s", err)
		case one && len(as) > 1:
			bad(name, "give one address")
		}
	}
	if raw := c.SMTPURL.Reveal(); raw != "" {
		if _, _, _, err := alert.ParseSMTPURL(raw); err != nil { // its errors never quote the URL
			bad("SNSOS_SMTP_URL", "%s", err)
		}
		addrs("SNSOS_ALERT_EMAIL_FROM", c.AlertEmailFrom, true)
		addrs("SNSOS_ALERT_EMAIL_TO", c.AlertEmailTo, false)
	} else if c.AlertEmailFrom != "" || c.AlertEmailTo != "" {
		bad("SNSOS_SMTP_URL", "is required for alert email (SNSOS_ALERT_EMAIL_FROM or SNSOS_ALERT_EMAIL_TO is set)")
	}
	if raw := c.AlertWebhookURL; raw != "" {
		if _, err := alert.CheckWebhookURL(raw); err != nil {
			bad("SNSOS_ALERT_WEBHOOK_URL", "%s", err)
		}
	} else if !c.AlertWebhookSecret.IsZero() {
		bad("SNSOS_ALERT_WEBHOOK_SECRET", "is set but SNSOS_ALERT_WEBHOOK_URL is not; set both or neither")
	}
}

// ParsePrefixes parses a comma-separated list of IP addresses and CIDR
// prefixes (an address is a prefix of its full length).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR prefix such as 10.0.0.0/8", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix such as 10.0.0.0/8", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ParseCheckpoints parses a comma-separated list of offsets such as
// "1h,24h,7d"; the result is sorted and without duplicates.
func ParseCheckpoints(s string) ([]time.Duration, error) {
	var out []time.Duration
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := snsos.ParseCheckpointOffset(part)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, snsos.Errorf(snsos.EINVALID, "list at least one offset, e.g. 1h,24h,7d")
	}
	slices.Sort(out)
	return out, nil
}

// Location returns the operator's time zone (UTC if Validate was not called
// and the name is wrong).
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Source says where setting env came from: "default", "env", "file", a
// flag, a *_FILE, or "META_APP_SECRET" for an app secret standing in for it.
func (c *Config) Source(env string) string { return c.sources[env] }

// Dump writes every setting as NAME=value with its source, secrets masked and
// passwords removed from URLs.
func (c *Config) Dump(w io.Writer) error {
	for _, o := range options() {
		v := o.display(c)
		if o.secret && v != "" {
			v = snsos.Mask
		}
		src := c.sources[o.env]
		if _, err := fmt.Fprintf(w, "%s=%s\t# %s\n", o.env, v, src); err != nil {
			return err
		}
	}
	return nil
}

// Help writes the list of settings with their defaults and meaning.
func Help(w io.Writer) {
	for _, o := range options() {
		def := o.def
		if def == "" {
			def = `""`
		}
		extra := ""
		if o.secret {
			extra = " (or " + o.env + "_FILE)"
		}
		if o.flag != "" {
			extra += " [--" + o.flag + "]"
		}
		fmt.Fprintf(w, "  %-30s %s%s; default %s\n", o.env, o.help, extra, def)
	}
	fmt.Fprintf(w, "  %-30s fallback app secret for Instagram and Threads\n", "META_APP_SECRET")
}

// elideURL keeps a URL's scheme and host only: webhook URLs often carry a
// token in their path or query.
func elideURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return snsos.Mask
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		out += "/…"
	}
	return out
}

// redactURL removes the password (or token) from a URL's user info and
// query (any parameter whose name holds password, secret or token), and
// masks a key=value connection string that holds a password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") && strings.Contains(s, "://") {
			return snsos.Mask
		}
		return s
	}
	if u.Scheme == "" && strings.Contains(strings.ToLower(s), "password") {
		// Not a URL: a key=value connection string ("host=db password=…").
		return snsos.Mask
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
				q[k], changed = []string{"xxxxx"}, true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if u.User == nil {
		return u.String()
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	} else if u.Scheme == "https" || u.Scheme == "http" {
		u.User = url.User("xxxxx") // https://TOKEN@host/…
	}
	return u.String()
}

// loopbackAddr reports whether the listen address addr (host:port) is on
// loopback only: localhost or a loopback IP (not an empty host or 0.0.0.0,
// which listen everywhere).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
