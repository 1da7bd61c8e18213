package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"paperfeed/feed"
	"paperfeed/internal/state"
	"paperfeed/scrape"
)

// Seed papers of "more like these" feeds that the service does not hold
// are looked up on the arXiv API (id_list, batched, through the shared
// arXiv limiter) once, kept, and saved in the state store (as entries
// "seed/ID"), so a restart asks again for none of them.
//
// Anyone can write a like= URL, so what strangers can make the service
// fetch and store is bounded:
//
//   - look-ups are counted in papers, not requests: a budget for the
//     whole service (SeedBurst, one more per SeedRefill) and a smaller
//     one per client (ClientSeedBurst, one more per ClientSeedRefill);
//   - at most MaxSeedsHeld seeds are kept, in memory and in the state
//     alike: past that, the least recently used go from both; a seed
//     unused for the retention period goes at the next retention pass;
//   - a start reads at most MaxSeedsHeld of them (a state written before
//     this bound loses the rest at its first retention pass).

// ErrUnknownPapers lists IDs arXiv answered without: they do not exist.
type ErrUnknownPapers struct{ IDs []string }

func (e *ErrUnknownPapers) Error() string {
	return "arXiv has no paper " + strings.Join(e.IDs, ", ")
}

// seedKey is the state entry of a looked-up seed.
const seedKey = "seed/"

// ErrSeedBudget means too many unknown seed papers were asked for
// recently, by this client or by everyone.
var ErrSeedBudget = errors.New("too many new papers to look up on arXiv recently; try again later, or name papers the feed holds")

const (
	// MaxSeedsHeld bounds the looked-up seeds kept.
	MaxSeedsHeld = 2000
	// SeedBurst and SeedRefill: the whole service's look-up budget, in
	// papers (360 an hour past the burst).
	SeedBurst  = 100
	SeedRefill = 10 * time.Second
	// ClientSeedBurst and ClientSeedRefill: one client's (60 an hour
	// past the burst).
	ClientSeedBurst  = 50
	ClientSeedRefill = time.Minute
	// maxClients bounds the per-client budgets kept; all are forgotten
	// when it is reached.
	maxClients    = 10000
	unknownMemory = 24 * time.Hour
	// touchEvery: a seed in use has its saved time renewed at most this
	// often, so that retention counts from its last use.
	touchEvery = 24 * time.Hour
)

// heldSeed is a looked-up paper and when it was last asked for.
type heldSeed struct {
	paper   feed.Paper
	used    time.Time
	touched time.Time // saved time in the state
}

type seeds struct {
	arxiv   *scrape.ArxivClient
	obs     Observer
	now     func() time.Time
	store   *feed.Store
	backend state.Backend
	log     *slog.Logger
	// remote, when set (a follower replica), asks the leader for seeds
	// instead of looking them up.
	remote func(ctx context.Context, ids []string) error

	mu      sync.Mutex
	held    map[string]*heldSeed
	unknown map[string]time.Time // IDs arXiv did not have, and when it said so
	budget  *rate.Limiter
	clients map[string]*rate.Limiter
}

func newSeeds(arxiv *scrape.ArxivClient, store *feed.Store, backend state.Backend, obs Observer, log *slog.Logger, now func() time.Time) *seeds {
	return &seeds{arxiv: arxiv, obs: obs, now: now, store: store, backend: backend, log: log,
		held: map[string]*heldSeed{}, unknown: map[string]time.Time{},
		budget: rate.NewLimiter(rate.Every(SeedRefill), SeedBurst), clients: map[string]*rate.Limiter{}}
}

// following reports whether seeds are asked of a leader.
func (sd *seeds) following() (func(ctx context.Context, ids []string) error, bool) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.remote, sd.remote != nil
}

// setRemote makes look-ups requests to the leader (nil: look up here).
func (sd *seeds) setRemote(f func(ctx context.Context, ids []string) error) {
	sd.mu.Lock()
	sd.remote = f
	sd.mu.Unlock()
}

type clientKey struct{}

// WithClient names the client a request comes from (its address), for
// the per-client budgets of look-ups it may cause.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

func clientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// allow spends n papers of the service's budget and, when the request
// names its client, of that client's.
func (sd *seeds) allow(ctx context.Context, n int) bool {
	now := sd.now()
	sd.mu.Lock()
	defer sd.mu.Unlock()
	var cl *rate.Limiter
	if c := clientOf(ctx); c != "" {
		if cl = sd.clients[c]; cl == nil {
			if len(sd.clients) >= maxClients {
				clear(sd.clients)
			}
			cl = rate.NewLimiter(rate.Every(ClientSeedRefill), ClientSeedBurst)
			sd.clients[c] = cl
		}
		if cl.TokensAt(now) < float64(n) {
			return false
		}
	}
	if !sd.budget.AllowN(now, n) {
		return false
	}
	if cl != nil {
		cl.AllowN(now, n)
	}
	return true
}

// Seeds returns the papers named by ids, from the window, the past
// listings or the seeds looked up before, asking arXiv for the others
// (at most once per paper, in batches). An ID arXiv does not know is an
// *ErrUnknownPapers; arXiv unreachable is its fetch error; too many
// look-ups recently is ErrSeedBudget.
func (s *Service) Seeds(ctx context.Context, ids []string) ([]*feed.Paper, error) {
	return s.seeds.get(ctx, ids)
}

