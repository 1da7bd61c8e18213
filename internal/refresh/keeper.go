package refresh

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// keeper keeps the store and the state store in step: it restores the
// state at start (and reloads it on a follower replica), saves what
// changed after every refresh, applies retention, and deals with the
// records a load could not decode.
type keeper struct {
	cfg      Config
	backend  state.Backend
	persist  *persister
	store    *feed.Store
	sources  []*polled
	past     *Past
	seeds    *seeds
	enricher *enricher
	log      *slog.Logger
	onChange func() // after the data may have changed

	mu         sync.Mutex
	lastDamage []state.Damage // of the last load
}

// load reads what a start and a replica's reload keep of the state.
func (k *keeper) load() (*state.Snapshot, error) {
	keys, err := k.backend.Keys()
	if err != nil {
		return nil, err
	}
	want := k.wanted(keys)
	return k.backend.Load(func(key string) bool { return want[key] })
}

// wanted picks what a load reads: of the HF and arXiv days only the
// newest ones the window holds (older days stay in the state for
// retention, not in memory), and at most as many seeds and past
// listings as memory keeps (newer IDs and periods sort last; the rest go
// at retention).
func (k *keeper) wanted(keys []string) map[string]bool {
	want := map[string]bool{}
	var hf, ax, seeds, periods []string
	for _, key := range keys { // in byte order
		switch {
		case strings.HasPrefix(key, feed.KeyHF):
			hf = append(hf, key)
		case strings.HasPrefix(key, feed.KeyArxiv):
			ax = append(ax, key)
		case strings.HasPrefix(key, seedKey):
			seeds = append(seeds, key)
		case strings.HasPrefix(key, feed.KeyPeriod):
			periods = append(periods, key)
		default:
			want[key] = true
		}
	}
	for _, ks := range [][]string{seeds[max(0, len(seeds)-MaxSeedsHeld):], periods[max(0, len(periods)-pastMaxHeld):]} {
		for _, key := range ks {
			want[key] = true
		}
	}
	for _, days := range []struct {
		keys []string
		n    int
	}{{hf, k.cfg.Days}, {ax, k.cfg.ArxivDays}} {
		slices.Sort(days.keys) // "hf/YYYY-MM-DD": oldest first
		for _, key := range days.keys[max(0, len(days.keys)-max(days.n, 1)):] {
			want[key] = true
		}
	}
	return want
}

// apply sets the store and the sources' schedules to a snapshot of the
// state: at start, or, replacing what is held, when a replica follows
// the shared state. A source whose data was restored counts as loaded.
// It returns how many papers the view holds.
func (k *keeper) apply(snap *state.Snapshot, replace bool) int {
	k.persist.restored(snap)
	entries := map[string][]feed.Paper{}
	for key, e := range snap.Entries {
		if k.seeds.restore(key, e) {
			continue
		}
		entries[key] = e.Papers
		if period, ok := strings.CutPrefix(key, feed.KeyPeriod); ok {
			k.past.restore(period, e.Fetched)
		}
	}
	extras := map[string]feed.Extra{}
	for id, l := range snap.Lookups {
		if !l.Extra.Empty() {
			extras[id] = l.Extra
		}
		if !l.Unknown.IsZero() {
			k.enricher.restoreUnknown(id, l.Unknown)
		}
	}
	if replace {
		k.store.Replace(entries, extras, snap.Changed, k.past.ttl)
	} else {
		k.store.Restore(entries, extras, snap.Changed, k.past.ttl)
	}
	v := k.store.View()
	for _, p := range k.sources {
		sc := decodeSchedule(snap.Fetch[p.spec.Name])
		p.resume(sc)
		if p.src.Holds(v) {
			p.loaded.mark()
			p.src.Publish()
			if !sc.LastSuccess.IsZero() {
				p.settled.mark() // a load completed before: what is held is whole
			}
		}
	}
	if len(snap.Lookups) > 0 {
		k.enricher.settled.mark()
	}
	k.onChange()
	return len(v.Papers)
}

