package feed

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrickmn/go-cache"
)

// Store holds the upstream snapshots in memory (a go-cache keyed by
// source and day) and publishes an immutable merged View after every
// change. Readers take the current View without locking; writers are
// serialised.
//
// Rules:
//   - HF days and arXiv announcement days are kept for a rolling window
//     of the newest N days each; older days are evicted when newer ones
//     arrive.
//   - Putting a day merges with what was known for it: a refetch that
//     lists fewer papers (HF publishes some days in parts) never drops a
//     paper, and counts never go down.
//   - A View's Version changes only when some paper's data changed, so
//     everything derived from a View (rendered bytes, ETags) stays valid
//     until then.
//   - Every snapshot put is marked dirty until TakeDirty hands it to the
//     state store; Restore fills the store from a saved state, keeping
//     each paper's change time, so a restart changes no validator.
type Store struct {
	mu        sync.Mutex
	c         *cache.Cache
	hfDays    int
	arxivDays int
	now       func() time.Time
	view      atomic.Pointer[View]
	version   uint64
	dirty     map[string]bool      // keys put since the last TakeDirty
	seed      map[string]time.Time // change times restored, used by the next rebuild
}

// View is an immutable, merged picture of every source at one moment.
type View struct {
	Version uint64
	// Papers are all papers, merged by ID, sorted newest day first, then
	// by upvotes (descending), then by ID.
	Papers []*Paper
	ByID   map[string]*Paper
	// HFDays and ArxivDays are the days held, newest first.
	HFDays    []time.Time
	ArxivDays []time.Time
	// Changed is when any paper last changed (zero when empty).
	Changed time.Time
}

// NewStore keeps hfDays HF listing days and arxivDays arXiv announcement
// days. now may be nil (time.Now).
func NewStore(hfDays, arxivDays int, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{
		c:         cache.New(cache.NoExpiration, 10*time.Minute),
		hfDays:    max(1, hfDays),
		arxivDays: max(1, arxivDays),
		now:       now,
		dirty:     map[string]bool{},
	}
	s.view.Store(&View{ByID: map[string]*Paper{}})
	return s
}

// View returns the current merged view. It never returns nil.
func (s *Store) View() *View { return s.view.Load() }

const (
	hfPrefix     = "hf/"
	arxivPrefix  = "arxiv/"
	extraPrefix  = "extra/"
	periodPrefix = "period/"
)

// PutHFDay merges one HF listing day into the store. It reports whether
// any paper changed.
func (s *Store) PutHFDay(day time.Time, papers []Paper) bool {
	return s.putDay(hfPrefix, s.hfDays, day, papers)
}

// PutArxivDay merges one arXiv announcement day into the store.
func (s *Store) PutArxivDay(day time.Time, papers []Paper) bool {
	return s.putDay(arxivPrefix, s.arxivDays, day, papers)
}

func (s *Store) putDay(prefix string, keep int, day time.Time, papers []Paper) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := prefix + day.Format(time.DateOnly)
	var merged []Paper
	if old, ok := s.c.Get(key); ok {
		merged = mergeLists(old.([]Paper), papers)
	} else {
		merged = mergeLists(nil, papers)
	}
	s.c.Set(key, merged, cache.NoExpiration)
	s.dirty[key] = true
	s.evict(prefix, keep)
	return s.rebuild()
}

// evict keeps the newest keep days of one source.
func (s *Store) evict(prefix string, keep int) {
	days := s.keys(prefix)
	if len(days) <= keep {
		return
	}
	slices.Sort(days)
	for _, k := range days[:len(days)-keep] {
		s.c.Delete(k)
	}
}

