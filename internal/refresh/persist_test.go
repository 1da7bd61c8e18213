package refresh

import (
	"fmt"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

func paper(id string, day time.Time, up int) feed.Paper {
	return feed.Paper{ID: id, Title: "Paper " + id, OnHF: true, ListedOn: day, Upvotes: up}
}

// Each save writes the snapshots put since the last, the papers whose
// data changed, and a history point only where counts moved; retention
// drops days that left the window long ago, with their papers' history,
// and keeps the window.
func TestPersistHistoryAndRetention(t *testing.T) {
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b, err := state.OpenBolt(t.TempDir(), discardLog(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store := feed.NewStore(2, 2, clock)
	p := newPersister(b, store, discardLog(), Nop{}, clock)
	d1, d2, d3 := now.AddDate(0, 0, -40).Truncate(24*time.Hour), now.AddDate(0, 0, -1).Truncate(24*time.Hour), now.Truncate(24*time.Hour)

	store.PutHFDay(d1, []feed.Paper{paper("2607.00001", d1, 10)})
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	store.PutHFDay(d2, []feed.Paper{paper("2608.00002", d2, 3)})
	store.PutHFDay(d3, []feed.Paper{paper("2608.00003", d3, 1)}) // the window is now d2, d3: d1 left it
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	store.PutHFDay(d3, []feed.Paper{paper("2608.00003", d3, 7)}) // counts moved
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	store.PutHFDay(d2, []feed.Paper{paper("2608.00002", d2, 3)}) // nothing moved
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	h, err := b.History("2608.00003")
	if err != nil || len(h) != 2 || h[0].Upvotes != 1 || h[1].Upvotes != 7 {
		t.Errorf("history of a rising paper: %+v %v", h, err)
	}
	if h, _ := b.History("2608.00002"); len(h) != 1 {
		t.Errorf("a paper whose counts did not move got %d points", len(h))
	}
	// d1 left the window 39 days before the oldest day held: past a
	// 30-day retention it goes; the window stays.
	p.prune(30 * 24 * time.Hour)
	keys, err := b.Keys()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hf/" + d2.Format(time.DateOnly), "hf/" + d3.Format(time.DateOnly)}
	if len(keys) != 2 || keys[0] != want[0] || keys[1] != want[1] {
		t.Errorf("entries after retention: %v, want %v", keys, want)
	}
	if h, _ := b.History("2607.00001"); len(h) != 0 {
		t.Errorf("history of a dropped paper stayed: %+v", h)
	}
	// A longer retention keeps it.
	b2, err := state.OpenBolt(t.TempDir(), discardLog(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.Save(&state.Change{At: now, Put: map[string]state.Entry{"hf/" + d1.Format(time.DateOnly): {Papers: []feed.Paper{paper("2607.00001", d1, 10)}}}}); err != nil {
		t.Fatal(err)
	}
	p2 := newPersister(b2, store, discardLog(), Nop{}, clock)
	p2.prune(60 * 24 * time.Hour)
	if keys, _ := b2.Keys(); len(keys) != 1 {
		t.Errorf("60-day retention dropped a day 39 days out: %v", keys)
	}
}

// A damaged file met while writing: the store starts afresh and the
// next write carries everything held in memory.
func TestPersistResetsADamagedStore(t *testing.T) {
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := feed.NewStore(7, 7, clock)
	b := &damagedOnce{Memory: state.NewMemory(), left: 1}
	p := newPersister(b, store, discardLog(), Nop{}, clock)
	d := now.Truncate(24 * time.Hour)
	store.PutHFDay(d, []feed.Paper{paper("2608.00001", d, 1)})
	store.PutHFDay(d.AddDate(0, 0, -1), []feed.Paper{paper("2608.00002", d.AddDate(0, 0, -1), 2)})
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	store.PutHFDay(d, []feed.Paper{paper("2608.00001", d, 5)}) // one day changes; the file is found damaged
	if err := p.save(); err != nil {
		t.Fatalf("save after the reset: %v", err)
	}
	if b.resets != 1 || len(b.last.Put) != 2 || len(b.last.Changed) != 2 {
		t.Errorf("after the reset: %d resets, the write carried %d entries and %d papers, want 1, 2, 2", b.resets, len(b.last.Put), len(b.last.Changed))
	}
}

type damagedOnce struct {
	*state.Memory
	saves, left, resets int
	last                state.Change
}

func (d *damagedOnce) Save(c *state.Change) error {
	d.saves++
	if d.saves == 2 && d.left > 0 {
		d.left--
		return fmt.Errorf("write: %w", state.ErrCorrupt)
	}
	d.last = *c
	return d.Memory.Save(c)
}

func (d *damagedOnce) Reset() error { d.resets++; return d.Memory.Reset() }

// A save that writes many papers' records reopens a file-backed store
// (what the write read through the mapping is let go); small saves and
// failed ones do not.
func TestLargeSaveReleasesTheMapping(t *testing.T) {
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := feed.NewStore(7, 7, clock)
	b := &releaseCounter{Memory: state.NewMemory()}
	s := &keeper{backend: b, log: discardLog(), persist: newPersister(b, store, discardLog(), Nop{}, clock)}
	d := now.Truncate(24 * time.Hour)
	day := func(n, up int) []feed.Paper {
		ps := make([]feed.Paper, n)
		for i := range ps {
			ps[i] = paper(fmt.Sprintf("2608.%05d", i+1), d, up)
		}
		return ps
	}
	steps := []struct {
		papers, up int
		fail       bool
		want       int
	}{
		{papers: 10, up: 1, want: 0},                                  // few records
		{papers: releaseAfterWrites + 50, up: 1, fail: true, want: 0}, // the write failed
		{papers: releaseAfterWrites + 50, up: 1, want: 1},             // the retry wrote them all
		{papers: releaseAfterWrites + 50, up: 1, want: 1},             // nothing moved
		{papers: releaseAfterWrites + 50, up: 2, want: 2},             // every count moved
	}
	for i, st := range steps {
		store.PutHFDay(d, day(st.papers, st.up))
		b.fail = st.fail
		s.save()
		if b.released != st.want {
			t.Errorf("step %d: released %d times, want %d", i, b.released, st.want)
		}
	}
}

type releaseCounter struct {
	*state.Memory
	fail     bool
	released int
}

func (r *releaseCounter) Save(c *state.Change) error {
	if r.fail {
		return fmt.Errorf("write: disk full")
	}
	return r.Memory.Save(c)
}

func (r *releaseCounter) ReleaseMemory() error { r.released++; return nil }
