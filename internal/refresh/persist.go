package refresh

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// persister writes what the refresh side changed to the state store:
// after every refresh, one transaction with the snapshots put since the
// last save, the papers whose data changed, a history point for every
// paper whose counts moved, the category look-ups and the sources'
// schedules. A save that fails (a full or read-only disk) is kept and
// retried with the next one; serving goes on from memory.
type persister struct {
	backend state.Backend
	store   *feed.Store
	log     *slog.Logger
	obs     Observer
	now     func() time.Time
	hooks   persistHooks

	mu      sync.Mutex
	pending state.Change
	saved   savedValues
	fault   writeFault
	gate    struct{ closed, pause bool } // closed: the backend is; pause: refreshing locally without the shared store
	written int                          // paper records written since takeWritten
}

// persistHooks are what the persister asks the rest of the service.
type persistHooks struct {
	// schedules returns the sources' schedules, by name, to save.
	schedules func() map[string][]byte
	// fetched returns when the upstream page behind an entry key was
	// fetched.
	fetched func(key string) time.Time
	// held reports whether a past listing or seed entry is still kept in
	// memory: the state holds no more of them than memory does.
	held func(key string) bool
	// unknownOf is when the arXiv API last did not know a paper.
	unknownOf func(id string) time.Time
}

// savedValues are the per-paper values as last saved, so a save writes
// only what changed.
type savedValues struct {
	changed   map[string]time.Time
	firstSeen map[string]time.Time
	last      map[string]state.Point
}

// writeFault is the last failed write, while the store has not worked
// since.
type writeFault struct {
	msg   string
	at    time.Time
	count int64
}

// takeWritten returns how many paper records the saves since the last
// call wrote.
func (p *persister) takeWritten() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.written
	p.written = 0
	return n
}

// paused skips saves while set; what changed meanwhile is written by
// resaveAll when the store is back.
func (p *persister) paused(b bool) {
	p.mu.Lock()
	p.gate.pause = b
	p.mu.Unlock()
}

// resaveAll writes everything the store holds, as if the state were
// empty.
func (p *persister) resaveAll() {
	p.mu.Lock()
	p.forgetSaved()
	p.mu.Unlock()
	_ = p.save()
}

// forgetSaved marks everything the store holds to be written again.
// Call with p.mu held.
func (p *persister) forgetSaved() {
	p.store.MarkAllDirty()
	p.saved.changed, p.saved.firstSeen, p.saved.last = map[string]time.Time{}, map[string]time.Time{}, map[string]state.Point{}
	p.reset()
}

// failure is the last failed write, if the store has not worked since.
func (p *persister) failure() (msg string, at time.Time, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault.msg, p.fault.at, p.fault.count
}

// close makes later saves do nothing (the backend is closed).
func (p *persister) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate.closed = true
}

// unknownSince is set by the service: when the arXiv API last did not
// know a paper, saved with what else is known of it.
func (p *persister) unknownSince(id string) time.Time {
	if p.hooks.unknownOf == nil {
		return time.Time{}
	}
	return p.hooks.unknownOf(id)
}

func newPersister(b state.Backend, store *feed.Store, log *slog.Logger, obs Observer, now func() time.Time) *persister {
	p := &persister{backend: b, store: store, log: log, obs: obs, now: now,
		saved: savedValues{changed: map[string]time.Time{}, firstSeen: map[string]time.Time{}, last: map[string]state.Point{}},
		hooks: persistHooks{schedules: func() map[string][]byte { return nil }, fetched: func(string) time.Time { return time.Time{} },
			held: func(string) bool { return true }}}
	p.reset()
	return p
}

func (p *persister) reset() {
	p.pending = state.Change{Put: map[string]state.Entry{}, Changed: map[string]time.Time{}, FirstSeen: map[string]time.Time{},
		Lookups: map[string]state.Lookup{}, Points: map[string]state.Point{}, Fetch: map[string][]byte{}}
}

// restored takes what was loaded, so only later changes are written.
func (p *persister) restored(s *state.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.saved.changed, p.saved.firstSeen, p.saved.last = s.Changed, s.FirstSeen, s.Last
}

// drop deletes entries from the state at the next save (memory let go
// of them).
func (p *persister) drop(keys ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending.Delete = append(p.pending.Delete, keys...)
}

// unknown records that the arXiv API did not know a paper at t.
func (p *persister) unknown(id string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.pending.Lookups[id]
	if !ok {
		l.Extra, _ = p.store.Extra(id) // what is known stays known
	}
	l.Unknown = t
	p.pending.Lookups[id] = l
}

