package meta

import (
	"context"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// Status is a container's state. Instagram reports it in status_code,
// Threads in status.
type Status string

// The container states (Instagram and Threads share them).
const (
	InProgress Status = "IN_PROGRESS"
	Finished   Status = "FINISHED"
	Failed     Status = "ERROR"
	Expired    Status = "EXPIRED"
	Published  Status = "PUBLISHED"
)

// ParseStatus normalises a status value ("finished" and "FINISHED" alike).
func ParseStatus(s string) Status { return Status(strings.ToUpper(strings.TrimSpace(s))) }

// ContainerTTL is how long an unpublished container lives.
const ContainerTTL = 24 * time.Hour

// Container is what a status poll found.
type Container struct {
	ID     string
	Status Status
	// Reason is the platform's text for ERROR (Instagram's status,
	// Threads' error_message).
	Reason string
	// Code is the error code in Reason, or 0.
	Code int
}

// Polling bounds one wait for a container inside a job.
type Polling struct {
	// First is the first pause (default 2 s); each next one doubles up to
	// Max (default 30 s).
	First, Max time.Duration
	// Budget is the longest wait inside one call (default 90 s). When it
	// runs out, Wait returns a *platform.Continue so the engine calls
	// again later instead of holding a job.
	Budget time.Duration
	// Sleep waits d or until ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Sleep is a timer that honours ctx.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait polls until the container leaves IN_PROGRESS. It returns the
// container, or the poll's error, or a *platform.Continue (step names what
// is awaited) once the budget is spent.
func (p Polling) Wait(ctx context.Context, step string, poll func(context.Context) (*Container, error)) (*Container, error) {
	first, most, budget := p.First, p.Max, p.Budget
	if first <= 0 {
		first = 2 * time.Second
	}
	if most <= 0 {
		most = 30 * time.Second
	}
	if budget <= 0 {
		budget = 90 * time.Second
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	pause, spent := first, time.Duration(0)
	for {
		c, err := poll(ctx)
		if err != nil {
			return nil, err
		}
		if c.Status != InProgress && c.Status != "" {
			return c, nil
		}
		if spent+pause > budget || !before(ctx, pause+deadlineMargin) {
			// Out of budget, or the job's own time would end first:
			// hand the wait back to the engine rather than be cut off
			// mid-step.
			return nil, &platform.Continue{After: most, Step: step}
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, err
		}
		spent += pause
		pause = min(pause*2, most)
	}
}

// deadlineMargin is kept free before the caller's deadline for the calls
// that follow a finished wait (the publish call and its recording).
const deadlineMargin = 15 * time.Second

// before reports whether ctx leaves at least d before its deadline (real
// time: the deadline is the job's).
func before(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) >= d
}
