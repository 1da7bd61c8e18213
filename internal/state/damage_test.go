package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

// A state file damaged in any way (cut short at any length, bytes
// flipped anywhere) never crashes the process that opens it: bbolt maps
// the file, and a fault on a mapped page is a signal recover cannot
// catch unless it was made a panic (see boltcheck.go). Each case runs in
// a child process, so a crash is reported as that case's failure.

// childEnv names the damaged file a child process opens.
const childEnv = "PAPERFEED_STATE_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(openDamaged(dir))
	}
	os.Exit(m.Run())
}

// openDamaged does what a start and the first minutes do with a state
// file: open, list, load (a load that finds damage resets, as the
// service does), write, read history, prune. It prints what it read.
func openDamaged(dir string) int {
	b, err := Open(dir, quiet(), fixedNow)
	if err != nil {
		fmt.Println("open:", err)
		return 3
	}
	defer b.Close()
	entries, damaged := 0, 0
	if _, err := b.Keys(); err == nil {
		snap, err := b.Load(nil)
		if err == nil {
			entries, damaged = len(snap.Entries), len(snap.Damaged)
			for k, e := range snap.Entries {
				for _, p := range e.Papers {
					if p.ID == "" {
						fmt.Println("entry", k, "holds a paper without ID")
						return 4
					}
				}
			}
		}
		if err != nil || damaged > 0 {
			if err := b.Reset(); err != nil {
				fmt.Println("reset:", err)
				return 5
			}
		}
	} else if err := b.Reset(); err != nil {
		fmt.Println("reset:", err)
		return 5
	}
	c := &Change{At: t0, Points: map[string]Point{"2608.00001": {At: t0, Upvotes: 1}}, Put: map[string]Entry{
		"hf/2026-08-22": {Papers: []feed.Paper{{ID: "2608.00001", Title: "after"}}, Fetched: t0}}}
	if err := b.Save(c); err != nil {
		// A damaged page met while writing: the service resets and writes again.
		if !IsCorrupt(err) {
			fmt.Println("save:", err)
			return 6
		}
		if err := b.Reset(); err != nil {
			fmt.Println("reset after save:", err)
			return 5
		}
		if err := b.Save(c); err != nil {
			fmt.Println("save after reset:", err)
			return 6
		}
	}
	if _, err := b.History("2608.00001"); err != nil && !IsCorrupt(err) {
		fmt.Println("history:", err)
		return 7
	}
	if _, err := b.Prune(t0, func(string, time.Time) bool { return true }); err != nil && !IsCorrupt(err) {
		fmt.Println("prune:", err)
		return 8
	}
	fmt.Printf("ok entries=%d damaged=%d\n", entries, damaged)
	return 0
}

var (
	realFileOnce sync.Once
	realFile     []byte
	realFileErr  error
)

// realStateFile is a real state file of a few megabytes: six listing
// days of recorded papers with hourly history, as the service writes it.
func realStateFile(t *testing.T) []byte {
	t.Helper()
	realFileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paperfeed-state")
		if err != nil {
			realFileErr = err
			return
		}
		defer os.RemoveAll(dir)
		b, err := OpenBolt(dir, quiet(), fixedNow)
		if err != nil {
			realFileErr = err
			return
		}
		ps, err := recorded.All(filepath.Join("..", "..", "testdata"))
		if err != nil {
			realFileErr = err
			return
		}
		ptrs := make([]*feed.Paper, len(ps))
		for i := range ps {
			ptrs[i] = &ps[i]
		}
		if realFileErr = FillMonth(b, ptrs, day("2026-08-21"), 6, 40, 300); realFileErr != nil {
			return
		}
		b.Close()
		realFile, realFileErr = os.ReadFile(filepath.Join(dir, FileName))
	})
	if realFileErr != nil {
		t.Fatal(realFileErr)
	}
	return realFile
}

// runDamaged writes content as a state file and opens it in a child
// process; it returns the child's output and fails the test when the
// child crashed or failed.
func runDamaged(t *testing.T, content []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || !strings.HasPrefix(out.String(), "ok ") {
		first := out.String()
		if i := strings.Index(first, "\n\n"); i > 0 && i < len(first) {
			first = first[:i] // the fault and the first goroutine's stack
		}
		t.Fatalf("the state file crashed or stopped the process (%v):\n%.1500s", err, first)
	}
	return strings.TrimSpace(out.String())
}

