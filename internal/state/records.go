package state

import (
	"encoding/binary"
	"fmt"
	"time"
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

// pointBytes: time, upvotes, comments, stars, code (21 bytes, the
// first layout, still read); then models, datasets, Spaces, version and
// the venue key, length first (the second); then, only when one is set,
// a byte of flags (the third): 1, the paper was not on Hugging Face yet
// (its counts were not known).
func pointBytes(p Point) []byte {
	venue := p.Venue[:min(len(p.Venue), 255)]
	n := pointV2 + len(venue)
	if p.NoHF {
		n++
	}
	b := make([]byte, n)
	binary.BigEndian.PutUint64(b, uint64(unixNano(p.At)))
	binary.BigEndian.PutUint32(b[8:], uint32(max(0, p.Upvotes)))
	binary.BigEndian.PutUint32(b[12:], uint32(max(0, p.Comments)))
	binary.BigEndian.PutUint32(b[16:], uint32(max(0, p.Stars)))
	if p.Code {
		b[20] = 1
	}
	binary.BigEndian.PutUint32(b[21:], uint32(max(0, p.Models)))
	binary.BigEndian.PutUint32(b[25:], uint32(max(0, p.Datasets)))
	binary.BigEndian.PutUint32(b[29:], uint32(max(0, p.Spaces)))
	binary.BigEndian.PutUint16(b[33:], uint16(min(max(0, p.Version), 65535)))
	b[35] = byte(len(venue))
	copy(b[pointV2:], venue)
	if p.NoHF {
		b[n-1] = pointNoHF
	}
	return b
}

// pointNoHF is the third layout's flag: not on Hugging Face yet.
const pointNoHF = 1

// The two point layouts' sizes (the second without its venue key).
const (
	pointV1 = 21
	pointV2 = 36
)

func parsePoint(b []byte) (Point, error) {
	flags := byte(0)
	switch {
	case len(b) == pointV1:
	case len(b) >= pointV2 && len(b) == pointV2+int(b[35]):
	case len(b) >= pointV2 && len(b) == pointV2+int(b[35])+1 && b[len(b)-1]&^pointNoHF == 0:
		flags, b = b[len(b)-1], b[:len(b)-1]
	default:
		return Point{}, fmt.Errorf("history point of %d bytes", len(b))
	}
	p := Point{At: fromUnixNano(int64(binary.BigEndian.Uint64(b))), Upvotes: int(binary.BigEndian.Uint32(b[8:])),
		Comments: int(binary.BigEndian.Uint32(b[12:])), Stars: int(binary.BigEndian.Uint32(b[16:])), Code: b[20] == 1}
	if len(b) == pointV1 {
		return p, nil
	}
	p.Models = int(binary.BigEndian.Uint32(b[21:]))
	p.Datasets = int(binary.BigEndian.Uint32(b[25:]))
	p.Spaces = int(binary.BigEndian.Uint32(b[29:]))
	p.Version = int(binary.BigEndian.Uint16(b[33:]))
	p.Venue = string(b[pointV2:])
	p.NoHF = flags&pointNoHF != 0
	return p, nil
}

// historyKey orders a paper's points by time under its ID.
func historyKey(id string, at time.Time) []byte {
	k := make([]byte, 0, len(id)+9)
	k = append(append(k, id...), '/')
	return binary.BigEndian.AppendUint64(k, uint64(unixNano(at)))
}

// Bolt is the embedded state store: one bbolt file (a copy-on-write
