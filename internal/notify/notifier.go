package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"paperfeed/feed"
)

// Bounds of delivery.
const (
	MaxAttempts  = 8                   // sends of one message before it is marked failed
	firstBackoff = 30 * time.Second    // doubling per failure ...
	maxBackoff   = time.Hour           // ... up to this
	keepKeys     = 60 * 24 * time.Hour // delivered keys are remembered this long
	recheckEvery = 10 * time.Minute    // a subscription's feed is read again at least this often
)

// Source is the feed side the notifier reads: a subscription's items
// now (dated as its feed dates them), its feed's URL, and the JSON Feed
// document of some of its items.
type Source interface {
	// Version names the data the items are read from: while it stays
	// the same, a subscription with nothing pending is not read again
	// (for at most recheckEvery: filters on gains move with the clock).
	Version() uint64
	Items(ctx context.Context, query string) ([]feed.Item, error)
	FeedURL(query string) string
	JSONFeed(title, query string, items []feed.Item) []byte
}

// ErrNotReady is a Source's answer while the data a feed needs has not
// loaded: the run is skipped quietly and tried again.
var ErrNotReady = errors.New("its source has not loaded yet")

// Records is where delivery state is kept (the state store).
type Records interface {
	Record(key string) ([]byte, error)
	PutRecord(key string, val []byte) error
}

// Sender sends one message (Send, or a stand-in in tests).
type Sender func(ctx context.Context, s Subscription, m *Message) (string, error)

// Observer counts deliveries (the metrics).
type Observer func(sub, result string)

// Status is what /status and /metrics show of a subscription; never a
// secret.
type Status struct {
	Name      string    `json:"name"`
	Channel   string    `json:"channel"`
	Target    string    `json:"target"`
	Since     time.Time `json:"since,omitzero"` // when the subscription began: what its feed gains from then on is sent
	Delivered int       `json:"delivered"`      // keys delivered (remembered 60 days)
	Pending   int       `json:"pending"`        // keys in a message waiting to be sent (again)
	Failed    int       `json:"failed"`
	Sending
}

