package config

import (
	"path/filepath"

	"github.com/sns-os/snsos"
)

// ArchiveConfig is the git archive's settings besides its remote
// (Config.ArchiveRemote).
type ArchiveConfig struct {
	Dir        string       // the repository; "" with a remote: DataDir/archive
	Token      snsos.Secret // https push credential
	SSHKeyFile string       // ssh push key
	CAFile     string       // extra PEM certificates an https remote's may chain to
}

// ArchiveEnabled reports whether the archive is configured: a directory
// or a remote.
func (c *Config) ArchiveEnabled() bool { return c.Archive.Dir != "" || c.ArchiveRemote != "" }

// ArchiveDir is the archive's repository: SNSOS_ARCHIVE_DIR, else the
// archive folder of the data dir.
func (c *Config) ArchiveDir() string {
	if c.Archive.Dir != "" {
		return c.Archive.Dir
	}
	return filepath.Join(c.DataDir, "archive")
}

// archiveOptions adds the archive's settings to the option table.
func archiveOptions(add func(env, flg, def string, secret bool, help string, set func(*Config, string) error, disp func(*Config) string)) {
	s, d := str(func(c *Config) *string { return &c.Archive.Dir })
	add("SNSOS_ARCHIVE_DIR", "", "", false, "git archive of post metadata and metrics (on when this or SNSOS_ARCHIVE_REMOTE is set; default DATA/archive)", s, d)
	s, d = sec(func(c *Config) *snsos.Secret { return &c.Archive.Token })
	add("SNSOS_ARCHIVE_TOKEN", "", "", true, "token that pushes the archive to an https remote (sent as the basic-auth password)", s, d)
	s, d = str(func(c *Config) *string { return &c.Archive.CAFile })
	add("SNSOS_ARCHIVE_CA_FILE", "", "", false, "PEM file of certificate authorities an https archive remote's certificate may chain to, besides the system's (a private git server)", s, d)
	s, d = str(func(c *Config) *string { return &c.Archive.SSHKeyFile })
	add("SNSOS_ARCHIVE_SSH_KEY_FILE", "", "", false, "private key file that pushes the archive to an ssh remote (the server's host key must be in ~/.ssh/known_hosts or a file SSH_KNOWN_HOSTS names)", s, d)
}
