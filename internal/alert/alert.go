// Package alert tells the operator, by email and by webhook, about what the
// attention list (internal/attention) holds: a River periodic job computes
// the list every minute and sends one message per channel with the items
// that channel has not sent yet. What each channel sent is remembered in the
// store (alerts_sent), so an item is never sent twice on a channel, a
// channel that failed sends its items on a later run, and an item that is
// resolved is forgotten (if the problem comes back, it is new).
//
// No message carries a token or a secret: items are built from ids, handles,
// excerpts and plain-words errors, and the channels' own secrets (the SMTP
// password, the webhook secret and URL path) appear in no payload, log line
// or description.
package alert

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos/internal/attention"
)

// Store is what the alerter reads and remembers. *store.Store implements it.
type Store interface {
	attention.Store
	AlertsSent(ctx context.Context, channel string) (map[string]bool, error)
	MarkAlertsSent(ctx context.Context, channel string, keys []string) error
	PruneAlertsSent(ctx context.Context, keep []string) (int64, error)
}

// Events of a message.
const (
	EventAttention = "attention"
	EventTest      = "test"
)

// MaxItems bounds the items of one message; the rest go in the next run's.
const MaxItems = 50

// Message is what one channel sends in one go.
type Message struct {
	Event  string
	Items  []attention.Item
	SentAt time.Time
}

// channel is one way of telling the operator.
type channel interface {
	// Name is the channel's key in the store ("email", "webhook").
	Name() string
	// Describe says where it sends, without secrets.
	Describe() string
	Send(ctx context.Context, m Message) error
}

// Config configures the alerter. A channel is on when its settings are set.
type Config struct {
	Store  Store
	Logger *slog.Logger
	// PublicURL makes the links in messages absolute.
	PublicURL string
	// Location is the time zone of the times in messages (default UTC).
	Location *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Attention tunes the list.
	Attention attention.Options

	Email   EmailConfig
	Webhook WebhookConfig
}

// Alerter sends alerts. It implements web.Alerter.
type Alerter struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	channels []channel
}

// New builds the alerter; it reports settings that cannot work.
func New(cfg Config) (*Alerter, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	a := &Alerter{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	var errs []error
	if cfg.Email.URL != "" {
		ch, err := newEmail(cfg.Email, a.render)
		if err != nil {
			errs = append(errs, err)
		} else {
			a.channels = append(a.channels, ch)
		}
	}
	if cfg.Webhook.URL != "" {
		ch, err := newWebhook(cfg.Webhook, a.payloadItem)
		if err != nil {
			errs = append(errs, err)
		} else {
			a.channels = append(a.channels, ch)
		}
	}
	return a, errors.Join(errs...)
}

// Enabled reports whether any channel is configured.
func (a *Alerter) Enabled() bool { return len(a.channels) > 0 }

// Channels describes each channel without its secrets.
func (a *Alerter) Channels() []string {
	out := make([]string, len(a.channels))
	for i, ch := range a.channels {
		out[i] = ch.Describe()
	}
	return out
}

// SendTest sends a test message on every channel.
func (a *Alerter) SendTest(ctx context.Context) error {
	if len(a.channels) == 0 {
		return errors.New("no alert channel is configured")
	}
	var errs []error
	for _, ch := range a.channels {
		if err := ch.Send(ctx, Message{Event: EventTest, SentAt: a.now().UTC()}); err != nil {
			a.log.Warn("alert: test not sent", "channel", ch.Name(), "err", err)
			errs = append(errs, errors.New(ch.Describe()+": "+err.Error()))
		}
	}
	return errors.Join(errs...)
}

// Run computes the attention list and sends, on each channel, one message
// with the items it has not sent yet. A channel that fails keeps its items
// for the next run; the error says which channel failed.
func (a *Alerter) Run(ctx context.Context) error {
	if len(a.channels) == 0 {
		return nil
	}
	now := a.now()
	items, err := attention.Compute(ctx, a.cfg.Store, now, a.cfg.Attention)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Store.PruneAlertsSent(ctx, attention.Keys(items)); err != nil {
		return err
	}
	var errs []error
	for _, ch := range a.channels {
		sent, err := a.cfg.Store.AlertsSent(ctx, ch.Name())
		if err != nil {
			return err
		}
		var todo []attention.Item
		for _, it := range items {
			if !sent[it.Key] && len(todo) < MaxItems {
				todo = append(todo, it)
			}
		}
		if len(todo) == 0 {
			continue
		}
		if err := ch.Send(ctx, Message{Event: EventAttention, Items: todo, SentAt: now.UTC()}); err != nil {
			a.log.Warn("alert: not sent; will retry", "channel", ch.Name(), "items", len(todo), "err", err)
			errs = append(errs, errors.New(ch.Name()+": "+err.Error()))
			continue
		}
		if err := a.cfg.Store.MarkAlertsSent(ctx, ch.Name(), attention.Keys(todo)); err != nil {
			return err
		}
		a.log.Info("alert: sent", "channel", ch.Name(), "items", len(todo))
	}
	return errors.Join(errs...)
}

// link makes a path of this site absolute.
func (a *Alerter) link(path string) string {
	if path == "" {
		return ""
	}
	return a.cfg.PublicURL + path
}

// ScanArgs is the periodic job that runs the alerter.
type ScanArgs struct{}

// Kind implements river.JobArgs.
func (ScanArgs) Kind() string { return "alert_scan" }

// InsertOpts keeps at most one run a minute; a failed run is not retried
// by River: the next minute's run sends what is left.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}, MaxAttempts: 1}
}

// ScanInterval is how often the attention list is checked.
const ScanInterval = time.Minute

type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	a *Alerter
}

func (w *scanWorker) Work(ctx context.Context, _ *river.Job[ScanArgs]) error { return w.a.Run(ctx) }

// Timeout bounds one run.
func (w *scanWorker) Timeout(*river.Job[ScanArgs]) time.Duration { return 50 * time.Second }

// Register adds the worker and returns the periodic job (none when no
// channel is configured).
func (a *Alerter) Register(workers *river.Workers) []*river.PeriodicJob {
	if len(a.channels) == 0 {
		return nil
	}
	river.AddWorker(workers, &scanWorker{a: a})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ScanInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
