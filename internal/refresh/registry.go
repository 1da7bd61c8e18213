package refresh

import "time"

// registry is the sources the service runs, in the order registered
// (source.Registered): the only place that finds a source by its name
// or asks what kind it is.
type registry []*polled

// named is the source of that name, or nil.
func (r registry) named(name string) *polled {
	for _, p := range r {
		if p.spec.Name == name {
			return p
		}
	}
	return nil
}

// lister is the listing source a feed of the given source= reads: the
// source of that name, or the first listing source registered (Hugging
// Face) for anything else.
func (r registry) lister(name string) *polled {
	if p := r.named(name); p != nil && p.spec.Lists {
		return p
	}
	for _, p := range r {
		if p.spec.Lists {
			return p
		}
	}
	return r[0]
}

// settled reports whether every enabled listing source (lists) or every
// other source (!lists) completed its first load.
func (r registry) settled(lists bool) bool {
	for _, p := range r {
		if p.spec.Lists == lists && p.enabled && !p.settled.Done() {
			return false
		}
	}
	return true
}

// current reports whether every listing source is current (polled.current).
func (r registry) current(now time.Time) bool {
	for _, p := range r {
		if p.spec.Lists && !p.current(now) {
			return false
		}
	}
	return true
}

// states are the sources' states.
func (r registry) states() []SourceState {
	out := make([]SourceState, len(r))
	for i, p := range r {
		out[i] = p.status.Snapshot()
	}
	return out
}