func (s *Store) keys(prefix string) []string {
	var out []string
	for k := range s.c.Items() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// PutExtras lays what look-ups learned over papers (see Extra): each
// merges with what was known of the paper, and is kept for the
// process's life.
func (s *Store) PutExtras(extras map[string]Extra) bool {
	if len(extras) == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range extras {
		if old, ok := s.c.Get(extraPrefix + id); ok {
			e = old.(Extra).merge(e)
		} else {
			e = Extra{}.merge(e)
		}
		s.c.Set(extraPrefix+id, e, cache.NoExpiration)
		s.dirty[extraPrefix+id] = true
	}
	return s.rebuild()
}

// PruneExtras forgets the look-ups of papers the store no longer holds
// (neither in the view nor in a held past listing) unless keep says
// otherwise (a seed paper); it returns how many went. The state keeps
// its own copy under its retention rules.
func (s *Store) PruneExtras(keep func(id string) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.View()
	inPeriod := map[string]bool{}
	items := s.c.Items()
	for k, it := range items {
		if strings.HasPrefix(k, periodPrefix) {
			for _, p := range it.Object.([]Paper) {
				inPeriod[p.ID] = true
			}
		}
	}
	n := 0
	for k := range items {
		id, ok := strings.CutPrefix(k, extraPrefix)
		if !ok || v.ByID[id] != nil || inPeriod[id] || (keep != nil && keep(id)) {
			continue
		}
		s.c.Delete(k)
		delete(s.dirty, k)
		n++
	}
	return n
}

// Extra is what look-ups learned of a paper, if anything.
func (s *Store) Extra(id string) (Extra, bool) {
	e, ok := s.c.Get(extraPrefix + id)
	if !ok {
		return Extra{}, false
	}
	return e.(Extra), true
}

// PutPeriod stores a week or month listing (key like "week/2026-W47")
// for ttl, merging with what was held for it.
func (s *Store) PutPeriod(key string, papers []Paper, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var merged []Paper
	if old, ok := s.c.Get(periodPrefix + key); ok {
		merged = mergeLists(old.([]Paper), papers)
	} else {
		merged = mergeLists(nil, papers)
	}
	s.c.Set(periodPrefix+key, merged, ttl)
	s.dirty[periodPrefix+key] = true
}

// HasPeriod reports whether a period listing is held.
func (s *Store) HasPeriod(key string) bool {
	_, ok := s.c.Get(periodPrefix + key)
	return ok
}

// DeletePeriod forgets a held period listing.
func (s *Store) DeletePeriod(key string) { s.c.Delete(periodPrefix + key) }

// Period returns a held week or month listing, enriched with what the
// store knows of each paper (categories, arXiv data), sorted like a
// View. ok is false when the period is not held (or expired).
func (s *Store) Period(key string) (papers []*Paper, ok bool) {
	v, ok := s.c.Get(periodPrefix + key)
	if !ok {
		return nil, false
	}
	view := s.View()
	list := v.([]Paper)
	out := make([]*Paper, 0, len(list))
	for i := range list {
		p := list[i].Clone()
		if known := view.ByID[p.ID]; known != nil {
			q := known.Clone()
			q.Merge(&p)
			p = q
		} else if e, ok := s.Extra(p.ID); ok {
			e.Apply(&p)
		}
		p.Derive()
		out = append(out, &p)
	}
	SortPapers(out)
	return out, true
}

// rebuild merges every held snapshot into a new View and publishes it if
// anything changed. Called with s.mu held.
func (s *Store) rebuild() bool {
	hf, ax := s.keys(hfPrefix), s.keys(arxivPrefix)
	slices.Sort(hf)
	slices.Sort(ax)
	byID := map[string]*Paper{}
	var order []string
	add := func(keys []string) {
		for _, k := range keys {
			v, _ := s.c.Get(k)
			for _, p := range v.([]Paper) {
				if cur := byID[p.ID]; cur != nil {
					cur.Merge(&p)
					continue
				}
				c := p.Clone()
				byID[p.ID] = &c
				order = append(order, p.ID)
			}
		}
	}
	add(hf) // oldest first: first-seen days win, latest announce type wins
	add(ax)
	for id, p := range byID {
		if e, ok := s.Extra(id); ok {
			e.Apply(p)
		}
		p.Derive()
	}

	old := s.View()
	now := s.now()
	changed := len(byID) != len(old.ByID)
	papers := make([]*Paper, 0, len(order))
	var newest time.Time
	for _, id := range order {
		p := byID[id]
		prev := old.ByID[id]
		same := prev != nil && samePaper(prev, p)
		switch {
		case !s.seed[id].IsZero():
			// Restored or replaced from the shared state: its time is the
			// one the data was saved with.
			p.Changed = s.seed[id]
			if same {
				p.frags = prev.frags
			} else {
				p.frags = &fragCache{}
			}
			if !same || !prev.Changed.Equal(p.Changed) {
				changed = true
			}
		case same:
			p.Changed, p.frags = prev.Changed, prev.frags
		default:
			p.Changed, p.frags = now, &fragCache{}
			changed = true
		}
		if p.Changed.After(newest) {
			newest = p.Changed
		}
		papers = append(papers, p)
	}
	for id := range old.ByID {
		if byID[id] == nil {
			changed = true
		}
	}
	if !changed {
		return false
	}
	SortPapers(papers)
	s.version++
	s.view.Store(&View{
		Version:   s.version,
		Papers:    papers,
		ByID:      byID,
		HFDays:    keyDays(hf),
		ArxivDays: keyDays(ax),
		Changed:   newest,
	})
	return true
}

// SameRendering reports whether p, of a newer view, renders as o of an
// older one did: the store carried o's data and its rendered fragments
// over to p, untouched, with the same change time.
func (p *Paper) SameRendering(o *Paper) bool {
	return p.frags != nil && p.frags == o.frags && p.Changed.Equal(o.Changed)
}

func samePaper(a, b *Paper) bool {
	x, y := *a, *b
	x.Changed, y.Changed = time.Time{}, time.Time{}
	x.frags, y.frags = nil, nil
	// A re-count that found the same artifacts changes nothing a reader
	// sees (no format shows when they were counted); a first count does:
	// the counts appear.
	if x.Artifacts.Known() == y.Artifacts.Known() {
		x.Artifacts.Checked, y.Artifacts.Checked = time.Time{}, time.Time{}
	}
	x.nilEmpty()
	y.nilEmpty()
	return reflect.DeepEqual(x, y)
}

// nilEmpty makes empty lists nil, so a paper read back from a saved
// state compares equal to the one saved.
func (p *Paper) nilEmpty() {
	if len(p.Authors) == 0 {
		p.Authors = nil
	}
	if len(p.AIKeywords) == 0 {
		p.AIKeywords = nil
	}
	if len(p.Categories) == 0 {
		p.Categories = nil
	}
}

// Snapshot keys: the prefix of each kind of entry.
const (
	KeyHF     = hfPrefix
	KeyArxiv  = arxivPrefix
	KeyPeriod = periodPrefix
)

// TakeDirty returns the snapshots (day and period listings, by key) and
// the look-ups (by paper ID) put since the last call, as they are now,
// and forgets them. A snapshot evicted since is not returned: eviction
// from memory is not deletion from the state.
func (s *Store) TakeDirty() (entries map[string][]Paper, extras map[string]Extra) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, extras = map[string][]Paper{}, map[string]Extra{}
	for k := range s.dirty {
		v, ok := s.c.Get(k)
		if !ok {
			continue
		}
		if id, isExtra := strings.CutPrefix(k, extraPrefix); isExtra {
			extras[id] = v.(Extra)
		} else {
			entries[k] = v.([]Paper)
		}
	}
	clear(s.dirty)
	return entries, extras
}

