package state

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the state file's name in the data directory.
const FileName = "paperfeed.db"

// Buckets of the bolt file.
var (
	bMeta    = []byte("meta")    // format, written
	bEntries = []byte("entries") // entry key -> Entry (gob: several times faster to decode than JSON for thousands of papers)
	bRefs    = []byte("refs")    // entry key -> ref: the paper IDs it holds, when fetched (JSON)
	bPapers  = []byte("papers")  // paper ID -> changed, first seen (binary, see metaBytes)
	bHistory = []byte("history") // paper ID "/" time -> one Point (binary, see pointBytes)
	bLast    = []byte("last")    // paper ID -> newest Point with its time
	bCats    = []byte("cats")    // paper ID -> Categories (JSON)
	bFetch   = []byte("fetch")   // name -> refresh-side state (opaque)
	buckets  = [][]byte{bMeta, bEntries, bRefs, bPapers, bHistory, bLast, bCats, bFetch}
)

// ref is what Prune reads of an entry without decoding its papers.
type ref struct {
	IDs     []string  `json:"ids"`
	Fetched time.Time `json:"fetched,omitzero"`
}

// Per-paper values are small fixed-size binary records: thousands are
// written after a refresh, and a history point is one key of its own, so
// appending one reads nothing.

// metaBytes: changed, first seen (Unix nanoseconds, 0 for unknown).
func metaBytes(changed, firstSeen time.Time) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(unixNano(changed)))
	binary.BigEndian.PutUint64(b[8:], uint64(unixNano(firstSeen)))
	return b
}

func parseMeta(b []byte) (changed, firstSeen time.Time, err error) {
	if len(b) != 16 {
		return changed, firstSeen, fmt.Errorf("paper record of %d bytes", len(b))
	}
	return fromUnixNano(int64(binary.BigEndian.Uint64(b))), fromUnixNano(int64(binary.BigEndian.Uint64(b[8:]))), nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// pointBytes: time, upvotes, comments, stars, code.
func pointBytes(p Point) []byte {
	b := make([]byte, 21)
	binary.BigEndian.PutUint64(b, uint64(unixNano(p.At)))
	binary.BigEndian.PutUint32(b[8:], uint32(max(0, p.Upvotes)))
	binary.BigEndian.PutUint32(b[12:], uint32(max(0, p.Comments)))
	binary.BigEndian.PutUint32(b[16:], uint32(max(0, p.Stars)))
	if p.Code {
		b[20] = 1
	}
	return b
}

func parsePoint(b []byte) (Point, error) {
	if len(b) != 21 {
		return Point{}, fmt.Errorf("history point of %d bytes", len(b))
	}
	return Point{At: fromUnixNano(int64(binary.BigEndian.Uint64(b))), Upvotes: int(binary.BigEndian.Uint32(b[8:])),
		Comments: int(binary.BigEndian.Uint32(b[12:])), Stars: int(binary.BigEndian.Uint32(b[16:])), Code: b[20] == 1}, nil
}

// historyKey orders a paper's points by time under its ID.
func historyKey(id string, at time.Time) []byte {
	k := make([]byte, 0, len(id)+9)
	k = append(append(k, id...), '/')
	return binary.BigEndian.AppendUint64(k, uint64(unixNano(at)))
}

// Bolt is the embedded state store: one bbolt file (a copy-on-write
// B+tree whose transactions are fsync'd), safe for concurrent use.
type Bolt struct {
	dbMu sync.RWMutex // guards db, which Reset and ReleaseMemory replace
	db   *bolt.DB
	path string
	log  *slog.Logger
	now  func() time.Time

	mu    sync.Mutex
	stats Stats
}

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

// handle is the open database; callers hold dbMu for reading.
func (b *Bolt) handle() *bolt.DB { return b.db }

// ReleaseMemory closes and reopens the file: pages the start read
// through bbolt's memory mapping stop counting as this process's
// memory. Call it when nothing else uses the store (after Load at
// start).
func (b *Bolt) ReleaseMemory() error {
	b.dbMu.Lock()
	defer b.dbMu.Unlock()
	if err := b.db.Close(); err != nil {
		return err
	}
	db, err := openRecovering(b.path)
	if err != nil {
		return err
	}
	b.db = db
	return nil
}

// Reset moves the file aside and starts a fresh one (Load found content
// it could not read).
func (b *Bolt) Reset() error {
	b.dbMu.Lock()
	defer b.dbMu.Unlock()
	if err := b.db.Close(); err != nil {
		return err
	}
	if err := moveAside(b.path, errors.New("content could not be decoded"), b.log, b.now); err != nil {
		return err
	}
	nb, err := openBolt(b.path, b.log, b.now)
	if err != nil {
		return err
	}
	b.db = nb.db
	b.mu.Lock()
	b.stats.Papers = nb.stats.Papers // the fresh file's, not the old one's
	b.mu.Unlock()
	b.refreshStats()
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
			papers = tx.Bucket(bPapers).Stats().KeyN
			return nil
		})
	}); err != nil {
		return nil, err
	}
	b = &Bolt{db: db, path: path, log: log, now: now, stats: Stats{Kind: "bolt", Path: path, Papers: papers}}
	b.refreshStats()
	return b, nil
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
				if tx.Bucket(name) == nil {
					return errCorrupt{fmt.Errorf("no %s bucket", name)}
				}
			}
			if n, err := strconv.Atoi(string(tx.Bucket(bMeta).Get([]byte("format")))); err != nil || n > FormatVersion {
				return fmt.Errorf("%w: %s has format %q", ErrNewerFormat, path, tx.Bucket(bMeta).Get([]byte("format")))
			}
			papers = tx.Bucket(bPapers).Stats().KeyN
			return nil
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	b = &Bolt{db: db, path: path, log: log, now: now, stats: Stats{Kind: "bolt", Path: path, Papers: papers, Size: fi.Size()}}
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

