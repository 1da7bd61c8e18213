package state

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"paperfeed/feed"
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

// mappedRSS is how much of the state file this process holds resident
// (its mapping's Rss in /proc/self/smaps), in bytes.
func mappedRSS(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	rss, in := 0, false
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		if len(fields) >= 6 && strings.Contains(fields[0], "-") {
			in = fields[len(fields)-1] == path
			continue
		}
		if in && len(fields) >= 2 && fields[0] == "Rss:" {
			n, _ := strconv.Atoi(fields[1])
			rss += n << 10
		}
	}
	return rss
}

// A start that reads a large state (here 12,000 papers in six entries,
// about 40 MB of file) holds little of the file resident once read, and
// while reading it drops the pages read every dropEvery bytes. (Before
// the anchor of the advice was taken inside the mapping, both were most
// of the file: the meta bucket's value used then is not in it.)
func TestLoadLeavesTheFileMostlyUnmapped(t *testing.T) {
	dir := t.TempDir()
	papers := realPapers(t, 2000)
	writeDays(t, dir, 6, papers)
	b := open(t, dir) // a start: nothing of the file read by this process yet
	defer b.Close()
	path := filepath.Join(dir, "paperfeed.db")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	s, err := b.Load(func(key string) bool {
		peak = max(peak, mappedRSS(t, path))
		return true
	})
	if err != nil || len(s.Entries) != 6 {
		t.Fatalf("load: %v, %d entries", err, len(s.Entries))
	}
	after := mappedRSS(t, path)
	t.Logf("state file %d MB; resident while reading at most %d MB, after %d KB", fi.Size()>>20, peak>>20, after>>10)
	if after > dropEvery {
		t.Errorf("%d KB of the state file resident after the start read it", after>>10)
	}
	if peak > 3*dropEvery {
		t.Errorf("%d MB of the state file resident while reading, want at most about %d MB", peak>>20, 3*dropEvery>>20)
	}
	// A write (a refresh's) reads pages on its way; it lets them go.
	for d := range 3 {
		if err := b.Save(&Change{At: t0, Put: map[string]Entry{fmt.Sprintf("hf/2026-08-%02d", 10+d): {Papers: papers[:1500]}}}); err != nil {
			t.Fatal(err)
		}
	}
	if w := mappedRSS(t, path); w > dropEvery {
		t.Errorf("%d KB of the state file resident after three writes", w>>10)
	}
}

// A start reads the window's entries out of a month of them: the ones
// it does not want are never mapped, however the page cache holds the
// file (a fault maps a large folio whole, so visiting an entry's key
// alone mapped megabytes of its value).
func TestLoadMapsNotTheEntriesItSkips(t *testing.T) {
	dir := t.TempDir()
	writeDays(t, dir, 12, realPapers(t, 1000))
	path := filepath.Join(dir, "paperfeed.db")
	b := open(t, dir)
	defer b.Close()
	peak := 0
	s, err := b.Load(func(key string) bool {
		peak = max(peak, mappedRSS(t, path))
		return key == "hf/2026-08-21"
	})
	if err != nil || len(s.Entries) != 1 {
		t.Fatalf("load: %v, %d entries", err, len(s.Entries))
	}
	fi, _ := os.Stat(path)
	t.Logf("state file %d MB; resident while choosing and reading 1 of 12 entries at most %d KB", fi.Size()>>20, peak>>10)
	if peak > 3*dropEvery {
		t.Errorf("%d KB of the state file resident while reading one entry of twelve, want at most about %d MB (17.8 MB when every entry's key was visited)", peak>>10, 3*dropEvery>>20)
	}
}

// writeDays writes a state file in dir holding days HF entries of the
// papers, from 2026-08-10 on, and closes it.
func writeDays(t *testing.T, dir string, days int, papers []feed.Paper) {
	t.Helper()
	b := open(t, dir)
	defer b.Close()
	for d := range days {
		if err := b.Save(&Change{At: t0, Put: map[string]Entry{fmt.Sprintf("hf/2026-08-%02d", 10+d): {Papers: papers}}}); err != nil {
			t.Fatal(err)
		}
	}
}
