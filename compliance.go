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
	// HandledAt is when the operator marked the message handled (zero:
	// still waiting; the dashboard lists it).
	HandledAt time.Time `json:"handled_at,omitzero"`
	// DeletionCode is the confirmation code of the deletion request the
	// message opened ("" for an ordinary message).
	DeletionCode string `json:"deletion_code,omitempty"`
}

// DeletionStatus is the progress of a data-deletion request.
type DeletionStatus string

// Deletion statuses.
const (
	DeletionPending   DeletionStatus = "pending"   // tokens deleted; metadata due within 30 days
	DeletionCompleted DeletionStatus = "completed" // everything about the user is gone
	// DeletionUnconfirmed is a request sent through the contact form
	// (Platform ""): a stranger's post deletes nothing until the operator
	// has confirmed whose data it is.
	DeletionUnconfirmed DeletionStatus = "unconfirmed"
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
	// AccountIDs are the operator's accounts the request is about: those of
	// Platform one of whose ids is RemoteUserID (none when sns-os holds
	// nothing of that user).
	AccountIDs []int64 `json:"account_ids,omitempty"`
	// ConfirmedAt is when the request was accepted for action: at once for
	// a verified platform callback, when the operator confirms it for one
	// made through the contact form. Nothing is deleted before it.
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	// TokensDeletedAt is when the accounts' tokens were deleted.
	TokensDeletedAt time.Time `json:"tokens_deleted_at,omitzero"`
	// Purged counts what the purge deleted, once it has run.
	Purged *PurgeCounts `json:"purged,omitempty"`
}

// PurgeCounts says what a purge deleted.
type PurgeCounts struct {
	Accounts  int `json:"accounts"`
	Targets   int `json:"targets"`
	Attempts  int `json:"attempts"`
	Snapshots int `json:"snapshots"`
	Posts     int `json:"posts"`
	Media     int `json:"media"`
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
