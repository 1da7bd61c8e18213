package state

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
			total := 0
			if err := bk.ForEach(func(k, _ []byte) error {
				total++
				if !held[string(k)] {
					del = append(del, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return err
			}
			if string(name) == string(bPapers) {
				dropped, kept = len(del), total-len(del)
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