// MarkAllDirty marks every snapshot held dirty, so the next TakeDirty
// returns all of them (after the state store started afresh).
func (s *Store) MarkAllDirty() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.c.Items() {
		s.dirty[k] = true
	}
}

// Replace sets the store to a saved state, as Restore does, dropping
// every snapshot it held (a replica following the one that fetches).
// Papers whose data and change time are the same keep their view's
// values, so nothing derived from them changes.
func (s *Store) Replace(entries map[string][]Paper, extras map[string]Extra, changed map[string]time.Time, periodTTL func(key string) time.Duration) {
	s.mu.Lock()
	for k := range s.c.Items() {
		if strings.HasPrefix(k, hfPrefix) || strings.HasPrefix(k, arxivPrefix) || strings.HasPrefix(k, periodPrefix) || strings.HasPrefix(k, extraPrefix) {
			s.c.Delete(k)
		}
	}
	s.mu.Unlock()
	s.Restore(entries, extras, changed, periodTTL)
}

// Restore fills the store from a saved state: day and period snapshots
// by key (a period is kept for periodTTL of its key; 0 drops it),
// look-ups, and each paper's last change time. It publishes a
// view whose papers carry those change times, so feeds render exactly as
// before the restart. Nothing restored is dirty.
func (s *Store) Restore(entries map[string][]Paper, extras map[string]Extra, changed map[string]time.Time, periodTTL func(key string) time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, papers := range entries {
		switch {
		case strings.HasPrefix(k, hfPrefix), strings.HasPrefix(k, arxivPrefix):
			s.c.Set(k, papers, cache.NoExpiration)
		case strings.HasPrefix(k, periodPrefix):
			if ttl := periodTTL(strings.TrimPrefix(k, periodPrefix)); ttl > 0 {
				s.c.Set(k, papers, ttl)
			}
		}
	}
	for id, e := range extras {
		s.c.Set(extraPrefix+id, e, cache.NoExpiration)
	}
	s.evict(hfPrefix, s.hfDays)
	s.evict(arxivPrefix, s.arxivDays)
	s.seed = changed
	s.rebuild()
	s.seed = nil
	clear(s.dirty)
}

// keyDays turns sorted "prefix/YYYY-MM-DD" keys into days, newest first.
func keyDays(keys []string) []time.Time {
	out := make([]time.Time, 0, len(keys))
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		if t, err := time.Parse(time.DateOnly, k[strings.IndexByte(k, '/')+1:]); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// mergeLists merges a fresh fetch into what was held for the same day:
// every known paper stays, fresh data updates it, new papers are added.
func mergeLists(old, fresh []Paper) []Paper {
	out := make([]Paper, 0, max(len(old), len(fresh)))
	idx := make(map[string]int, len(old)+len(fresh))
	for _, p := range old {
		idx[p.ID] = len(out)
		out = append(out, p.Clone())
	}
	for _, p := range fresh {
		if i, ok := idx[p.ID]; ok {
			out[i].Merge(&p)
			continue
		}
		idx[p.ID] = len(out)
		out = append(out, p.Clone())
	}
	return out
}

// SortPapers orders papers newest day first, then by upvotes
// (descending), then by ID, so equal data always sorts the same.
func SortPapers(ps []*Paper) {
	slices.SortStableFunc(ps, func(a, b *Paper) int {
		if c := b.Day().Compare(a.Day()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Upvotes, a.Upvotes); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
