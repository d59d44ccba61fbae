package graph

import "time"

// ContainerTTL is how long an unpublished container lives: Meta expires
// containers 24 hours after creation.
const ContainerTTL = 24 * time.Hour

// A Status is a container's processing state. Instagram reports it as
// status_code, Threads as status.
type Status string

// The container states.
const (
	StatusInProgress Status = "IN_PROGRESS"
	StatusFinished   Status = "FINISHED"
	StatusError      Status = "ERROR"
	StatusExpired    Status = "EXPIRED"
	StatusPublished  Status = "PUBLISHED"
)

// A Container is the state of one media container, independent of what it
// holds. Its status is a function of the clock:
//
//   - PUBLISHED once Publish was called, whatever else happened;
//   - ERROR from FailAt on, when Failure is set;
//   - EXPIRED from Created+ContainerTTL on;
//   - IN_PROGRESS before ReadyAt (also while a failure is pending);
//   - FINISHED otherwise.
type Container struct {
	ID      string
	OwnerID string
	Created time.Time
	// ReadyAt is when processing ends.
	ReadyAt time.Time
	// Failure, when set, is the simulator-specific reason reported from
	// FailAt on (Instagram's error code, Threads' error_message).
	Failure string
	FailAt  time.Time
	// MediaID is the id of the published media, "" before Publish.
	MediaID     string
	PublishedAt time.Time
}

// NewContainer returns a container created at now whose processing takes
// processing.
func NewContainer(id, ownerID string, now time.Time, processing time.Duration) *Container {
	return &Container{ID: id, OwnerID: ownerID, Created: now, ReadyAt: now.Add(processing)}
}

// Status returns the container's state at now.
func (c *Container) Status(now time.Time) Status {
	switch {
	case c.MediaID != "":
		return StatusPublished
	case c.Failure != "" && !now.Before(c.FailAt):
		return StatusError
	case !now.Before(c.Created.Add(ContainerTTL)):
		return StatusExpired
	case now.Before(c.ReadyAt):
		return StatusInProgress
	default:
		return StatusFinished
	}
}

// Fail makes the container report ERROR with reason from at on. A
// published container is not affected.
func (c *Container) Fail(reason string, at time.Time) {
	c.Failure, c.FailAt = reason, at
}

// Publish marks the container published as mediaID at now.
func (c *Container) Publish(mediaID string, now time.Time) {
	c.MediaID, c.PublishedAt = mediaID, now
}
