package state

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
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
	bCats    = []byte("cats")    // paper ID -> Lookup (JSON)
	bFetch   = []byte("fetch")   // name -> refresh-side state (opaque)
	buckets  = [][]byte{bMeta, bEntries, bRefs, bPapers, bHistory, bLast, bCats, bFetch, bPersonal, bRecords}
)

// B+tree whose transactions are fsync'd), safe for concurrent use.
type Bolt struct {
	*boltFile
	boltRecords  // named records (named_records.go)
	boltPersonal // personal feeds (personal_bolt.go)
}

// boltFile is what every part of the bolt store shares: the open file
// and the figures /status shows.
type boltFile struct {
	dbMu sync.RWMutex // guards db, which Reset and ReleaseMemory replace
	db   *bolt.DB
	path string
	log  *slog.Logger
	now  func() time.Time

	mu    sync.Mutex
	stats Stats
}

func newBolt(f *boltFile) *Bolt {
	return &Bolt{boltFile: f, boltRecords: boltRecords{f}, boltPersonal: boltPersonal{f}}
}

// handle is the open database; callers hold dbMu for reading.
func (b *boltFile) handle() *bolt.DB { return b.db }

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
		db := b.handle()
		m := mapping{base: db.Info().Data}
		return db.View(func(tx *bolt.Tx) error {
			m.size = uintptr(tx.Size()) // the file as this transaction sees it: all mapped
			d := &readDropper{m: m}
			if v := tx.Bucket(bMeta).Get([]byte("written")); v != nil {
				_ = snap.Written.UnmarshalText(v)
			}
			// The entries' keys are listed from their refs, not from the
			// entries themselves: a key sits on the first page of its
			// value, and a fault maps the page cache's whole folio around
			// it (up to 2 MB, not one page, even without readahead), so
			// walking the keys of a month of entries mapped half of a
			// 105 MB file. A ref's key does the same on a smaller scale:
			// each key visited counts as a folio read.
			refs, entries := tx.Bucket(bRefs), tx.Bucket(bEntries)
			first, _ := refs.Cursor().First()
			d.start(first)
			defer d.finish() // everything read is copied out by now
			if err := refs.ForEach(func(k, _ []byte) error {
				d.walked(maxFolio)
				if want == nil || want(string(k)) {
					if v := entries.Get(k); v != nil {
						snap.decodeEntry(string(k), d.reader(v))
						d.done(v) // decoded: its pages need not stay resident
					}
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
					return bk.ForEach(func(k, v []byte) error { f(string(k), v); d.done(v); return nil })
				}
				for _, id := range snap.paperIDs() {
					if v := bk.Get([]byte(id)); v != nil {
						f(id, v)
						d.done(v)
					}
				}
				return nil
			}
			if err := each(bPapers, snap.decodeMeta); err != nil {
				return err
			}
			if err := each(bCats, snap.decodeLookup); err != nil {
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

// dropResident lets go of the file's pages a write read through the
// mapping (the B-tree's pages on the way to what it changed): the state
// is read at start and written by refreshes, never read by requests, so
// keeping them resident only costs memory. Called with dbMu held.
func (b *Bolt) dropResident() {
	_ = guarded("reading", func() error {
		db := b.handle()
		return db.View(func(tx *bolt.Tx) error {
			m := mapping{base: db.Info().Data, size: uintptr(tx.Size())}
			if k, _ := tx.Bucket(bEntries).Cursor().First(); m.holds(k) {
				m.dropAll(k)
			}
			return nil
		})
	})
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
			b.dropResident()
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
		if err := putJSON(tx.Bucket(bCats), c.Lookups); err != nil {
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
