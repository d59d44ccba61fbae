// Package jobs runs sns-os's durable jobs on River, over SQLite
// (riversqlite) or PostgreSQL (riverpgxv5), and keeps River's types from
// spreading: the rest of sns-os registers workers and inserts jobs through
// this package.
//
// Jobs are inserted in the same database transaction as the state change
// that needs them (InsertTx with the store's *sql.Tx). On SQLite that is the
// River client itself; on PostgreSQL the working client speaks pgx (for
// LISTEN/NOTIFY and leader election), and transactional inserts go through a
// second, insert-only River client on database/sql, over the same tables.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos/internal/logging"
)

// Config configures a Client.
type Config struct {
	// DB is the database. Pool, when set, means PostgreSQL and is used by
	// the working client; otherwise DB is SQLite.
	DB   *sql.DB
	Pool *pgxpool.Pool
	// Workers holds the registered workers; nil means an insert-only client.
	Workers *river.Workers
	// Periodic jobs, run by the leader.
	Periodic []*river.PeriodicJob
	// MaxWorkers bounds concurrent jobs (default 10).
	MaxWorkers int
	// PollInterval is how often queues are polled (default 100ms, River's
	// minimum). On SQLite polling is what starts a due job, so it bounds
	// publishing lateness; see docs/benchmarks.md.
	PollInterval time.Duration
	// JobTimeout bounds one job run (default 5 minutes: a video upload).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before River assumes
	// its process died and runs it again (default JobTimeout + 1 minute, or
	// twice JobTimeout when that is shorter).
	// Workers must be safe to run again: the publish worker reconciles a
	// target it finds publishing instead of posting it again.
	RescueAfter time.Duration
	Logger      *slog.Logger
}

// Client runs jobs and inserts them.
type Client struct {
	work     runner
	insertTx func(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insert   func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	jobGet   func(ctx context.Context, id int64) (*rivertype.JobRow, error)
	started  atomic.Bool
	stopped  atomic.Bool
	log      *slog.Logger
}

// runner is the part of river.Client[TTx] that does not depend on TTx.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Migrate applies River's own migrations.
func Migrate(ctx context.Context, db *sql.DB, pool *pgxpool.Pool, logger *slog.Logger) error {
	var err error
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logging.MinLevel(logger, slog.LevelWarn)
	if pool != nil {
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger}); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: logger}); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// New builds a Client; it does not start working until Start.
func New(cfg Config) (*Client, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 5 * time.Minute
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		cfg.RescueAfter = cfg.JobTimeout + min(time.Minute, cfg.JobTimeout)
	}
	rc := &river.Config{
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               logging.MinLevel(cfg.Logger, slog.LevelWarn).With("component", "river"),
		FetchPollInterval:    cfg.PollInterval,
		JobTimeout:           cfg.JobTimeout,
		PeriodicJobs:         cfg.Periodic,
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
	}
	c := &Client{log: cfg.Logger}
	if cfg.Pool != nil {
		work, err := river.NewClient(riverpgxv5.New(cfg.Pool), rc)
		if err != nil {
			return nil, fmt.Errorf("job client: %w", err)
		}
		// Insert-only client over database/sql for transactional inserts.
		ins, err := river.NewClient(riverdatabasesql.New(cfg.DB), &river.Config{Logger: rc.Logger})
		if err != nil {
			return nil, fmt.Errorf("job client: %w", err)
		}
		c.work, c.insertTx, c.insert = work, ins.InsertTx, work.Insert
		c.jobGet = work.JobGet
	} else {
		work, err := river.NewClient(riversqlite.New(cfg.DB), rc)
		if err != nil {
			return nil, fmt.Errorf("job client: %w", err)
		}
		c.work, c.insertTx, c.insert = work, work.InsertTx, work.Insert
		c.jobGet = work.JobGet
	}
	return c, nil
}

// Start starts fetching and working jobs.
func (c *Client) Start(ctx context.Context) error {
	if err := c.work.Start(ctx); err != nil {
		return fmt.Errorf("start job client: %w", err)
	}
	c.started.Store(true)
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish until ctx
// is done; then it cancels the jobs still running and waits for them to
// return. It reports whether every job finished in time.
func (c *Client) Stop(ctx context.Context) (graceful bool, err error) {
	if !c.started.Load() || c.stopped.Swap(true) {
		return true, nil
	}
	err = c.work.Stop(ctx)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		c.log.Warn("jobs still running at shutdown deadline; cancelling them")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return false, c.work.StopAndCancel(cctx)
	}
	return false, err
}

// Ready reports whether the client is running.
func (c *Client) Ready() error {
	switch {
	case !c.started.Load():
		return errors.New("job client not started")
	case c.stopped.Load():
		return errors.New("job client stopped")
	}
	return nil
}

// InsertTx inserts a job inside tx, the store transaction of the change that
// needs it: both commit or neither.
func (c *Client) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := c.insertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// Insert inserts a job on its own.
func (c *Client) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := c.insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// JobGet returns a job row by id.
func (c *Client) JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return c.jobGet(ctx, id)
}

// RescueOrphans makes every job left running by a dead process available
// again, at once. It is only correct when no other process can be working
// the queue: sns-os calls it on SQLite, where the data dir lock proves that.
// (On PostgreSQL, River's rescuer does the same after RescueAfter.)
//
// It also drops the dead process's leadership, which would otherwise hold
// for River's leader TTL: only the leader moves scheduled jobs to
// available, so a restart would delay due posts by that long.
func RescueOrphans(ctx context.Context, db *sql.DB) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = $1 WHERE state = 'running'`, time.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("rescue orphaned jobs: %w", err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM river_leader`); err != nil {
		return 0, fmt.Errorf("rescue orphaned jobs: %w", err)
	}
	return res.RowsAffected()
}
