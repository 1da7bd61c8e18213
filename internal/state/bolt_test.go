package state

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var t0 = time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func open(t testing.TB, dir string) *Bolt {
	t.Helper()
	b, err := OpenBolt(dir, quiet(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realPapers are papers from the real API recordings.
func realPapers(t testing.TB, n int) []feed.Paper {
	t.Helper()
	ps, err := recorded.Derived(filepath.Join("..", "..", "testdata"), n, (n+6)/7, day("2026-08-21"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]feed.Paper, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	papers := realPapers(t, 40)
	c := &Change{
		At:        t0,
		Put:       map[string]Entry{"hf/2026-08-21": {Papers: papers[:20], Fetched: t0}, "period/week/2026-W30": {Papers: papers[20:], Fetched: t0.Add(-time.Hour)}},
		Changed:   map[string]time.Time{papers[0].ID: t0.Add(-time.Minute)},
		FirstSeen: map[string]time.Time{papers[0].ID: t0.Add(-2 * time.Hour)},
		Lookups:   map[string]Lookup{papers[0].ID: {Extra: feed.Extra{Categories: []string{"cs.CL", "cs.AI"}}}, papers[1].ID: {Unknown: t0}},
		Points:    map[string]Point{papers[0].ID: {At: t0, Upvotes: 5, Comments: 1, Code: true}},
		Fetch:     map[string][]byte{"hf": []byte(`{"newest":"2026-08-21T00:00:00Z"}`)},
	}
	if err := b.Save(c); err != nil {
		t.Fatal(err)
	}
	c2 := &Change{At: t0.Add(time.Minute), Points: map[string]Point{papers[0].ID: {At: t0.Add(time.Minute), Upvotes: 9, Comments: 1, Code: true}}}
	if err := b.Save(c2); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = open(t, dir)
	defer b.Close()
	s, err := b.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Entries["hf/2026-08-21"]; !reflect.DeepEqual(got.Papers, papers[:20]) || !got.Fetched.Equal(t0) {
		t.Errorf("entry differs after a round trip")
	}
	if !s.Changed[papers[0].ID].Equal(t0.Add(-time.Minute)) || !s.FirstSeen[papers[0].ID].Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("paper times: %v %v", s.Changed[papers[0].ID], s.FirstSeen[papers[0].ID])
	}
	if c := s.Lookups[papers[0].ID]; !reflect.DeepEqual(c.Categories, []string{"cs.CL", "cs.AI"}) {
		t.Errorf("categories: %+v", c)
	}
	if c := s.Lookups[papers[1].ID]; !c.Unknown.Equal(t0) {
		t.Errorf("unknown look-up: %+v", c)
	}
	if p := s.Last[papers[0].ID]; p.Upvotes != 9 {
		t.Errorf("last point: %+v", p)
	}
	if string(s.Fetch["hf"]) != `{"newest":"2026-08-21T00:00:00Z"}` || !s.Written.Equal(t0.Add(time.Minute)) {
		t.Errorf("fetch state %q, written %v", s.Fetch["hf"], s.Written)
	}
	h, err := b.History(papers[0].ID)
	if err != nil || len(h) != 2 || h[0].Upvotes != 5 || h[1].Upvotes != 9 {
		t.Errorf("history: %+v %v", h, err)
	}
	// Load reads only the entries asked for.
	s, err = b.Load(func(k string) bool { return strings.HasPrefix(k, "period/") })
	if err != nil || len(s.Entries) != 1 {
		t.Errorf("filtered load: %d entries, %v", len(s.Entries), err)
	}
}

// An unreadable file is moved aside and a fresh state starts; nothing
// refuses to start.
func TestUnreadableFileIsMovedAside(t *testing.T) {
	valid := func(t *testing.T) []byte {
		dir := t.TempDir()
		b := open(t, dir)
		if err := b.Save(&Change{At: t0, Put: map[string]Entry{"hf/2026-08-21": {Papers: realPapers(t, 200)}}}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		raw, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	garbage := make([]byte, 64<<10)
	rand.New(rand.NewSource(1)).Read(garbage)
	for _, c := range []struct {
		name    string
		content func(t *testing.T) []byte
	}{
		{"zero length", func(*testing.T) []byte { return nil }},
		{"garbage", func(*testing.T) []byte { return garbage }},
		{"truncated header", func(t *testing.T) []byte { return valid(t)[:100] }},
		{"truncated half", func(t *testing.T) []byte { v := valid(t); return v[:len(v)/2] }},
		{"meta pages zeroed", func(t *testing.T) []byte { v := valid(t); clear(v[:8192]); return v }},
		{"pages scrambled", func(t *testing.T) []byte {
			v := valid(t)
			copy(v[8192:], garbage[:min(len(garbage), len(v)-8192)])
			return v
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, c.content(t), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			b, err := OpenBolt(dir, slog.New(slog.NewTextHandler(&logs, nil)), fixedNow)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer b.Close()
			s, err := b.Load(nil)
			if err != nil {
				// Content bbolt's check did not catch: the service resets.
				if rerr := b.Reset(); rerr != nil {
					t.Fatalf("load %v, reset %v", err, rerr)
				}
				if s, err = b.Load(nil); err != nil {
					t.Fatalf("load after reset: %v", err)
				}
			}
			if len(s.Entries) != 0 {
				t.Errorf("fresh state holds %d entries", len(s.Entries))
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Errorf("files moved aside: %v", aside)
			}
			if err := b.Save(&Change{At: t0, Points: map[string]Point{"2608.00001": {At: t0, Upvotes: 1}}}); err != nil {
				t.Errorf("fresh state does not take writes: %v", err)
			}
		})
	}
}

func TestNewerFormatIsRefused(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	if err := b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte("format"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	_, err := OpenBolt(dir, quiet(), fixedNow)
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "format 99") {
		t.Fatalf("err = %v, want ErrNewerFormat naming the version", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, FileName)); serr != nil {
		t.Errorf("the newer state was touched: %v", serr)
	}
}

// A directory that cannot hold the file, with no state to read, is an
// error the operator must act on (ErrUnusableDir).
func TestUnusableDirectoryIsAnError(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(blocker, "state"), quiet(), fixedNow); !errors.Is(err, ErrUnusableDir) {
		t.Fatalf("open under a file: %v, want ErrUnusableDir", err)
	}
}

// A state file opened for reading only serves what it holds; writes
// fail, are reported, and land once the file can be written (tried at
// most once a minute).
func TestReadOnlyFileReopensForWriting(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	papers := realPapers(t, 10)
	if err := b.Save(&Change{At: t0, Put: map[string]Entry{"hf/2026-08-21": {Papers: papers, Fetched: t0}},
		Points: map[string]Point{papers[0].ID: {At: t0, Upvotes: 2}}, Changed: map[string]time.Time{papers[0].ID: t0}}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	now := t0
	clock := func() time.Time { return now }
	ro, err := openBoltReadOnly(filepath.Join(dir, FileName), quiet(), clock)
	if err != nil {
		t.Fatal(err)
	}
	r := &reopening{dir: dir, log: quiet(), now: clock, Memory: NewMemory(), tried: now, ro: ro}
	r.fail(errors.New("read-only file system"))
	if s, err := r.Load(nil); err != nil || len(s.Entries["hf/2026-08-21"].Papers) != 10 {
		t.Fatalf("read-only load: %v", err)
	}
	c := &Change{At: now, Points: map[string]Point{papers[0].ID: {At: now.Add(time.Minute), Upvotes: 5}}}
	if err := r.Save(c); err == nil || !strings.Contains(err.Error(), "writes are off") {
		t.Fatalf("a save while read-only: %v", err)
	}
	if h, _ := r.History(papers[0].ID); len(h) != 2 {
		t.Errorf("history while read-only: %v (the file's point and the one kept in memory)", h)
	}
	if st := r.Stats(); !strings.Contains(st.Kind, "read-only") || st.LastError == "" || !st.LastWrite.IsZero() || st.Papers == 0 {
		t.Errorf("stats while read-only: %+v", st)
	}
	now = now.Add(2 * reopenEvery)
	if err := r.Save(c); err != nil {
		t.Fatalf("save once writable: %v", err)
	}
	if st := r.Stats(); st.Kind != "bolt" || st.LastError != "" {
		t.Errorf("stats after reopening: %+v", st)
	}
	if h, _ := r.History(papers[0].ID); len(h) != 2 {
		t.Errorf("history after reopening: %v", h)
	}
	r.Close()
}

// Retention drops old entries, the papers only they held and their
// history; history older than a week keeps one point a day.
func TestPruneAndThin(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	defer func() { b.Close() }()
	papers := realPapers(t, 30)
	old, kept := papers[:10], papers[10:]
	c := &Change{At: t0, Put: map[string]Entry{
		"hf/2026-06-01": {Papers: old}, "hf/2026-08-21": {Papers: kept},
	}, Points: map[string]Point{}, Changed: map[string]time.Time{}}
	for _, p := range papers {
		c.Points[p.ID] = Point{At: t0.Add(-20 * 24 * time.Hour), Upvotes: 1}
		c.Changed[p.ID] = t0
	}
	if err := b.Save(c); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ { // a point every 6 hours over a week and a half, for one paper
		at := t0.Add(-20*24*time.Hour + time.Duration(i)*6*time.Hour)
		if err := b.Save(&Change{At: at, Points: map[string]Point{kept[0].ID: {At: at, Upvotes: 1 + i}}}); err != nil {
			t.Fatal(err)
		}
	}
	// The count /status shows follows saves (a paper saved again is not
	// counted twice), survives a reopen, and follows retention.
	if err := b.Save(&Change{At: t0, Changed: map[string]time.Time{papers[0].ID: t0.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if got := b.Stats().Papers; got != len(papers) {
		t.Errorf("papers after saves: %d, want %d", got, len(papers))
	}
	b.Close()
	b = open(t, dir)
	if got := b.Stats().Papers; got != len(papers) {
		t.Errorf("papers after reopening: %d, want %d", got, len(papers))
	}
	n, err := b.Prune(t0, func(key string, _ time.Time) bool { return key != "hf/2026-06-01" })
	if err != nil || n != len(old) {
		t.Fatalf("pruned %d papers (%v), want %d", n, err, len(old))
	}
	if got := b.Stats().Papers; got != len(kept) {
		t.Errorf("papers after retention: %d, want %d", got, len(kept))
	}
	s, err := b.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Entries["hf/2026-06-01"]; ok || len(s.Entries) != 1 {
		t.Errorf("entries after prune: %d", len(s.Entries))
	}
	if _, ok := s.Changed[old[0].ID]; ok {
		t.Error("a dropped paper's metadata stayed")
	}
	if h, _ := b.History(old[0].ID); len(h) != 0 {
		t.Errorf("a dropped paper's history stayed: %v", h)
	}
	h, err := b.History(kept[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	for _, p := range h {
		if p.At.Before(t0.Add(-thinAfter)) {
			perDay[p.At.Format(time.DateOnly)]++
		}
	}
	for d, n := range perDay {
		if n != 1 {
			t.Errorf("%s keeps %d points, want 1", d, n)
		}
	}
	if last := h[len(h)-1]; last.Upvotes != 31 {
		t.Errorf("newest point lost: %+v", last)
	}
}

func TestThin(t *testing.T) {
	at := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return x
	}
	h := []Point{
		{At: at("2026-08-01T01:00:00Z"), Upvotes: 1}, {At: at("2026-08-01T05:00:00Z"), Upvotes: 2},
		{At: at("2026-08-02T01:00:00Z"), Upvotes: 3}, {At: at("2026-08-10T01:00:00Z"), Upvotes: 4},
		{At: at("2026-08-10T02:00:00Z"), Upvotes: 5},
	}
	got := Thin(h, at("2026-08-05T00:00:00Z"))
	var ups []int
	for _, p := range got {
		ups = append(ups, p.Upvotes)
	}
	if !reflect.DeepEqual(ups, []int{2, 3, 4, 5}) {
		t.Errorf("Thin kept %v", ups)
	}
}

// A write after a refresh of ~5,000 papers (the whole window, as after
// a restart with an empty state), and the load at start.
func BenchmarkSaveRefresh5k(b *testing.B) {
	c := refresh5k(b)
	bo := open(b, b.TempDir())
	defer bo.Close()
	for b.Loop() {
		c.At = c.At.Add(time.Second)
		if err := bo.Save(c); err != nil {
			b.Fatal(err)
		}
	}
}

// refresh5k is what a refresh of ~5,000 papers writes when everything
// changed: 7 arXiv days, every paper's change time and a point each.
func refresh5k(b *testing.B) *Change {
	papers := realPapers(b, 5000)
	c := &Change{At: t0, Put: map[string]Entry{}, Changed: map[string]time.Time{}, Points: map[string]Point{}}
	for d := range 7 {
		key := "arxiv/" + day("2026-08-21").AddDate(0, 0, -d).Format(time.DateOnly)
		c.Put[key] = Entry{Papers: papers[d*700 : min(len(papers), (d+1)*700)]}
	}
	for _, p := range papers {
		c.Changed[p.ID] = t0
		c.Points[p.ID] = Point{At: t0, Upvotes: p.Upvotes}
	}
	return c
}

func BenchmarkLoad5k(b *testing.B) {
	c := refresh5k(b)
	dir := b.TempDir()
	bo := open(b, dir)
	if err := bo.Save(c); err != nil {
		b.Fatal(err)
	}
	bo.Close()
	for b.Loop() {
		bo := open(b, dir)
		if _, err := bo.Load(nil); err != nil {
			b.Fatal(err)
		}
		bo.Close()
	}
}

// Old-style arXiv IDs hold a slash, and time bytes may too: each
// paper's history stays its own.
func TestHistoryKeysWithSlashes(t *testing.T) {
	b := open(t, t.TempDir())
	defer b.Close()
	slash := time.Unix(0, 0x2f2f2f2f2f2f2f2f).UTC() // every byte of the time is '/'
	for _, c := range []struct {
		id string
		at time.Time
	}{{"hep-th/9901001", slash}, {"hep-th/9901001", t0}, {"hep-th/9901001/x", t0}, {"hep", t0}} {
		if err := b.Save(&Change{At: c.at, Points: map[string]Point{c.id: {At: c.at, Upvotes: len(c.id)}}}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := b.History("hep-th/9901001")
	if err != nil || len(h) != 2 || h[0].Upvotes != 14 || h[1].Upvotes != 14 {
		t.Errorf("history: %+v %v", h, err)
	}
	if _, err := b.Prune(t0, func(string, time.Time) bool { return true }); err != nil {
		t.Errorf("prune over slashed keys: %v", err)
	}
}

// The size of a month: 30 days of Hugging Face (50 papers a day) and
// the default four arXiv categories (about 1,000 papers a weekday), with
// hourly history for three days per HF paper. The README quotes the
// figure this logs; the test fails if it grows past 200 MB.
func TestMonthSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a month of state")
	}
	dir := t.TempDir()
	b := open(t, dir)
	ps, err := recorded.All(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	ptrs := make([]*feed.Paper, len(ps))
	for i := range ps {
		ptrs[i] = &ps[i]
	}
	if err := FillMonth(b, ptrs, day("2026-08-21"), 30, 50, 1000); err != nil {
		t.Fatal(err)
	}
	st := b.Stats()
	b.Close()
	t.Logf("a month of state: %d papers, %.1f MB", st.Papers, float64(st.Size)/(1<<20))
	if st.Size > 200<<20 {
		t.Errorf("a month of state takes %d bytes", st.Size)
	}
	start := time.Now()
	b = open(t, dir)
	defer b.Close()
	keys, err := b.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(func(k string) bool { return slices.Contains(keys[len(keys)-14:], k) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("open and read the newest 14 entries of a month: %s", time.Since(start).Round(time.Millisecond))
}

// Two processes on one directory: the second is refused, clearly, and
// the file is left alone.
func TestLockedFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	defer b.Close()
	_, err := Open(dir, quiet(), fixedNow)
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v", err)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*")); len(aside) > 0 {
		t.Errorf("a locked file was moved aside: %v", aside)
	}
}

// After a reset the papers count is the fresh file's: a resave of what
// memory holds does not count its papers twice.
func TestResetCountsTheFreshFile(t *testing.T) {
	b := open(t, t.TempDir())
	defer b.Close()
	papers := realPapers(t, 30)
	meta := func() map[string]time.Time {
		m := map[string]time.Time{}
		for _, p := range papers {
			m[p.ID] = t0
		}
		return m
	}
	if err := b.Save(&Change{At: t0, Changed: meta()}); err != nil {
		t.Fatal(err)
	}
	if n := b.Stats().Papers; n != 30 {
		t.Fatalf("papers %d", n)
	}
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := b.Stats().Papers; n != 0 {
		t.Errorf("papers after reset %d, want 0", n)
	}
	if err := b.Save(&Change{At: t0, Changed: meta()}); err != nil {
		t.Fatal(err)
	}
	if n := b.Stats().Papers; n != 30 {
		t.Errorf("papers after resaving %d, want 30", n)
	}
}
