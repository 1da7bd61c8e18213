package state

import (
	"bytes"
	"os"
	"testing"
	"unsafe"
)

// dropPages acts only on whole pages inside its mapping: a slice of the
// Go heap outside it is never touched.
func TestDropPagesLeavesTheHeapAlone(t *testing.T) {
	heap := bytes.Repeat([]byte("paperfeed"), 4*os.Getpagesize())
	want := bytes.Clone(heap)
	other := make([]byte, 8*os.Getpagesize())
	m := mapping{base: uintptr(unsafe.Pointer(&other[0])), size: uintptr(len(other))}
	m.dropPages(heap)
	mapping{}.dropPages(heap)
	if !bytes.Equal(heap, want) {
		t.Fatal("dropPages changed memory outside its mapping")
	}
}

// A state with large records reads the same after its pages were
// dropped during the first read.
func TestLoadReadsTheSameAfterDroppingPages(t *testing.T) {
	b := open(t, t.TempDir())
	papers := realPapers(t, 2000)
	if err := b.Save(&Change{At: t0, Put: map[string]Entry{"hf/2026-08-21": {Papers: papers}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := b.Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Entries["hf/2026-08-21"].Papers
		if len(got) != len(papers) || got[1999].Abstract != papers[1999].Abstract || got[0].Title != papers[0].Title {
			t.Fatalf("read back %d papers", len(got))
		}
	}
}