// Keys lists the entry keys, in byte order.
func (b *Bolt) Keys() (keys []string, err error) {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	err = guarded("listing entries", func() error {
		return b.handle().View(func(tx *bolt.Tx) error {
			return tx.Bucket(bRefs).ForEach(func(k, _ []byte) error {
				keys = append(keys, string(k))
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Load reads the state: the entries want accepts (nil: all), and the
// metadata, categories and newest point of their papers (of every paper
// when want is nil). A record that cannot be decoded is left out and
// listed in the snapshot's Damaged; a damaged page of the file itself
// is an errCorrupt.
func (b *Bolt) Load(want func(key string) bool) (snap *Snapshot, err error) {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	snap = newSnapshot()
	err = guarded("reading", func() error {
		return b.handle().View(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bMeta).Get([]byte("written")); v != nil {
				_ = snap.Written.UnmarshalText(v)
			}
			if err := tx.Bucket(bEntries).ForEach(func(k, v []byte) error {
				if want == nil || want(string(k)) {
					snap.decodeEntry(string(k), v)
				}
				return nil
			}); err != nil {
				return err
			}
			// Per-paper records: of the papers the entries read hold, when
			// some were left out (so the start reads no more than it keeps).
			each := func(name []byte, f func(id string, v []byte)) error {
				bk := tx.Bucket(name)
				if want == nil {
					return bk.ForEach(func(k, v []byte) error { f(string(k), v); return nil })
				}
				for _, id := range snap.paperIDs() {
					if v := bk.Get([]byte(id)); v != nil {
						f(id, v)
					}
				}
				return nil
			}
			if err := each(bPapers, snap.decodeMeta); err != nil {
				return err
			}
			if err := each(bCats, snap.decodeCategories); err != nil {
				return err
			}
			if err := each(bLast, snap.decodeLast); err != nil {
				return err
			}
			return tx.Bucket(bFetch).ForEach(func(k, v []byte) error {
				snap.Fetch[string(k)] = append([]byte(nil), v...)
				return nil
			})
		})
	})
	if err != nil {
		if !isCorrupt(err) {
			err = errCorrupt{err}
		}
		return nil, err
	}
	return snap, nil
}

// Save writes one change in one transaction.
func (b *Bolt) Save(c *Change) (err error) {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a fault on a damaged page panics (see guarded)
	start := time.Now()
	added := 0 // papers new to the file
	defer func() {
		if p := recover(); p != nil {
			err = errCorrupt{fmt.Errorf("damaged page met while writing: %v", p)}
		}
		err = damagedContent(err)
		if err == nil {
			b.mu.Lock()
			b.stats.Papers += added
			b.mu.Unlock()
		}
		b.noteWrite(c.At, time.Since(start), err)
	}()
	return b.handle().Update(func(tx *bolt.Tx) error {
		entries, refs := tx.Bucket(bEntries), tx.Bucket(bRefs)
		for k, e := range c.Put {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(e); err != nil {
				return err
			}
			if err := entries.Put([]byte(k), buf.Bytes()); err != nil {
				return err
			}
			var v []byte
			var err error
			r := ref{IDs: make([]string, len(e.Papers)), Fetched: e.Fetched}
			for i := range e.Papers {
				r.IDs[i] = e.Papers[i].ID
			}
			if v, err = json.Marshal(r); err != nil {
				return err
			}
			if err := refs.Put([]byte(k), v); err != nil {
				return err
			}
		}
		for _, k := range c.Delete {
			if err := entries.Delete([]byte(k)); err != nil {
				return err
			}
			if err := refs.Delete([]byte(k)); err != nil {
				return err
			}
		}
		papers := tx.Bucket(bPapers)
		update := func(id string, changed, firstSeen time.Time) error {
			if v := papers.Get([]byte(id)); v != nil {
				c, f, err := parseMeta(v)
				if err != nil {
					return err
				}
				if changed.IsZero() {
					changed = c
				}
				if firstSeen.IsZero() {
					firstSeen = f
				}
			} else {
				added++
			}
			return papers.Put([]byte(id), metaBytes(changed, firstSeen))
		}
		for id, t := range c.Changed {
			if err := update(id, t, c.FirstSeen[id]); err != nil {
				return err
			}
		}
		for id, t := range c.FirstSeen {
			if _, done := c.Changed[id]; !done {
				if err := update(id, time.Time{}, t); err != nil {
					return err
				}
			}
		}
		if err := putJSON(tx.Bucket(bCats), c.Categories); err != nil {
			return err
		}
		last, history := tx.Bucket(bLast), tx.Bucket(bHistory)
		for id, p := range c.Points {
			v := pointBytes(p)
			if err := last.Put([]byte(id), v); err != nil {
				return err
			}
			if err := history.Put(historyKey(id, p.At), v); err != nil {
				return err
			}
		}
		fetch := tx.Bucket(bFetch)
		for k, v := range c.Fetch {
			if err := fetch.Put([]byte(k), v); err != nil {
				return err
			}
		}
		at, err := c.At.MarshalText()
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put([]byte("written"), at)
	})
}

func putJSON[T any](bk *bolt.Bucket, m map[string]T) error {
	for k, x := range m {
		v, err := json.Marshal(x)
		if err != nil {
			return err
		}
		if err := bk.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// History returns a paper's points, oldest first.
func (b *Bolt) History(id string) (h []Point, err error) {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a fault on a damaged page panics (see guarded)
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, errCorrupt{fmt.Errorf("damaged page met while reading history: %v", p)}
		}
	}()
	prefix := append([]byte(id), '/')
	err = b.handle().View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bHistory).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue // another paper whose ID starts with this one and a slash
			}
			p, err := parsePoint(v)
			if err != nil {
				return fmt.Errorf("history of %s: %w", id, err)
			}
			h = append(h, p)
		}
		return nil
	})
	return h, err
}

