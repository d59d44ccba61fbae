package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river/riverdriver"
)

// Release runs the scheduling step as if it were at, as the release timer
// does at a near job's time.
func (c *Client) Release(ctx context.Context, at time.Time) error {
	_, err := c.rel.exec.JobSchedule(ctx, &riverdriver.JobScheduleParams{Max: 1000, Now: &at})
	return err
}

// PendingReleases counts the release timers not yet run.
func (c *Client) PendingReleases() int {
	c.rel.mu.Lock()
	defer c.rel.mu.Unlock()
	return len(c.rel.pending)
}
