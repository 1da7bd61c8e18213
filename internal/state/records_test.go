package state

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestPointLayouts(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for _, p := range []Point{
		{At: at, Upvotes: 12, Comments: 3, Stars: 40, Code: true},
		{At: at, Upvotes: 1, Models: 2, Datasets: 1, Spaces: 7, Version: 3, Venue: "neurips"},
		{At: at, Version: 2},
		{At: at, Code: true, NoHF: true},
		{At: at, Version: 2, Venue: "iclr", NoHF: true},
	} {
		got, err := parsePoint(pointBytes(p))
		if err != nil || got != p {
			t.Errorf("round trip of %+v: %+v, %v", p, got, err)
		}
	}
	// A point written by the first layout (21 bytes) still reads.
	old := make([]byte, 21)
	binary.BigEndian.PutUint64(old, uint64(at.UnixNano()))
	binary.BigEndian.PutUint32(old[8:], 5)
	old[20] = 1
	if got, err := parsePoint(old); err != nil || got != (Point{At: at, Upvotes: 5, Code: true}) {
		t.Errorf("first layout: %+v, %v", got, err)
	}
	// The third layout's flags byte is there only when a flag is set:
	// every point of a paper on Hugging Face is written as before.
	if n := len(pointBytes(Point{At: at, Venue: "iclr"})); n != pointV2+4 {
		t.Errorf("a point without flags takes %d bytes, want the second layout's %d", n, pointV2+4)
	}
	b := pointBytes(Point{At: at, NoHF: true})
	b[len(b)-1] = 2 // a flag this version does not know
	if _, err := parsePoint(b); err == nil {
		t.Error("an unknown flag read as a point")
	}
	// Lengths that are neither layout are damage, not a misread.
	for _, n := range []int{0, 20, 22, 35, 37} {
		b := make([]byte, n)
		if n > 35 {
			b[35] = 5
		}
		if _, err := parsePoint(b); err == nil {
			t.Errorf("%d bytes read as a point", n)
		}
	}
}

func FuzzParsePoint(f *testing.F) {
	f.Add(pointBytes(Point{At: time.Unix(1, 0), Venue: "iclr", Version: 2}))
	f.Add(make([]byte, 21))
	f.Add(pointBytes(Point{At: time.Unix(1, 0), Code: true, NoHF: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePoint(b)
		if err != nil {
			return
		}
		q, err := parsePoint(pointBytes(p))
		if err != nil || q != p {
			t.Fatalf("%+v does not survive a round trip: %+v, %v", p, q, err)
		}
	})
}

// swapper is what every store does with a record: swap it for another
// only if it still holds what was read.
type swapper interface {
	Record(string) ([]byte, error)
	SwapRecord(key string, old, val []byte) error
}

// A record is swapped only if it holds what was read: a write made in
// between is never lost to a stale one, in every store.
func testSwapRecord(t *testing.T, s swapper) {
	t.Helper()
	if err := s.SwapRecord("notify/x", []byte("v0"), []byte("v1")); !errors.Is(err, ErrRecordChanged) {
		t.Errorf("a swap of a record that does not exist: %v", err)
	}
	if err := s.SwapRecord("notify/x", nil, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SwapRecord("notify/x", nil, []byte("v1'")); !errors.Is(err, ErrRecordChanged) {
		t.Errorf("a second create: %v", err)
	}
	if err := s.SwapRecord("notify/x", []byte("v1"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := s.SwapRecord("notify/x", []byte("v1"), []byte("stale")); !errors.Is(err, ErrRecordChanged) {
		t.Errorf("a stale swap: %v", err)
	}
	if b, err := s.Record("notify/x"); string(b) != "v2" || err != nil {
		t.Errorf("the record holds %q %v, want v2", b, err)
	}
	// nil deletes, on the same terms.
	if err := s.SwapRecord("notify/x", []byte("v1"), nil); !errors.Is(err, ErrRecordChanged) {
		t.Errorf("a stale delete: %v", err)
	}
	if err := s.SwapRecord("notify/x", []byte("v2"), nil); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Record("notify/x"); b != nil || err != nil {
		t.Errorf("after a delete the record holds %q %v", b, err)
	}
}

func TestSwapRecordFileAndMemory(t *testing.T) {
	b, err := OpenBolt(t.TempDir(), quiet(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	testSwapRecord(t, b)
	testSwapRecord(t, NewMemory())
	testSwapRecord(t, sharedSwapper{b})
}

// sharedSwapper swaps with SwapSharedRecord.
type sharedSwapper struct{ RecordStore }

func (s sharedSwapper) SwapRecord(key string, old, val []byte) error {
	return s.SwapSharedRecord(key, old, val)
}