// Prune drops the entries keep refuses, then every paper no remaining
// entry holds (metadata, categories, history), and thins history older
// than thinAfter to the last point of each day.
func (b *Bolt) Prune(now time.Time, keep func(key string, fetched time.Time) bool) (dropped int, err error) {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a fault on a damaged page panics (see guarded)
	start := time.Now()
	kept := 0 // papers left
	defer func() {
		if p := recover(); p != nil {
			err = errCorrupt{fmt.Errorf("damaged page met while pruning: %v", p)}
		}
		err = damagedContent(err)
		if err == nil {
			b.mu.Lock()
			b.stats.Papers = kept
			b.mu.Unlock()
		}
		b.noteWrite(now, time.Since(start), err)
	}()
	err = b.handle().Update(func(tx *bolt.Tx) error {
		entries, refs := tx.Bucket(bEntries), tx.Bucket(bRefs)
		held := map[string]bool{}
		var gone [][]byte
		if err := refs.ForEach(func(k, v []byte) error {
			var r ref
			if err := json.Unmarshal(v, &r); err != nil {
				// A damaged ref: its papers from the entry itself, or,
				// when that is damaged too, both go.
				var e Entry
				if gob.NewDecoder(bytes.NewReader(entries.Get(k))).Decode(&e) != nil {
					gone = append(gone, append([]byte(nil), k...))
					return nil
				}
				r = refOf(e)
			}
			if !keep(string(k), r.Fetched) {
				gone = append(gone, append([]byte(nil), k...))
				return nil
			}
			for _, id := range r.IDs {
				held[id] = true
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range gone {
			if err := entries.Delete(k); err != nil {
				return err
			}
			if err := refs.Delete(k); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bPapers, bLast, bCats} {
			bk := tx.Bucket(name)
			var del [][]byte
			if err := bk.ForEach(func(k, _ []byte) error {
				if !held[string(k)] {
					del = append(del, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return err
			}
			if string(name) == string(bPapers) {
				dropped, kept = len(del), bk.Stats().KeyN-len(del)
			}
			for _, k := range del {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
		}
		return pruneHistory(tx.Bucket(bHistory), held, now.Add(-thinAfter))
	})
	return dropped, err
}

// thinAfter is the age past which history keeps one point a day.
const thinAfter = 7 * 24 * time.Hour

// pruneHistory deletes the points of papers no entry holds, and thins
// the others' points before a time to one a day.
func pruneHistory(bk *bolt.Bucket, held map[string]bool, before time.Time) error {
	var del [][]byte
	var id string
	var keys [][]byte
	var points []Point
	flush := func() {
		if len(keys) == 0 {
			return
		}
		if !held[id] {
			del = append(del, keys...)
		} else {
			kept := map[int64]bool{}
			for _, p := range Thin(points, before) {
				kept[unixNano(p.At)] = true
			}
			for i, p := range points {
				if !kept[unixNano(p.At)] {
					del = append(del, keys[i])
				}
			}
		}
		keys, points = keys[:0:0], points[:0:0]
	}
	if err := bk.ForEach(func(k, v []byte) error {
		i := len(k) - 9 // ID, '/', 8 bytes of time
		p, err := parsePoint(v)
		if i < 1 || k[i] != '/' || err != nil {
			del = append(del, append([]byte(nil), k...)) // a damaged record: dropped
			return nil
		}
		if string(k[:i]) != id {
			flush()
			id = string(k[:i])
		}
		keys = append(keys, append([]byte(nil), k...))
		points = append(points, p)
		return nil
	}); err != nil {
		return err
	}
	flush()
	for _, k := range del {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Thin keeps, of the points before a time, only the last of each UTC
// day; later points are kept as they are.
func Thin(h []Point, before time.Time) []Point {
	out := make([]Point, 0, len(h))
	for i, p := range h {
		if p.At.Before(before) && i+1 < len(h) && h[i+1].At.Before(before) &&
			p.At.UTC().Truncate(24*time.Hour).Equal(h[i+1].At.UTC().Truncate(24*time.Hour)) {
			continue // a later point of the same old day follows
		}
		out = append(out, p)
	}
	return out
}

func (b *Bolt) noteWrite(at time.Time, d time.Duration, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.stats.Errors++
		b.stats.LastError = err.Error()
		b.stats.ErrorAt = at
		return
	}
	b.stats.Writes++
	b.stats.LastWrite = at
	b.stats.LastError = ""
	b.stats.Duration = d
	b.refreshStatsLocked()
}

func (b *Bolt) refreshStats() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshStatsLocked()
}

func (b *Bolt) refreshStatsLocked() {
	if fi, err := os.Stat(b.path); err == nil {
		b.stats.Size = fi.Size()
	}
}

// Stats returns what /status shows.
func (b *Bolt) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Close closes the file.
func (b *Bolt) Close() error {
	b.dbMu.Lock()
	defer b.dbMu.Unlock()
	return b.db.Close()
}
