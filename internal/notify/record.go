package notify

import (
	"encoding/json"
	"fmt"
	"time"
)

// subState is a subscription's delivery state, saved under
// "notify/NAME". Every write is a swap of the record read (Records), so
// a replica that lost the lease, or read an older record, writes
// nothing.
type subState struct {
	Query string    `json:"query"`
	Start time.Time `json:"start"` // first seen
	// Baselined: the subscription has begun. Base is when, Mark what the
	// data held then, Held the keys its feed held then (never sent
	// unless the line asks for backfill).
	Baselined bool                 `json:"baselined"`
	Base      time.Time            `json:"base,omitzero"`
	Mark      *Mark                `json:"mark,omitempty"`
	Held      map[string]time.Time `json:"held,omitempty"`
	Delivered map[string]time.Time `json:"delivered"`
	Failed    map[string]time.Time `json:"failed,omitempty"`
	Pending   *Message             `json:"pending,omitempty"`
	Sending

	raw []byte // the record as read or last written; nil: none
}

func recordKey(name string) string { return "notify/" + name }

// load reads a subscription's delivery state (nil when it has none).
func (n *Notifier) load(name string) (*subState, error) {
	b, err := n.records.Record(recordKey(name))
	if err != nil || b == nil {
		return nil, err
	}
	st := &subState{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("delivery state of %s: %w", name, err)
	}
	st.raw = b
	for _, m := range []*map[string]time.Time{&st.Delivered, &st.Held, &st.Failed} {
		if *m == nil {
			*m = map[string]time.Time{}
		}
	}
	return st, nil
}

// begin reads a subscription's state; a subscription seen for the first
// time (or whose filter changed) starts one, saved at once, so when it
// was first seen survives a restart.
func (n *Notifier) begin(s Subscription) (*subState, error) {
	st, err := n.load(s.Name)
	if err != nil {
		return nil, err
	}
	if st != nil && st.Query == s.Query {
		n.setStatus(s, st)
		return st, nil
	}
	fresh := &subState{Query: s.Query, Start: n.now(), Delivered: map[string]time.Time{}, Held: map[string]time.Time{},
		Failed: map[string]time.Time{}}
	if st != nil {
		// A new filter begins again; what was sent stays sent.
		fresh.Delivered, fresh.Failed, fresh.raw = st.Delivered, st.Failed, st.raw
	}
	return fresh, n.save(s, fresh)
}

// save swaps the saved state for st, and shows it.
func (n *Notifier) save(s Subscription, st *subState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := n.records.SwapRecord(recordKey(s.Name), st.raw, b); err != nil {
		return fmt.Errorf("delivery state of %s not written: %w", s.Name, err)
	}
	st.raw = b
	n.setStatus(s, st)
	return nil
}

func (n *Notifier) setStatus(s Subscription, st *subState) {
	if IsReader(s.Name) {
		return // a reader's is in no status
	}
	pending := 0
	if st.Pending != nil {
		pending = len(st.Pending.Keys)
	}
	n.mu.Lock()
	n.status[s.Name] = Status{Name: s.Name, Channel: s.Channel, Target: s.Shown, Since: st.Start, Baseline: st.Base,
		Delivered: len(st.Delivered), Pending: pending, Failed: len(st.Failed), Sending: st.Sending}
	n.mu.Unlock()
}

// prune forgets keys older than keepKeys.
func (st *subState) prune(now time.Time) {
	for _, m := range []map[string]time.Time{st.Delivered, st.Held, st.Failed} {
		for k, t := range m {
			if now.Sub(t) > keepKeys {
				delete(m, k)
			}
		}
	}
}
