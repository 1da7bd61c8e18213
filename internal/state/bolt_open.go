package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// OpenBolt opens (or creates) the state file in dir. A file that is not
// a readable state (truncated, garbage, zero length, failed consistency
// check) is moved aside as NAME.corrupt-TIMESTAMP, logged, and a fresh
// one created. A file of a newer format is refused (ErrNewerFormat). An
// error that is not about the file's content (no such directory, no
// permission, a full disk, another process holding the lock) is
// returned as it is.
func OpenBolt(dir string, log *slog.Logger, now func() time.Time) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	b, err := openBolt(path, log, now)
	if err == nil || !isCorrupt(err) {
		return b, err
	}
	if err := moveAside(path, err, log, now); err != nil {
		return nil, err
	}
	return openBolt(path, log, now)
}

// moveAside renames an unreadable state file to NAME.corrupt-TIMESTAMP.
func moveAside(path string, reason error, log *slog.Logger, now func() time.Time) error {
	aside := path + ".corrupt-" + now().UTC().Format("20060102T150405.000Z")
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("state file %s is unreadable (%v) and could not be moved aside: %w", path, reason, err)
	}
	log.Error("state file unreadable; moved aside, starting with a fresh state", "path", path, "moved_to", aside, "reason", reason.Error())
	return nil
}

// errCorrupt marks a state file whose content cannot be used.
type errCorrupt struct{ err error }

func (e errCorrupt) Error() string        { return "unreadable state file: " + e.err.Error() }
func (e errCorrupt) Unwrap() error        { return e.err }
func (e errCorrupt) Is(target error) bool { return target == ErrCorrupt }

// ErrCorrupt is matched (errors.Is) by every error that means the state
// file's content is damaged and the file should be reset.
var ErrCorrupt = errors.New("state file damaged")

func isCorrupt(err error) bool {
	var c errCorrupt
	return errors.As(err, &c)
}

// IsCorrupt reports whether err means the state file's content is
// damaged (the file should be reset).
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }

func openBolt(path string, log *slog.Logger, now func() time.Time) (b *Bolt, err error) {
	if fi, serr := os.Stat(path); serr == nil && fi.Size() == 0 {
		return nil, errCorrupt{errors.New("zero-length file")}
	}
	if err := checkLength(path); err != nil {
		return nil, err
	}
	db, err := openRecovering(path)
	if err != nil {
		switch {
		case isCorrupt(err):
			return nil, err
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, errCorrupt{err}
		case errors.Is(err, berrors.ErrTimeout):
			return nil, errLocked{fmt.Errorf("state file %s is locked by another process (another paperfeed on the same -data-dir?): %w", path, err)}
		}
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && !environmental(err) {
			return nil, errCorrupt{err} // the file is there and could be opened: its content is at fault
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = db.Close()
		}
	}()
	err = guarded("opening", func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			m := tx.Bucket(bMeta)
			v := m.Get([]byte("format"))
			if v == nil {
				return m.Put([]byte("format"), []byte(strconv.Itoa(FormatVersion)))
			}
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return errCorrupt{fmt.Errorf("format %q", v)}
			}
			if n > FormatVersion {
				return fmt.Errorf("%w: %s has format %d, this paperfeed reads up to %d; upgrade paperfeed or point -data-dir elsewhere",
					ErrNewerFormat, path, n, FormatVersion)
			}
			return nil
		})
	})
	if err != nil {
		return nil, damagedContent(err)
	}
	// The papers held are counted once here, then kept by Save and
	// Prune: counting walks the bucket's pages, which a write after
	// every refresh should not map again.
	papers := 0
	if err = guarded("counting papers", func() error {
		return db.View(func(tx *bolt.Tx) error {
			papers = countKeys(tx, bPapers)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	b = newBolt(&boltFile{db: db, path: path, log: log, now: now, stats: Stats{Kind: "bolt", Path: path, Papers: papers}})
	b.refreshStats()
	return b, nil
}

// countKeys counts a bucket's keys with a cursor, which reads its leaf
// pages only (Bucket.Stats reads every page under it), and drops them
// from memory after.
func countKeys(tx *bolt.Tx, name []byte) int {
	c := tx.Bucket(name).Cursor()
	n := 0
	var anchor []byte
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if anchor == nil {
			anchor = k
		}
		n++
	}
	mapping{base: tx.DB().Info().Data, size: uintptr(tx.Size())}.dropAll(anchor)
	return n
}

// openBoltReadOnly opens a state file for reading only (a read-only file
// system): nothing is created or moved; a damaged, newer or missing file
// is an error.
func openBoltReadOnly(path string, log *slog.Logger, now func() time.Time) (b *Bolt, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		return nil, errCorrupt{errors.New("zero-length file")}
	}
	if err := checkLength(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err = guarded("opening", func() error {
		db, err = bolt.Open(path, 0o400, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	papers := 0
	err = guarded("reading", func() error {
		return db.View(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				if tx.Bucket(name) == nil && !bytes.Equal(name, bPersonal) && !bytes.Equal(name, bRecords) { // added later, made on the first writable open
					return errCorrupt{fmt.Errorf("no %s bucket", name)}
				}
			}
			if n, err := strconv.Atoi(string(tx.Bucket(bMeta).Get([]byte("format")))); err != nil || n > FormatVersion {
				return fmt.Errorf("%w: %s has format %q", ErrNewerFormat, path, tx.Bucket(bMeta).Get([]byte("format")))
			}
			papers = countKeys(tx, bPapers)
			return nil
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	b = newBolt(&boltFile{db: db, path: path, log: log, now: now, stats: Stats{Kind: "bolt", Path: path, Papers: papers, Size: fi.Size()}})
	return b, nil
}

// openRecovering opens the file; bbolt panics on some damaged pages
// (a scrambled freelist), which is a corrupt file too. What such an open
// left mapped is not reachable to close; it is freed when the process
// ends.
func openRecovering(path string) (db *bolt.DB, err error) {
	err = guarded("opening", func() error {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
		return err
	})
	return db, err
}

// damagedContent marks as errCorrupt the errors bbolt gives inside a
// transaction only over damaged content (this code never nests buckets
// nor stores bucket values where it writes).
func damagedContent(err error) error {
	if err == nil || isCorrupt(err) {
		return err
	}
	for _, e := range []error{berrors.ErrIncompatibleValue, berrors.ErrInvalid, berrors.ErrChecksum, berrors.ErrInvalidMapping,
		berrors.ErrBucketNotFound, berrors.ErrKeyRequired, berrors.ErrKeyTooLarge, berrors.ErrValueTooLarge} {
		if errors.Is(err, e) {
			return errCorrupt{err}
		}
	}
	return err
}

// environmental reports errors about where the file lives, not what it
// holds: permissions, a read-only or full file system, a path that is
// not a directory. The file is not to blame for them.
func environmental(err error) bool {
	for _, e := range []error{fs.ErrPermission, syscall.EROFS, syscall.ENOSPC, syscall.ENOTDIR, syscall.EISDIR, syscall.EDQUOT, syscall.EMFILE, syscall.ENFILE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
