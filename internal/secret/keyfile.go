package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFileName is the name of the generated master key file in the data dir,
// and NextKeyFileName that of the new key while a rotation is in progress.
const (
	KeyFileName     = "master.key"
	NextKeyFileName = "master.key.next"
)

// ReadKeyFile reads a key written as hex or base64 from path.
func ReadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file %s: %w", path, err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes k to path with mode 0600, atomically (temp file,
// fsync, rename): a crash leaves either no file or a whole one. It refuses
// to replace an existing file.
func WriteKeyFile(path string, k *Key) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write master key file %s: %w", path, fs.ErrExist)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".master.key-*")
	if err != nil {
		return fmt.Errorf("write master key file in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write master key file: %w", err)
	}
	if _, err := f.WriteString(k.Encode() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := os.Link(tmp, path); err != nil { // link, not rename: never replaces
		return fmt.Errorf("write master key file %s: %w", path, err)
	}
	return syncDir(dir)
}

// LoadOrCreateKeyFile returns the key in path, creating it (0600) when the
// file does not exist. created reports whether it did.
func LoadOrCreateKeyFile(path string) (k *Key, created bool, err error) {
	k, err = ReadKeyFile(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if k, err = GenerateKey(); err != nil {
		return nil, false, err
	}
	if err := WriteKeyFile(path, k); err != nil {
		if errors.Is(err, fs.ErrExist) { // lost a race with another process
			k, err = ReadKeyFile(path)
			return k, false, err
		}
		return nil, false, err
	}
	return k, true, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