// damaged deals with the records a load could not decode (it read all
// the others): they are reported in the log and /status; a file of this
// process's own is moved aside and everything read written to a fresh
// one; in a shared store only the leader acts (leader.quarantine).
func (k *keeper) damaged(ds []state.Damage, shared *leader) {
	k.mu.Lock()
	k.lastDamage = ds[:min(len(ds), maxDamageShown)]
	k.mu.Unlock()
	if len(ds) == 0 {
		return
	}
	shown := make([]string, 0, min(len(ds), 5))
	for _, d := range ds[:min(len(ds), 5)] {
		shown = append(shown, d.String())
	}
	k.log.Error("state: records could not be read and were left out", "records", len(ds), "first", shown)
	if shared != nil {
		shared.quarantine(ds)
		return
	}
	if err := k.backend.Reset(); err != nil {
		k.log.Warn("state: could not move the damaged file aside", "error", err)
		return
	}
	k.persist.resaveAll()
}

// maxDamageShown bounds the damaged records /status lists.
const maxDamageShown = 20

// save writes what changed; a failure is logged and retried. A save that
// wrote many papers' records read their pages of the store's file through
// its memory mapping, so the file is reopened to let go of them: that is
// a few milliseconds after a refresh, against tens of megabytes held.
func (k *keeper) save() {
	if k.persist.save() == nil && k.persist.takeWritten() >= releaseAfterWrites {
		k.releaseMemory()
	}
}

// releaseAfterWrites is how many paper records a save writes before the
// store's file is reopened.
const releaseAfterWrites = 200

// releaseMemory lets go of what reading the state file mapped, where the
// store maps its file.
func (k *keeper) releaseMemory() {
	if r, ok := k.backend.(interface{ ReleaseMemory() error }); ok {
		if err := r.ReleaseMemory(); err != nil {
			k.log.Warn("state store: could not reopen its file", "error", err)
		}
	}
}

// prune runs a retention pass.
func (k *keeper) prune() {
	k.store.PruneExtras(k.seeds.holds)
	k.persist.prune(k.cfg.Retention)
	k.releaseMemory()
}

// upkeep retries a failed state write every minute and applies
// retention ten minutes after start and every six hours.
func (k *keeper) upkeep(ctx context.Context) {
	retry := time.NewTicker(time.Minute)
	defer retry.Stop()
	// The first pass a while after start, not during it: it reads every
	// paper's history, which a start does not need.
	prune := time.NewTicker(firstPrune)
	defer prune.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			k.save()
		case <-prune.C:
			k.prune()
			if first {
				prune.Reset(6 * time.Hour)
				first = false
			}
		}
	}
}

// firstPrune is when, after start, retention first runs.
const firstPrune = 10 * time.Minute

// schedules are the sources' schedules as the state saves them.
func (k *keeper) schedules() map[string][]byte {
	out := make(map[string][]byte, len(k.sources))
	for _, p := range k.sources {
		out[p.spec.Name] = p.schedule().encode()
	}
	return out
}

// fetched is when the page behind a state entry was fetched: a past
// listing's own fetch, or for a day the source's last success.
func (k *keeper) fetched(key string) time.Time {
	if period, ok := strings.CutPrefix(key, feed.KeyPeriod); ok {
		return k.past.fetchedAt(period)
	}
	for _, p := range k.sources {
		if p.spec.Keys != "" && strings.HasPrefix(key, p.spec.Keys) {
			return p.lastSuccess()
		}
	}
	return k.persist.now() // an HF day is saved right after it was fetched
}

// held reports whether a past listing or seed entry is still kept in
// memory: the state holds no more of them than memory does.
func (k *keeper) held(key string) bool {
	if id, ok := strings.CutPrefix(key, seedKey); ok {
		return k.seeds.holds(id)
	}
	if period, ok := strings.CutPrefix(key, feed.KeyPeriod); ok {
		return !k.past.fetchedAt(period).IsZero()
	}
	return true
}

// stats is what the state store shows in /status, with the last failed
// write and the records the last load left out.
func (k *keeper) stats() state.Stats {
	st := k.backend.Stats()
	k.mu.Lock()
	st.Damaged = k.lastDamage
	k.mu.Unlock()
	if msg, at, n := k.persist.failure(); msg != "" {
		st.LastError, st.ErrorAt = msg, at
		st.Errors = max(st.Errors, n)
	}
	return st
}
