package refresh

import (
	"context"
	"errors"
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

type cluster struct {
	c        state.Cluster
	lease    time.Duration
	fallback bool // refresh locally while Redis is unreachable

	mu          sync.Mutex
	st          ClusterState
	lastRenewed time.Time
	downSince   time.Time
}

// Cluster is the replicas' coordination state, when the state store is
// shared.
func (s *Service) Cluster() (ClusterState, bool) {
	if s.cluster == nil {
		return ClusterState{}, false
	}
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	return s.cluster.st, true
}

func (cl *cluster) set(f func(st *ClusterState)) {
	cl.mu.Lock()
	f(&cl.st)
	cl.mu.Unlock()
}

// runCluster is Start for a shared state store.
func (s *Service) runCluster(ctx context.Context) {
	cl := s.cluster
	tick := time.NewTicker(cl.lease / 3)
	defer tick.Stop()
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
		now := s.now()
		leading, err := cl.c.Campaign(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			cl.set(func(st *ClusterState) { st.LastError, st.ErrorAt = err.Error(), now })
			cl.mu.Lock()
			if cl.downSince.IsZero() {
				cl.downSince = now
			}
			down, renewed := now.Sub(cl.downSince), cl.lastRenewed
			cl.mu.Unlock()
			if stopLeader != nil && now.Sub(renewed) >= cl.lease {
				s.log.Warn("lost the state store; stopped fetching (the lease has run out)", "error", err)
				stop(&stopLeader)
				cl.set(func(st *ClusterState) { st.Role = "follower" })
			}
			if cl.fallback && stopLeader == nil && stopLocal == nil && down >= cl.lease {
				s.log.Warn("state store unreachable; refreshing locally until it is back (fallback=local)", "error", err)
				var lctx context.Context
				lctx, stopLocal = context.WithCancel(ctx)
				s.persist.paused(true)
				s.startWork(lctx)
				cl.set(func(st *ClusterState) { st.Role = "local" })
			}
			return
		}
		cl.mu.Lock()
		cl.downSince = time.Time{}
		cl.mu.Unlock()
		if stopLocal != nil {
			s.log.Info("state store back; local refreshing stops")
			stop(&stopLocal)
			s.persist.paused(false)
		}
		cl.set(func(st *ClusterState) { st.LastError = "" })
		if leading {
			cl.mu.Lock()
			cl.lastRenewed = now
			cl.mu.Unlock()
			if stopLeader == nil {
				s.log.Info("this replica leads: it fetches from the upstreams")
				cl.set(func(st *ClusterState) { st.Role, st.LeaderSince = "leader", now })
				s.reload()
				s.fillEmptyStore()
				var lctx context.Context
				lctx, stopLeader = context.WithCancel(ctx)
				s.past.setRemote(nil)
				s.startWork(lctx)
				go s.serveRequests(lctx)
			}
			return
		}
		if stopLeader != nil {
			s.log.Warn("this replica lost the lease; it follows now")
			stop(&stopLeader)
		}
		s.past.setRemote(s.askPast)
		cl.set(func(st *ClusterState) { st.Role, st.LeaderSince = "follower", time.Time{} })
		s.reloadIfNew()
	}
	step()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			step()
		case _, ok := <-updates:
			if !ok {
				updates = nil // reconnecting is the subscription's own; polls cover the gap
				continue
			}
			if stopLeader == nil {
				s.reloadIfNew()
			}
		}
	}
}

// reloadIfNew reloads the shared state when its version moved.
func (s *Service) reloadIfNew() {
	v, err := s.cluster.c.Version(context.Background())
	if err != nil {
		return
	}
	s.cluster.mu.Lock()
	seen := s.cluster.st.Version
	s.cluster.mu.Unlock()
	if v != seen {
		s.reload()
		s.cluster.set(func(st *ClusterState) { st.Version = v })
	}
}

// reload replaces the store's data with the shared state's. A read
// that fails leaves what is held as it is: the next poll tries again.
func (s *Service) reload() {
	snap, err := s.load()
	if err != nil {
		s.log.Warn("could not read the shared state; serving what is held, will reload", "error", err)
		return
	}
	s.apply(snap, true)
	s.damaged(snap.Damaged, !s.following())
	if v, err := s.cluster.c.Version(context.Background()); err == nil {
		s.cluster.set(func(st *ClusterState) { st.Version = v; st.Reloads++ })
	}
}

// fillEmptyStore writes everything held when the shared store is empty
// (a Redis restarted without persistence), so followers converge.
func (s *Service) fillEmptyStore() {
	if v, err := s.cluster.c.Version(context.Background()); err != nil || v > 0 {
		return
	}
	if len(s.store.View().Papers) == 0 {
		return
	}
	s.log.Info("the shared state is empty; writing all this replica holds")
	s.persist.resaveAll()
}

// askPast is how a follower asks for a past listing.
func (s *Service) askPast(ctx context.Context, key string, _, _ time.Time) error {
	per, err := feed.ParsePeriod(key)
	if err != nil {
		return err
	}
	return s.ask(ctx, request{kind: askPast, period: per})
}

// askSeeds is how a follower asks for seed papers it lacks.
func (s *Service) askSeeds(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), maxSeedsAsked)
		if err := s.cluster.c.Ask(ctx, request{kind: askSeeds, ids: ids[:n]}.encode()); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return ErrAsked
}

// ask queues one request for the leader; the answer comes as data.
func (s *Service) ask(ctx context.Context, r request) error {
	if err := s.cluster.c.Ask(ctx, r.encode()); err != nil {
		return err
	}
	return ErrAsked
}

// serveRequests is the leader's loop over the followers' requests, each
// parsed as strictly as a URL from the public (requests.go).
func (s *Service) serveRequests(ctx context.Context) {
	for ctx.Err() == nil {
		raw, err := s.cluster.c.NextRequest(ctx, time.Second)
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
			s.log.Warn("replica request dropped", "error", err)
			continue
		}
		switch req.kind {
		case askPast:
			_, _ = s.past.Ensure(ctx, req.period.Key(), req.period.From, req.period.To)
		case askSeeds:
			_, _ = s.Seeds(ctx, req.ids)
		case askQuarantine:
			if q, ok := s.backend.(interface{ Quarantine([]state.Damage) error }); ok {
				if err := q.Quarantine([]state.Damage{req.damage}); err != nil {
					s.log.Warn("state: could not quarantine a record", "record", req.damage.String(), "error", err)
				}
			}
		}
	}
}

// following reports whether this replica follows a leader.
func (s *Service) following() bool {
	if s.cluster == nil {
		return false
	}
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	return s.cluster.st.Role != "leader" && s.cluster.st.Role != "local"
}
