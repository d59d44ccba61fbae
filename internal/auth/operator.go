package auth

import "context"

// PasswordStore is what SetOperatorPassword writes; *store.Store satisfies
// it.
type PasswordStore interface {
	PutSetting(ctx context.Context, key, value string) error
	DeleteOtherSessions(ctx context.Context, keepHash string) (int64, error)
}

// SetOperatorPassword hashes pw (argon2id), stores it as the operator
// password and ends every session but the one whose id hash is keep ("" ends
// them all). It returns how many sessions ended. The CLI, the setup page,
// the settings page and the demo all set the password through it.
func SetOperatorPassword(ctx context.Context, s PasswordStore, pw, keep string) (ended int64, err error) {
	hash, err := HashPassword(pw)
	if err != nil {
		return 0, err
	}
	if err := s.PutSetting(ctx, PasswordSetting, hash); err != nil {
		return 0, err
	}
	return s.DeleteOtherSessions(ctx, keep)
}
