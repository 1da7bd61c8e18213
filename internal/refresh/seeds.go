package refresh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// Seed papers of "more like these" feeds that the window does not hold
// are looked up on the arXiv API (id_list, batched, through the shared
// arXiv limiter) once, kept, and saved in the state store (as entries
// "seed/ID"), so a restart asks again for none of them.

// ErrUnknownPapers lists IDs arXiv answered without: they do not exist.
type ErrUnknownPapers struct{ IDs []string }

func (e *ErrUnknownPapers) Error() string {
	return "arXiv has no paper " + strings.Join(e.IDs, ", ")
}

// seedKey is the state entry of a looked-up seed.
const seedKey = "seed/"

type seeds struct {
	mu      sync.Mutex
	held    map[string]feed.Paper
	unknown map[string]time.Time // IDs arXiv did not have, and when it said so
	arxiv   *scrape.ArxivClient
	obs     Observer
	save    func(map[string]feed.Paper) error
	// budget bounds look-ups: anyone can write a like= URL, and arXiv's
	// one-request-every-3-seconds budget serves the whole service.
	budget *rate.Limiter
}

// ErrSeedBudget means too many unknown seed papers were asked for
// recently.
var ErrSeedBudget = errors.New("too many new papers to look up on arXiv recently; try again shortly")

const (
	maxSeedsHeld  = 10000
	unknownMemory = 24 * time.Hour
	// SeedRefill is how often one more look-up is allowed past the burst.
	SeedRefill = 10 * time.Second
)

// Seeds returns the papers named by ids, from the window, the past
// listings or the seeds looked up before, asking arXiv for the others
// (at most once per paper, in batches). An ID arXiv does not know is an
// *ErrUnknownPapers; arXiv unreachable is its fetch error.
func (s *Service) Seeds(ctx context.Context, ids []string) ([]*feed.Paper, error) {
	v := s.store.View()
	out := make([]*feed.Paper, 0, len(ids))
	var missing []string
	var unknown []string
	s.seeds.mu.Lock()
	for _, id := range ids {
		if p := v.ByID[id]; p != nil {
			out = append(out, p)
		} else if p, ok := s.seeds.held[id]; ok {
			out = append(out, &p)
		} else if t, ok := s.seeds.unknown[id]; ok && s.now().Sub(t) < unknownMemory {
			unknown = append(unknown, id)
		} else {
			missing = append(missing, id)
		}
	}
	s.seeds.mu.Unlock()
	if len(unknown) > 0 {
		return nil, &ErrUnknownPapers{IDs: unknown}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if s.following() {
		return nil, s.askSeeds(ctx, missing)
	}
	if !s.seeds.budget.AllowN(s.now(), 1) {
		return nil, ErrSeedBudget
	}
	found := map[string]feed.Paper{}
	for len(missing) > 0 {
		n := min(len(missing), scrape.MaxLookup)
		batch := missing[:n]
		missing = missing[n:]
		ps, err := s.seeds.arxiv.Lookup(ctx, batch)
		s.seeds.obs.Fetch("arxiv_api", err)
		if err != nil {
			return nil, fmt.Errorf("look up seed papers on arXiv: %w", err)
		}
		for _, p := range ps {
			if slices.Contains(batch, p.ID) {
				found[p.ID] = p
			}
		}
		var unknown []string
		for _, id := range batch {
			if _, ok := found[id]; !ok {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) > 0 {
			s.seeds.mu.Lock()
			for _, id := range unknown {
				s.seeds.unknown[id] = s.now()
			}
			s.seeds.mu.Unlock()
			return nil, &ErrUnknownPapers{IDs: unknown}
		}
	}
	s.seeds.mu.Lock()
	if len(s.seeds.held)+len(found) > maxSeedsHeld {
		clear(s.seeds.held) // looked up again if asked again
	}
	if len(s.seeds.unknown) > maxSeedsHeld {
		clear(s.seeds.unknown)
	}
	for id, p := range found {
		s.seeds.held[id] = p
	}
	s.seeds.mu.Unlock()
	if err := s.seeds.save(found); err != nil {
		s.log.Warn("seed papers not saved; they stay in memory", "error", err)
	}
	for _, id := range ids { // in the order asked
		if p, ok := found[id]; ok {
			p := p
			out = append(out, &p)
		}
	}
	return out, nil
}

// saveSeeds writes looked-up seeds to the state store.
func (s *Service) saveSeeds(found map[string]feed.Paper) error {
	c := &state.Change{At: s.now(), Put: map[string]state.Entry{}}
	for id, p := range found {
		c.Put[seedKey+id] = state.Entry{Papers: []feed.Paper{p}, Fetched: c.At}
	}
	return s.backend.Save(c)
}

// restoreSeed keeps a seed read from the state.
func (s *Service) restoreSeed(key string, e state.Entry) bool {
	if !strings.HasPrefix(key, seedKey) || len(e.Papers) != 1 {
		return false
	}
	s.seeds.mu.Lock()
	defer s.seeds.mu.Unlock()
	s.seeds.held[e.Papers[0].ID] = e.Papers[0]
	return true
}
