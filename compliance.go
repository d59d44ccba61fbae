package snsos

import "time"

// ContactMessage is a message left through the public contact form. It is
// stored as text and never rendered as HTML.
type ContactMessage struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Lang      string    `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
	ReadAt    time.Time `json:"read_at,omitzero"`
}

// DeletionStatus is the progress of a data-deletion request.
type DeletionStatus string

// Deletion statuses.
const (
	DeletionPending   DeletionStatus = "pending"   // tokens deleted; metadata due within 30 days
	DeletionCompleted DeletionStatus = "completed" // everything about the user is gone
)

// DeletionRequest is a platform's request (Meta's data-deletion callback) to
// delete what sns-os holds about a platform user. ConfirmationCode is public:
// the status page is looked up by it.
type DeletionRequest struct {
	ID               int64          `json:"id"`
	Platform         Platform       `json:"platform"`
	RemoteUserID     string         `json:"remote_user_id"`
	ConfirmationCode string         `json:"confirmation_code"`
	Status           DeletionStatus `json:"status"`
	RequestedAt      time.Time      `json:"requested_at"`
	DueAt            time.Time      `json:"due_at"`
	CompletedAt      time.Time      `json:"completed_at,omitzero"`
}

// AuditEvent is one entry of the audit trail: who did what to which thing.
// Detail is free text or JSON that never holds a secret.
type AuditEvent struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`  // "operator", "api:<token name>", "system", "platform:<name>"
	Action      string    `json:"action"` // e.g. "account.connect", "target.transition", "keys.rotate"
	SubjectType string    `json:"subject_type,omitempty"`
	SubjectID   int64     `json:"subject_id,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}
