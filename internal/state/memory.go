package state

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Memory is the state store of an instance without a data directory:
// nothing survives the process, but history is kept while it runs (the
// in-memory store already holds the entries).
type Memory struct {
	mu      sync.Mutex
	history map[string][]Point
	held    map[string]ref // entry key -> its papers, when fetched
	stats   Stats

	personal personalMem
	records  map[string][]byte
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return &Memory{history: map[string][]Point{}, held: map[string]ref{}, stats: Stats{Kind: "memory"}}
}

// Load returns an empty state.
func (m *Memory) Load(func(string) bool) (*Snapshot, error) {
	return &Snapshot{Entries: map[string]Entry{}, Changed: map[string]time.Time{}, FirstSeen: map[string]time.Time{},
		Lookups: map[string]Lookup{}, Last: map[string]Point{}, Fetch: map[string][]byte{}}, nil
}

// Keys lists the entries saved.
func (m *Memory) Keys() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := slices.Collect(maps.Keys(m.held))
	slices.Sort(keys)
	return keys, nil
}

// Save keeps the history points and which entries hold which papers.
func (m *Memory) Save(c *Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range c.Put {
		r := ref{IDs: make([]string, len(e.Papers)), Fetched: e.Fetched}
		for i := range e.Papers {
			r.IDs[i] = e.Papers[i].ID
		}
		m.held[k] = r
	}
	for _, k := range c.Delete {
		delete(m.held, k)
	}
	for id, p := range c.Points {
		h := m.history[id]
		if n := len(h); n > 0 && h[n-1].At.Equal(p.At) {
			continue // the same change saved again after a failed write
		}
		m.history[id] = append(h, p)
	}
	m.stats.Writes++
	m.stats.LastWrite = c.At
	m.stats.Papers = len(m.history)
	return nil
}

// History returns a copy of a paper's points.
func (m *Memory) History(id string) ([]Point, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.history[id]), nil
}

// Prune drops entries keep refuses and the history of papers no entry
// holds, and thins old history.
func (m *Memory) Prune(now time.Time, keep func(key string, fetched time.Time) bool) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	held := map[string]bool{}
	for k, r := range m.held {
		if !keep(k, r.Fetched) {
			delete(m.held, k)
			continue
		}
		for _, id := range r.IDs {
			held[id] = true
		}
	}
	n := 0
	for id, h := range m.history {
		if !held[id] {
			delete(m.history, id)
			n++
			continue
		}
		m.history[id] = Thin(h, now.Add(-thinAfter))
	}
	m.stats.Papers = len(m.history)
	return n, nil
}

// Stats returns the memory store's counters.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Reset forgets everything.
func (m *Memory) Reset() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.history)
	clear(m.held)
	return nil
}

// Close does nothing.
func (m *Memory) Close() error { return nil }
