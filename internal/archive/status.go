package archive

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
)

// The status outlives the archive: the archive.status setting stays in the
// database when the archive is switched off, and a push failure saved then
// would be shown for ever. Nothing clears it at start-up, because a
// process cannot tell an old status from a live one by itself: on
// PostgreSQL another process, configured with the archive, may be the
// writer that saved it a minute ago, and clearing would race it. Readers
// decide instead: a process with the archive configured shows the status
// (its writer, or the elected one elsewhere, saves it after every pass);
// a process without shows only a status saved within statusLive, which a
// live writer elsewhere keeps fresh, and ignores an older one.

// statusLive is how long a saved status counts as a live writer's for a
// process without the archive configured. A writer saves once a minute;
// ten minutes leave room for a long pass and clocks a little apart.
const statusLive = 10 * time.Minute

// Current reports whether s speaks for an archive that is on: always when
// this process has the archive configured, else only when a writer saved
// it within statusLive of now.
func (s Status) Current(configured bool, now time.Time) bool {
	if configured {
		return true
	}
	return !s.SavedAt.IsZero() && now.Sub(s.SavedAt) < statusLive
}

// ReadStatus returns the status saved in st for a reader in a process
// that has the archive configured or not, and whether there is one to
// show: none saved, one that cannot be read (written by another version)
// and one left by an archive switched off are not.
func ReadStatus(ctx context.Context, st SettingReader, configured bool, now time.Time) (Status, bool, error) {
	v, err := st.Setting(ctx, StatusKey)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return Status{}, false, nil
	} else if err != nil {
		return Status{}, false, err
	}
	s, err := ParseStatus(v)
	if err != nil || !s.Current(configured, now) {
		return Status{}, false, nil
	}
	return s, true, nil
}