// get is Service.Seeds.
func (sd *seeds) get(ctx context.Context, ids []string) ([]*feed.Paper, error) {
	v := sd.store.View()
	now := sd.now()
	out := make([]*feed.Paper, 0, len(ids))
	var missing, unknown []string
	touch := map[string]heldSeed{}
	sd.mu.Lock()
	for _, id := range ids {
		if p := v.ByID[id]; p != nil {
			out = append(out, p)
		} else if h, ok := sd.held[id]; ok {
			h.used = now
			if now.Sub(h.touched) >= touchEvery {
				h.touched = now
				touch[id] = *h
			}
			p := h.paper
			if x, ok := sd.store.Extra(id); ok {
				x.Apply(&p) // a newer version or comment the enricher found
			}
			p.Derive()
			out = append(out, &p)
		} else if t, ok := sd.unknown[id]; ok && now.Sub(t) < unknownMemory {
			unknown = append(unknown, id)
		} else {
			missing = append(missing, id)
		}
	}
	sd.mu.Unlock()
	remote, following := sd.following()
	if len(touch) > 0 && !following {
		_ = sd.save(touch, nil) // retention counts from the last use
	}
	if len(unknown) > 0 {
		return nil, &ErrUnknownPapers{IDs: unknown}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if !sd.allow(ctx, len(missing)) {
		return nil, ErrSeedBudget
	}
	if following {
		return nil, remote(ctx, missing)
	}
	found, err := sd.lookUp(ctx, missing)
	if err != nil {
		return nil, err
	}
	evicted := sd.keep(found, now)
	put := make(map[string]heldSeed, len(found))
	for id, p := range found {
		put[id] = heldSeed{paper: p, used: now, touched: now}
	}
	if err := sd.save(put, evicted); err != nil {
		sd.log.Warn("seed papers not saved; they stay in memory", "error", err)
	}
	for _, id := range ids { // in the order asked
		if p, ok := found[id]; ok {
			p.Derive()
			out = append(out, &p)
		}
	}
	return out, nil
}

// lookUp asks arXiv for papers, in batches; IDs it answers without are
// remembered (for a day) and reported.
func (sd *seeds) lookUp(ctx context.Context, ids []string) (map[string]feed.Paper, error) {
	found := map[string]feed.Paper{}
	for len(ids) > 0 {
		n := min(len(ids), scrape.MaxLookup)
		batch := ids[:n]
		ids = ids[n:]
		ps, err := sd.arxiv.Lookup(ctx, batch)
		sd.obs.Fetch("arxiv_api", err)
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
			sd.mu.Lock()
			if len(sd.unknown)+len(unknown) > MaxSeedsHeld {
				clear(sd.unknown)
			}
			for _, id := range unknown {
				sd.unknown[id] = sd.now()
			}
			sd.mu.Unlock()
			return nil, &ErrUnknownPapers{IDs: unknown}
		}
	}
	return found, nil
}

// keep holds found papers, evicting the least recently used seeds past
// MaxSeedsHeld; it returns the IDs evicted.
func (sd *seeds) keep(found map[string]feed.Paper, now time.Time) []string {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	extras := make(map[string]feed.Extra, len(found))
	for id, p := range found {
		sd.held[id] = &heldSeed{paper: p, used: now, touched: now}
		extras[id] = feed.ArxivExtra(&p, now) // its record, checked now
	}
	sd.store.PutExtras(extras)
	return sd.evictLocked()
}

func (sd *seeds) evictLocked() []string {
	over := len(sd.held) - MaxSeedsHeld
	if over <= 0 {
		return nil
	}
	ids := make([]string, 0, len(sd.held))
	for id := range sd.held {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return sd.held[a].used.Compare(sd.held[b].used) })
	ids = ids[:over]
	for _, id := range ids {
		delete(sd.held, id)
	}
	return ids
}

// inUse lists the held seeds asked for within the span.
func (sd *seeds) inUse(span time.Duration) []string {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	now := sd.now()
	var ids []string
	for id, h := range sd.held {
		if now.Sub(h.used) < span {
			ids = append(ids, id)
		}
	}
	return ids
}

// SeedsHeld is how many looked-up seed papers are kept.
func (s *Service) SeedsHeld() int {
	s.seeds.mu.Lock()
	defer s.seeds.mu.Unlock()
	return len(s.seeds.held)
}

// holds reports whether a seed is kept (retention keeps its entry).
func (sd *seeds) holds(id string) bool {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	_, ok := sd.held[id]
	return ok
}

// restore keeps a seed entry read from the state, last used when it
// was saved; it reports whether key was one.
func (sd *seeds) restore(key string, e state.Entry) bool {
	if !strings.HasPrefix(key, seedKey) {
		return false
	}
	if len(e.Papers) != 1 || e.Papers[0].ID != strings.TrimPrefix(key, seedKey) {
		return true
	}
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.held[e.Papers[0].ID] = &heldSeed{paper: e.Papers[0], used: e.Fetched, touched: e.Fetched}
	sd.evictLocked()
	return true
}

// save writes looked-up seeds (their saved time is their last use) and
// deletes evicted ones.
func (sd *seeds) save(put map[string]heldSeed, del []string) error {
	c := &state.Change{At: sd.now(), Put: map[string]state.Entry{}}
	for id, h := range put {
		c.Put[seedKey+id] = state.Entry{Papers: []feed.Paper{h.paper}, Fetched: h.used}
	}
	for _, id := range del {
		c.Delete = append(c.Delete, seedKey+id)
	}
	return sd.backend.Save(c)
}