// save writes everything changed since the last successful save.
func (p *persister) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate.closed || p.gate.pause {
		return nil
	}
	now := p.now()
	entries, extras := p.store.TakeDirty()
	for k, papers := range entries {
		p.pending.Put[k] = state.Entry{Papers: papers, Fetched: p.hooks.fetched(k)}
	}
	for id, x := range extras {
		p.pending.Lookups[id] = state.Lookup{Extra: x, Unknown: p.unknownSince(id)}
	}
	for _, pp := range p.store.View().Papers {
		if !p.saved.changed[pp.ID].Equal(pp.Changed) {
			p.pending.Changed[pp.ID] = pp.Changed
		}
		if _, ok := p.saved.firstSeen[pp.ID]; !ok {
			if _, ok := p.pending.FirstSeen[pp.ID]; !ok {
				p.pending.FirstSeen[pp.ID] = now
			}
		}
		// Every paper's values are recorded from first sight, so a venue,
		// a version or an artifact that appears later is dated (arXiv's
		// papers have no counts; their points change only with those).
		pt := state.PointOf(pp, now)
		last, ok := p.saved.last[pp.ID]
		if pend, pending := p.pending.Points[pp.ID]; pending {
			last, ok = pend, true
		}
		if !ok || !last.Same(pt) {
			p.pending.Points[pp.ID] = pt
		}
	}
	for name, v := range p.hooks.schedules() {
		p.pending.Fetch[name] = v
	}
	if p.pending.Empty() {
		return nil
	}
	p.pending.At = now
	start := time.Now()
	err := p.backend.Save(&p.pending)
	p.obs.StateWrite(time.Since(start), p.backend.Stats().Size, err)
	if err != nil && state.IsCorrupt(err) && p.freshStart(err) {
		p.mu.Unlock()
		err = p.save()
		p.mu.Lock()
		return err
	}
	if err != nil {
		if msg := err.Error(); msg != p.fault.msg {
			p.log.Error("state write failed; serving from memory, will retry", "error", err)
			p.fault.msg = msg
		}
		p.fault.at = now
		p.fault.count++
		return err
	}
	if p.fault.msg != "" {
		p.log.Info("state write works again")
		p.fault.msg = ""
	}
	for id, t := range p.pending.Changed {
		p.saved.changed[id] = t
	}
	for id, t := range p.pending.FirstSeen {
		p.saved.firstSeen[id] = t
	}
	for id, pt := range p.pending.Points {
		p.saved.last[id] = pt
	}
	p.written += max(len(p.pending.Points), len(p.pending.Changed), len(p.pending.FirstSeen))
	p.reset()
	return nil
}

// freshStart answers a damaged page met while writing: the store
// starts a fresh file (the damaged one is moved aside) and everything
// in memory is marked to be written to it. It reports whether it did;
// a shared store is never reset. Call with p.mu held.
func (p *persister) freshStart(cause error) bool {
	p.log.Error("state file damaged; starting a fresh one", "error", cause)
	if err := p.backend.Reset(); err != nil {
		p.log.Warn("state: could not start a fresh file", "error", err)
		return false
	}
	p.forgetSaved()
	return true
}

// prune applies retention: HF and arXiv days that left the window more
// than retention ago (older than the window's oldest day by that much),
// and past listings fetched longer than retention ago, go, with the
// papers only they held and their history.
func (p *persister) prune(retention time.Duration) {
	now := p.now()
	v := p.store.View()
	cutoff := func(days []time.Time) time.Time {
		oldest := feed.DayOf(now)
		if n := len(days); n > 0 {
			oldest = days[n-1]
		}
		return oldest.Add(-retention)
	}
	hfCut, axCut := cutoff(v.HFDays), cutoff(v.ArxivDays)
	keep := func(key string, fetched time.Time) bool {
		cut := hfCut
		switch {
		case strings.HasPrefix(key, feed.KeyArxiv):
			cut = axCut
			fallthrough
		case strings.HasPrefix(key, feed.KeyHF):
			d, err := time.Parse(time.DateOnly, key[strings.IndexByte(key, '/')+1:])
			return err != nil || !d.Before(cut)
		}
		// A past listing or a seed: fetched (a seed: last used) within
		// retention, and still held in memory.
		return now.Sub(fetched) < retention && p.hooks.held(key)
	}
	n, err := p.backend.Prune(now, keep)
	if err != nil && state.IsCorrupt(err) {
		p.mu.Lock()
		fresh := p.freshStart(err)
		p.mu.Unlock()
		if fresh {
			_ = p.save()
			return
		}
	}
	if err != nil {
		p.log.Warn("state retention pass failed; will retry", "error", err)
		return
	}
	if n > 0 {
		p.mu.Lock()
		view := p.store.View()
		for id := range p.saved.last {
			if view.ByID[id] == nil {
				delete(p.saved.last, id)
				delete(p.saved.changed, id)
				delete(p.saved.firstSeen, id)
			}
		}
		p.mu.Unlock()
		p.log.Info("state retention: dropped old papers", "papers", n)
	}
}

// firstSeenOf is the earliest time any of the papers was first held
// (zero when none is known yet). A paper not yet saved counts as seen
// now.
func (p *persister) firstSeenOf(ids []string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first time.Time
	for _, id := range ids {
		t, ok := p.saved.firstSeen[id]
		if !ok {
			t, ok = p.pending.FirstSeen[id]
		}
		if ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}
