package state

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Damage is one record Load could not decode. Load leaves it out and
// reads the rest: one damaged record never costs the whole state, and a
// replica never discards shared data because it could not read a part.
type Damage struct {
	Bucket string `json:"bucket"` // "entries", "papers", "cats", "last"
	Key    string `json:"key"`
	Error  string `json:"error"`
}

func (d Damage) String() string { return d.Bucket + " " + d.Key + ": " + d.Error }

func newSnapshot() *Snapshot {
	return &Snapshot{Entries: map[string]Entry{}, Changed: map[string]time.Time{}, FirstSeen: map[string]time.Time{},
		Lookups: map[string]Lookup{}, Last: map[string]Point{}, Fetch: map[string][]byte{}}
}

func (s *Snapshot) damaged(bucket, key string, err error) {
	s.Damaged = append(s.Damaged, Damage{Bucket: bucket, Key: key, Error: err.Error()})
}

// decodeEntry reads an entry's gob encoding.
func (s *Snapshot) decodeEntry(key string, r io.Reader) {
	var e Entry
	if err := gob.NewDecoder(r).Decode(&e); err != nil {
		s.damaged("entries", key, err)
		return
	}
	for i := range e.Papers {
		if e.Papers[i].ID == "" {
			s.damaged("entries", key, fmt.Errorf("paper %d has no ID", i))
			return
		}
	}
	s.Entries[key] = e
}

// paperIDs are the IDs of the papers the entries read hold.
func (s *Snapshot) paperIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, e := range s.Entries {
		for i := range e.Papers {
			if id := e.Papers[i].ID; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (s *Snapshot) decodeMeta(id string, v []byte) {
	changed, firstSeen, err := parseMeta(v)
	if err != nil {
		s.damaged("papers", id, err)
		return
	}
	if !changed.IsZero() {
		s.Changed[id] = changed
	}
	if !firstSeen.IsZero() {
		s.FirstSeen[id] = firstSeen
	}
}

func (s *Snapshot) decodeLookup(id string, v []byte) {
	var c Lookup
	if err := json.Unmarshal(v, &c); err != nil {
		s.damaged("cats", id, err)
		return
	}
	s.Lookups[id] = c
}

func (s *Snapshot) decodeLast(id string, v []byte) {
	p, err := parsePoint(v)
	if err != nil {
		s.damaged("last", id, err)
		return
	}
	s.Last[id] = p
}

// Decodable reports whether a record of a bucket ("entries", "papers",
// "cats", "last") decodes; an unknown bucket is not a record Load reads.
func Decodable(bucket, key string, v []byte) bool {
	s := newSnapshot()
	switch bucket {
	case "entries":
		s.decodeEntry(key, bytes.NewReader(v))
	case "papers":
		s.decodeMeta(key, v)
	case "cats":
		s.decodeLookup(key, v)
	case "last":
		s.decodeLast(key, v)
	default:
		return false
	}
	return len(s.Damaged) == 0
}