// Sending is how a subscription's sending goes: saved with its delivery
// state and shown as it is.
type Sending struct {
	Attempts    int       `json:"attempts,omitempty"` // of the pending message
	NextTry     time.Time `json:"next_try,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// subState is a subscription's delivery state, saved under
// "notify/NAME".
type subState struct {
	Query     string               `json:"query"`
	Start     time.Time            `json:"start"`
	Baselined bool                 `json:"baselined"` // what the feed held at the start is recorded as not to send
	Delivered map[string]time.Time `json:"delivered"`
	Failed    map[string]time.Time `json:"failed,omitempty"`
	Pending   *Message             `json:"pending,omitempty"`
	Sending
}

// Notifier sends what subscriptions newly hold. Run is called after every
// data change and on a short tick (for retries); it does nothing unless
// leads() says this replica is the one that sends.
type Notifier struct {
	subs    []Subscription
	src     Source
	records Records
	send    Sender
	leads   func() bool
	now     func() time.Time
	log     *slog.Logger
	observe Observer
	stop    string // how to stop a subscription, in words

	run    sync.Mutex // one run at a time
	mu     sync.Mutex
	status map[string]Status
	read   map[string]readMark // by subscription: the data last read, and when
}

type readMark struct {
	version uint64
	at      time.Time
}

// Config is a notifier's wiring.
type Config struct {
	Subscriptions []Subscription
	Source        Source
	Records       Records
	Send          Sender
	Leads         func() bool // nil: always
	Now           func() time.Time
	Log           *slog.Logger
	Observe       Observer // may be nil
	File          string   // the notify file, named in "how to stop"
}

// New makes a notifier.
func New(c Config) *Notifier {
	n := &Notifier{subs: c.Subscriptions, src: c.Source, records: c.Records, send: c.Send, leads: c.Leads, now: c.Now,
		log: c.Log, observe: c.Observe, status: map[string]Status{}, read: map[string]readMark{}}
	if n.leads == nil {
		n.leads = func() bool { return true }
	}
	if n.observe == nil {
		n.observe = func(string, string) {}
	}
	n.stop = "To stop these messages, remove this subscription's line from the server's notify file"
	if c.File != "" {
		n.stop += " (" + c.File + ")"
	}
	n.stop += " or ask the server's operator."
	for _, s := range c.Subscriptions {
		n.status[s.Name] = Status{Name: s.Name, Channel: s.Channel, Target: s.Shown}
	}
	return n
}

// Subscriptions are the notifier's subscriptions.
func (n *Notifier) Subscriptions() []Subscription { return n.subs }

// Statuses are the subscriptions' states, by name.
func (n *Notifier) Statuses() []Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Status, 0, len(n.subs))
	for _, s := range n.subs {
		out = append(out, n.status[s.Name])
	}
	return out
}

// Loop runs the notifier on every signal of wake (data changed) and
// every tick, until ctx ends.
func (n *Notifier) Loop(ctx context.Context, wake <-chan struct{}, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		n.Run(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// Run sends what is due for every subscription, if this replica sends.
func (n *Notifier) Run(ctx context.Context) {
	if !n.leads() {
		return
	}
	n.run.Lock()
	defer n.run.Unlock()
	for _, s := range n.subs {
		if ctx.Err() != nil {
			return
		}
		if err := n.runOne(ctx, s); errors.Is(err, ErrNotReady) {
			n.log.Debug("notification waits for data", "subscription", s.Name)
		} else if err != nil {
			n.log.Warn("notification not prepared", "subscription", s.Name, "error", err)
		}
	}
}

func (n *Notifier) load(name string) (*subState, error) {
	b, err := n.records.Record("notify/" + name)
	if err != nil || b == nil {
		return nil, err
	}
	st := &subState{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, err
	}
	if st.Delivered == nil {
		st.Delivered = map[string]time.Time{}
	}
	return st, nil
}

func (n *Notifier) save(s Subscription, st *subState) error {
	b, _ := json.Marshal(st)
	err := n.records.PutRecord("notify/"+s.Name, b)
	n.mu.Lock()
	n.status[s.Name] = Status{Name: s.Name, Channel: s.Channel, Target: s.Shown, Since: st.Start, Delivered: len(st.Delivered),
		Pending: pendingKeys(st), Failed: len(st.Failed), Sending: st.Sending}
	n.mu.Unlock()
	return err
}

func pendingKeys(st *subState) int {
	if st.Pending == nil {
		return 0
	}
	return len(st.Pending.Keys)
}

// runOne sends one subscription's due message, if any: the one waiting
// for a retry, else what newly qualified.
func (n *Notifier) runOne(ctx context.Context, s Subscription) error {
	now := n.now()
	st, err := n.load(s.Name)
	if err != nil {
		return err
	}
	if st == nil || st.Query != s.Query {
		// A new subscription (or one whose filter changed) starts now.
		fresh := &subState{Query: s.Query, Start: now, Delivered: map[string]time.Time{}}
		if st != nil {
			fresh.Delivered, fresh.Failed = st.Delivered, st.Failed
		}
		st = fresh
		if err := n.save(s, st); err != nil {
			return err
		}
	}
	if st.Pending != nil {
		if now.Before(st.NextTry) {
			return nil
		}
		return n.deliver(ctx, s, st)
	}
	version := n.src.Version()
	if mk, ok := n.read[s.Name]; ok && st.Baselined && mk.version == version && now.Sub(mk.at) < recheckEvery {
		return nil // nothing new to read
	}
	items, err := n.src.Items(ctx, s.Query)
	if err != nil {
		return err
	}
	n.read[s.Name] = readMark{version, now}
	if !st.Baselined {
		// The subscription begins: what its feed holds now is old news
		// (it would be a flood), unless it asked for a backfill. Recorded
		// by key, not by date: a paper the listing gains later today is
		// dated by its listing day, yet new to the subscription.
		st.Baselined = true
		if !s.Backfill {
			for i := range items {
				if items[i].Paper != nil || items[i].Digest != nil {
					st.Delivered[key(&items[i])] = now
				}
			}
			return n.save(s, st)
		}
	}
	m := n.compose(s, st, items)
	if m == nil {
		n.prune(st, now)
		return nil
	}
	st.Pending, st.Attempts, st.NextTry = m, 0, time.Time{}
	if err := n.save(s, st); err != nil { // saved before sent: a restart sends the same message
		return err
	}
	return n.deliver(ctx, s, st)
}

// key names what an item delivers.
func key(it *feed.Item) string {
	switch {
	case it.Digest != nil:
		return "digest/" + it.Digest.Period
	case it.Version > 1:
		return feed.VersionGUID(it.Paper.ID, it.Version)
	default:
		return it.Paper.ID
	}
}

// compose makes the next message of what the feed holds and was neither
// delivered nor held when the subscription began: one per digest period, else every such paper (the
// first MaxPerMessage listed).
func (n *Notifier) compose(s Subscription, st *subState, items []feed.Item) *Message {
	var due []feed.Item
	for i := range items {
		it := &items[i]
		if it.Paper == nil && it.Digest == nil {
			continue
		}
		k := key(it)
		if _, done := st.Delivered[k]; done {
			continue
		}
		if _, failed := st.Failed[k]; failed {
			continue
		}
		due = append(due, *it)
	}
	if len(due) == 0 {
		return nil
	}
	slices.SortStableFunc(due, func(a, b feed.Item) int { return a.When().Compare(b.When()) })
	m := &Message{Subscription: s.Name, FeedURL: n.src.FeedURL(s.Query), Made: n.now().UTC(), Stop: n.stop}
	if d := due[0].Digest; d != nil {
		m.Title = d.Title
		m.Digest = d.HTML
		m.Keys = []string{key(&due[0])}
		m.JSONFeed = n.src.JSONFeed(d.Title, s.Query, due[:1])
	} else {
		for i := range due {
			m.Keys = append(m.Keys, key(&due[i]))
		}
		listed := due[:min(len(due), MaxPerMessage)]
		for _, it := range listed {
			m.Papers = append(m.Papers, paperOf(&it))
		}
		m.More = len(due) - len(listed)
		noun := "papers"
		if len(due) == 1 {
			noun = "paper"
		}
		m.Title = "paperfeed · " + s.Name + ": " + itoa(len(due)) + " new " + noun
		m.JSONFeed = n.src.JSONFeed(m.Title, s.Query, listed)
	}
	m.DeliveryID = deliveryID(s.Name, m.Keys)
	return m
}

func paperOf(it *feed.Item) Paper {
	p := it.Paper
	out := Paper{ID: p.ID, Title: p.Title, URL: p.Link(), Upvotes: p.Upvotes, Code: p.CodeURL}
	if it.Version > 1 {
		out.Title += " (v" + itoa(it.Version) + ")"
	}
	if len(p.Authors) > 0 {
		out.Authors = p.Authors[0]
		if len(p.Authors) > 1 {
			out.Authors += " et al."
		}
	}
	if v := feed.VenueLine(p.Venue); v != "" {
		out.Note = v
	}
	if it.GainHours > 0 {
		out.Note = strings.TrimPrefix(out.Note+" · ", " · ") + "+" + itoa(it.Gain) + " in " + itoa(it.GainHours) + " h"
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// deliver sends the pending message and records the outcome.
func (n *Notifier) deliver(ctx context.Context, s Subscription, st *subState) error {
	m := st.Pending
	now := n.now()
	_, err := n.send(ctx, s, m)
	if err == nil {
		for _, k := range m.Keys {
			st.Delivered[k] = now
		}
		st.Pending, st.Attempts, st.NextTry = nil, 0, time.Time{}
		st.LastSuccess = now
		n.observe(s.Name, "sent")
		n.log.Info("notification sent", "subscription", s.Name, "channel", s.Channel, "target", s.Shown, "delivery", m.DeliveryID, "keys", len(m.Keys))
		n.prune(st, now)
		return n.save(s, st)
	}
	st.Attempts++
	st.LastError, st.LastErrorAt = err.Error(), now
	wait := min(firstBackoff<<(st.Attempts-1), maxBackoff)
	var se *SendError
	if errors.As(err, &se) && se.Retry > wait {
		wait = min(se.Retry, 24*time.Hour)
	}
	st.NextTry = now.Add(wait)
	if st.Attempts >= MaxAttempts {
		if st.Failed == nil {
			st.Failed = map[string]time.Time{}
		}
		for _, k := range m.Keys {
			st.Failed[k] = now
		}
		st.Pending, st.NextTry = nil, time.Time{}
		n.observe(s.Name, "failed")
		n.log.Error("notification failed for good", "subscription", s.Name, "channel", s.Channel, "target", s.Shown,
			"delivery", m.DeliveryID, "attempts", st.Attempts, "error", err)
		st.Attempts = 0
	} else {
		n.observe(s.Name, "retry")
		n.log.Warn("notification not delivered; will retry", "subscription", s.Name, "channel", s.Channel, "target", s.Shown,
			"delivery", m.DeliveryID, "attempt", st.Attempts, "retry_in", wait.Round(time.Second), "error", err)
	}
	return n.save(s, st)
}

// prune forgets delivered and failed keys older than keepKeys.
func (n *Notifier) prune(st *subState, now time.Time) {
	for _, m := range []map[string]time.Time{st.Delivered, st.Failed} {
		for k, t := range m {
			if now.Sub(t) > keepKeys {
				delete(m, k)
			}
		}
	}
}