// dataEnd is where the pages a file's meta counts end.
func dataEnd(t *testing.T, raw []byte) int {
	m0, ok0 := parseBoltMeta(raw)
	m1, ok1 := parseBoltMeta(raw[4096:])
	if !ok0 || !ok1 {
		t.Fatal("the real file's meta pages do not parse")
	}
	m := m0
	if m1.txid > m0.txid {
		m = m1
	}
	return int(m.highMark) * int(m.pageSize)
}

// pageOffsets finds the offsets of the file's branch and leaf pages (by
// the flags in each page header).
func pageOffsets(raw []byte, flag uint16) []int {
	var out []int
	for off := 2 * 4096; off+16 <= len(raw); off += 4096 {
		if binary.NativeEndian.Uint16(raw[off+8:]) == flag {
			out = append(out, off)
		}
	}
	return out
}

func TestTruncatedStateFileNeverCrashes(t *testing.T) {
	raw := realStateFile(t)
	branches, leaves := pageOffsets(raw, 0x01), pageOffsets(raw, 0x02)
	if len(branches) == 0 || len(leaves) == 0 {
		t.Fatalf("the real file has %d branch and %d leaf pages", len(branches), len(leaves))
	}
	sizes := map[string]int{
		"inside the first meta page":  100,
		"inside the second meta page": 4096 + 100,
		"after the meta pages":        8192,
		"a quarter":                   len(raw) / 4,
		"a third":                     len(raw) / 3,
		"half":                        len(raw) / 2,
		"three quarters":              len(raw) * 3 / 4,
		"mid-branch (first)":          branches[0] + 2000,
		"mid-branch (last)":           branches[len(branches)-1] + 2000,
		"mid-leaf":                    leaves[len(leaves)/2] + 1000,
		"one byte short of its pages": dataEnd(t, raw) - 1,
	}
	for name, n := range sizes {
		t.Run(name, func(t *testing.T) {
			out := runDamaged(t, raw[:n])
			if !strings.Contains(out, "entries=0") {
				t.Errorf("a file cut at %d of %d bytes was read as %q; it should have been moved aside", n, len(raw), out)
			}
		})
	}
	// bbolt grows its file ahead of the data: a cut past the pages the
	// meta counts loses nothing, and everything is read.
	if out := runDamaged(t, raw[:dataEnd(t, raw)]); !strings.Contains(out, "entries=10 damaged=0") {
		t.Errorf("a file cut after its last page was read as %q", out)
	}
}

// Random truncations and byte flips of a real file: the process always
// starts and keeps working; a flip inside one record leaves the others
// readable.
func TestDamagedStateFileProperty(t *testing.T) {
	raw := realStateFile(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	seed := rng.Int63()
	if s, err := strconv.ParseInt(os.Getenv("PAPERFEED_DAMAGE_SEED"), 10, 64); err == nil {
		seed = s // to repeat a run
	}
	rng = rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	cases := 24
	if testing.Short() {
		cases = 6
	}
	read := 0
	for i := range cases {
		content := bytes.Clone(raw)
		what := ""
		switch i % 3 {
		case 0:
			n := rng.Intn(len(raw))
			content, what = content[:n], fmt.Sprintf("cut at %d", n)
		case 1:
			for range 1 + rng.Intn(8) {
				off := rng.Intn(len(content))
				content[off] ^= byte(1 + rng.Intn(255))
				what += fmt.Sprintf(" flip@%d", off)
			}
		default: // one flip inside a leaf page's values
			leaves := pageOffsets(raw, 0x02)
			off := leaves[rng.Intn(len(leaves))] + 64 + rng.Intn(4096-64)
			content[off] ^= 0xff
			what = fmt.Sprintf("leaf flip@%d", off)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out := runDamaged(t, content)
			if !strings.Contains(out, "entries=0") {
				read++
			}
			t.Logf("%s: %s", what, out)
		})
	}
	t.Logf("%d of %d damaged files kept readable records", read, cases)
}
