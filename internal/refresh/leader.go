package refresh

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// Replicas sharing one state store (Redis): one leader, holding the
// lease, talks to the upstreams and writes; the others follow. The rules:
//
//   - Each replica campaigns every third of the lease: it takes a free
//     lease, renews its own. On becoming leader it reloads the shared
//     state and resumes the schedule written there, so a takeover makes
//     no burst of upstream requests. Losing the lease stops its pollers.
//   - A follower reloads the shared state when the leader announces a
//     write, or when its poll of the version sees one it missed.
//   - A follower asks the leader for what it lacks (a past listing, a
//     seed paper) and answers 503 with Retry-After meanwhile.
//   - Redis unreachable: every replica keeps serving what it holds and
//     stays ready; a leader that cannot renew stops fetching when its
//     lease would have run out. Nobody fetches on its own unless
//     fallback=local: then, after a lease's time without Redis, each
//     replica refreshes by itself until Redis is back.

// ErrAsked means a follower asked the leader for data it lacks.
var ErrAsked = errors.New("the replica that fetches is getting that; try again in a few seconds")

// ClusterState is what /status shows of the replicas' coordination.
type ClusterState struct {
	Role        string    `json:"role"` // leader, follower, local (Redis unreachable, fallback=local)
	Version     int64     `json:"version"`
	LeaderSince time.Time `json:"leader_since,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	ErrorAt     time.Time `json:"last_error_at,omitzero"`
	Reloads     int64     `json:"reloads"`
}

// maxRetry bounds the wait between attempts to reach an unreachable
// shared store.
const maxRetry = 30 * time.Second

// leader is the replicas' coordination, when the state store is shared.
type leader struct {
	c        state.Cluster
	lease    time.Duration
	fallback bool // refresh locally while Redis is unreachable
	log      *slog.Logger
	now      func() time.Time
	keep     *keeper
	// work starts the pollers and the state's upkeep until ctx ends.
	work func(ctx context.Context)
	// saidFollowing: the log said this replica follows (once per
	// change of role; run's goroutine only).
	saidFollowing bool

	mu          sync.Mutex
	st          ClusterState
	lastRenewed time.Time
	downSince   time.Time
}

// Cluster is the replicas' coordination state, when the state store is
// shared.
func (s *Service) Cluster() (ClusterState, bool) {
	if s.leader == nil {
		return ClusterState{}, false
	}
	return s.leader.state(), true
}

func (cl *leader) state() ClusterState {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.st
}

func (cl *leader) set(f func(st *ClusterState)) {
	cl.mu.Lock()
	f(&cl.st)
	cl.mu.Unlock()
}

// run is Start for a shared state store.
func (cl *leader) run(ctx context.Context) {
	// Campaign every third of the lease; while the store is unreachable,
	// back off (doubling up to maxRetry), and say so once per change.
	every, retry := cl.lease/3, cl.lease/3
	tick := time.NewTimer(every)
	defer tick.Stop()
	reachable := 0 // 0 not known yet, 1 reachable, -1 not
	updates := cl.c.Updates(ctx)
	var stopLeader, stopLocal context.CancelFunc
	stop := func(f *context.CancelFunc) {
		if *f != nil {
			(*f)()
			*f = nil
		}
	}
	defer func() {
		stop(&stopLeader)
		stop(&stopLocal)
	}()
	step := func() {
		now := cl.now()
		leading, err := cl.c.Campaign(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if reachable != -1 {
				cl.log.Warn("shared state store unreachable; serving what is held, retrying", "error", err)
				reachable = -1
			}
			retry = min(2*retry, maxRetry)
			cl.set(func(st *ClusterState) { st.LastError, st.ErrorAt = err.Error(), now })
			cl.mu.Lock()
			if cl.downSince.IsZero() {
				cl.downSince = now
			}
			down, renewed := now.Sub(cl.downSince), cl.lastRenewed
			cl.mu.Unlock()
			if stopLeader != nil && now.Sub(renewed) >= cl.lease {
				cl.log.Warn("lost the state store; stopped fetching (the lease has run out)", "error", err)
				stop(&stopLeader)
				cl.set(func(st *ClusterState) { st.Role = "follower" })
			}
			if cl.fallback && stopLeader == nil && stopLocal == nil && down >= cl.lease {
				cl.log.Warn("state store unreachable; refreshing locally until it is back (fallback=local)", "error", err)
				var lctx context.Context
				lctx, stopLocal = context.WithCancel(ctx)
				cl.keep.persist.paused(true)
				cl.work(lctx)
				cl.set(func(st *ClusterState) { st.Role = "local" })
			}
			return
		}
		switch reachable {
		case 0:
			cl.log.Info("shared state store connected")
		case -1:
			cl.log.Info("shared state store reachable again")
		}
		reachable, retry = 1, every
		cl.mu.Lock()
		cl.downSince = time.Time{}
		cl.mu.Unlock()
		if stopLocal != nil {
			cl.log.Info("state store back; local refreshing stops")
			stop(&stopLocal)
			cl.keep.persist.paused(false)
		}
		cl.set(func(st *ClusterState) { st.LastError = "" })
		if leading {
			cl.mu.Lock()
			cl.lastRenewed = now
			cl.mu.Unlock()
			if stopLeader == nil {
				cl.saidFollowing = false
				cl.log.Info("this replica leads: it fetches from the upstreams")
				cl.set(func(st *ClusterState) { st.Role, st.LeaderSince = "leader", now })
				cl.reload()
				cl.fillEmptyStore()
				var lctx context.Context
				lctx, stopLeader = context.WithCancel(ctx)
				cl.keep.past.setRemote(nil)
				cl.keep.seeds.setRemote(nil)
				cl.work(lctx)
				go cl.serveRequests(lctx)
			}
			return
		}
		switch {
		case stopLeader != nil:
			cl.log.Warn("this replica lost the lease; it follows now")
			stop(&stopLeader)
		case !cl.saidFollowing:
			cl.log.Info("this replica follows: another one holds the lease and fetches; this one serves what it writes to the shared state")
		}
		cl.saidFollowing = true
		cl.keep.past.setRemote(cl.askPast)
		cl.keep.seeds.setRemote(cl.askSeeds)
		cl.set(func(st *ClusterState) { st.Role, st.LeaderSince = "follower", time.Time{} })
		cl.reloadIfNew()
	}
	step()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			step()
			tick.Reset(retry)
		case _, ok := <-updates:
			if !ok {
				updates = nil // reconnecting is the subscription's own; polls cover the gap
				continue
			}
			if stopLeader == nil {
				cl.reloadIfNew()
			}
		}
	}
}

// reloadIfNew reloads the shared state when its version moved.
func (cl *leader) reloadIfNew() {
	v, err := cl.c.Version(context.Background())
	if err != nil {
		return
	}
	if v != cl.state().Version {
		cl.reload()
		cl.set(func(st *ClusterState) { st.Version = v })
	}
}

// reload replaces the store's data with the shared state's. A read
// that fails leaves what is held as it is: the next poll tries again.
func (cl *leader) reload() {
	snap, err := cl.keep.load()
	if err != nil {
		cl.log.Warn("could not read the shared state; serving what is held, will reload", "error", err)
		return
	}
	cl.keep.apply(snap, true)
	cl.keep.damaged(snap.Damaged, cl)
	if v, err := cl.c.Version(context.Background()); err == nil {
		cl.set(func(st *ClusterState) { st.Version = v; st.Reloads++ })
	}
}

// fillEmptyStore writes everything held when the shared store is empty
// (a Redis restarted without persistence), so followers converge.
func (cl *leader) fillEmptyStore() {
	if v, err := cl.c.Version(context.Background()); err != nil || v > 0 {
		return
	}
	if len(cl.keep.store.View().Papers) == 0 {
		return
	}
	cl.log.Info("the shared state is empty; writing all this replica holds")
	cl.keep.persist.resaveAll()
}

// quarantine moves records no replica could decode out of the shared
// data: the leader does it itself (the store reads each again first); a
// follower asks the leader to.
func (cl *leader) quarantine(ds []state.Damage) {
	q, ok := cl.keep.backend.(interface{ Quarantine([]state.Damage) error })
	if !ok {
		return
	}
	if cl.following() {
		for _, d := range ds[:min(len(ds), maxDamageShown)] {
			_ = cl.ask(context.Background(), request{kind: askQuarantine, damage: d})
		}
		return
	}
	if err := q.Quarantine(ds); err != nil {
		cl.log.Warn("state: could not quarantine unreadable records; will try again", "error", err)
		return
	}
	cl.log.Info("state: unreadable records moved to the quarantine", "records", len(ds))
}

// askPast is how a follower asks for a past listing.
func (cl *leader) askPast(ctx context.Context, key string, _, _ time.Time) error {
	per, err := feed.ParsePeriod(key)
	if err != nil {
		return err
	}
	return cl.ask(ctx, request{kind: askPast, period: per})
}

// askSeeds is how a follower asks for seed papers it lacks.
func (cl *leader) askSeeds(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), maxSeedsAsked)
		if err := cl.c.Ask(ctx, request{kind: askSeeds, ids: ids[:n]}.encode()); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return ErrAsked
}

// ask queues one request for the leader; the answer comes as data.
func (cl *leader) ask(ctx context.Context, r request) error {
	if err := cl.c.Ask(ctx, r.encode()); err != nil {
		return err
	}
	return ErrAsked
}

// serveRequests is the leader's loop over the followers' requests, each
// parsed as strictly as a URL from the public (requests.go).
func (cl *leader) serveRequests(ctx context.Context) {
	for ctx.Err() == nil {
		raw, err := cl.c.NextRequest(ctx, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(time.Second)
			}
			continue
		}
		if raw == "" {
			continue
		}
		req, err := parseRequest(raw)
		if err != nil {
			cl.log.Warn("replica request dropped", "error", err)
			continue
		}
		switch req.kind {
		case askPast:
			_, _ = cl.keep.past.Ensure(ctx, req.period.Key(), req.period.From, req.period.To)
		case askSeeds:
			_, _ = cl.keep.seeds.get(ctx, req.ids)
		case askQuarantine:
			cl.quarantine([]state.Damage{req.damage})
		}
	}
}

// following reports whether this replica follows a leader.
func (cl *leader) following() bool {
	st := cl.state()
	return st.Role != "leader" && st.Role != "local"
}
