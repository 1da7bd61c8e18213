package notify

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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
	// maxMessagesPerRun bounds what one run of a subscription sends
	// (a burst that needs more webhook deliveries goes on at the next).
	maxMessagesPerRun = 20
)

// Source is the feed side the notifier reads: where a subscription
// begins, its items now (dated as its feed dates them, every one the
// filter keeps: no limit), its feed's URL, and the JSON Feed document of
// some of its items.
type Source interface {
	// Version names the data the items are read from: while it stays
	// the same, a subscription with nothing pending is not read again
	// (for at most recheckEvery: filters on gains move with the clock).
	Version() uint64
	// Mark is what a subscription that begins now begins from. It is
	// ErrNotReady until every source has completed its first load.
	Mark(ctx context.Context, query string) (Mark, error)
	Items(ctx context.Context, query string) ([]feed.Item, error)
	// FeedURL is the feed a message links, showing at least reach of
	// its papers (a burst larger than the feed's limit raises it, up to
	// the largest limit a feed takes).
	FeedURL(query string, reach int) string
	JSONFeed(title, query string, items []feed.Item) []byte
}

// Mark is what a subscription's baseline records of the data it began
// with: the newest listing day of each source (a paper listed before it
// is old news to the subscription however late it arrives), and the
// newest of the days the subscription's digests are made of (a period
// that ended before it had closed).
type Mark struct {
	Newest map[string]time.Time `json:"newest,omitempty"` // by source: feed.SourceHF, feed.SourceArxiv
	Digest time.Time            `json:"digest,omitzero"`
}

// ErrNotReady is a Source's answer while the data a feed needs has not
// loaded: the run is skipped quietly and tried again.
var ErrNotReady = errors.New("its source has not loaded yet")

// Records is where delivery state is kept (the state store). SwapRecord
// writes only if the record still holds what was read (nil: none) and,
// among replicas, only while this one holds the leader lease; otherwise
// it writes nothing and fails.
type Records interface {
	Record(key string) ([]byte, error)
	SwapRecord(key string, old, val []byte) error
}

// Sender sends one message (Send, or a stand-in in tests).
type Sender func(ctx context.Context, s Subscription, m *Message) (string, error)

// Observer counts deliveries (the metrics).
type Observer func(sub, result string)

// Status is what /status and /metrics show of a subscription, read from
// its delivery state (so a restart or another replica shows the same);
// never a secret.
type Status struct {
	Name      string    `json:"name"`
	Channel   string    `json:"channel"`
	Target    string    `json:"target"`
	Since     time.Time `json:"since,omitzero"`    // when the subscription was first seen
	Baseline  time.Time `json:"baseline,omitzero"` // when it began: what its feed gains from then on is sent
	Delivered int       `json:"delivered"`         // papers and digests delivered (remembered 60 days)
	Pending   int       `json:"pending"`           // papers or digests in a message waiting to be sent (again)
	Failed    int       `json:"failed"`
	Sending
}

// Sending is how a subscription's sending goes: saved with its delivery
// state and shown as it is.
type Sending struct {
	Attempts    int       `json:"attempts,omitempty"` // sends of the pending message begun
	NextTry     time.Time `json:"next_try,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Notifier sends what subscriptions newly hold. Each subscription runs
// on its own, so a slow channel holds up no other; a run is started
// after every data change and on a short tick (for retries), and does
// nothing unless leads() says this replica is the one that sends.
type Notifier struct {
	subs    []Subscription
	src     Source
	records Records
	send    Sender
	leads   func() bool
	now     func() time.Time
	log     *slog.Logger
	observe Observer
	readers func() []Subscription // readers' confirmed subscriptions (nil: none)
	base    string                // the server's public URL, named in "how to stop"

	mu     sync.Mutex
	status map[string]Status
	lanes  map[string]*lane
}

// lane is one subscription's run: one at a time, and what it last read.
type lane struct {
	run sync.Mutex // held by a run

	mu          sync.Mutex
	busy, again bool     // a run goes on; another was asked for meanwhile
	read        readMark // the data last read, and when
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
	// Readers lists readers' confirmed subscriptions at each run (nil:
	// none); they are sent as the file's are, shown in no status.
	Readers func() []Subscription
	Base    string // the server's public URL, named in "how to stop"
}

// New makes a notifier; the subscriptions' statuses are read from their
// saved delivery state.
func New(c Config) *Notifier {
	n := &Notifier{subs: c.Subscriptions, src: c.Source, records: c.Records, send: c.Send, leads: c.Leads, now: c.Now,
		log: c.Log, observe: c.Observe, readers: c.Readers, base: c.Base, status: map[string]Status{}, lanes: map[string]*lane{}}
	if n.leads == nil {
		n.leads = func() bool { return true }
	}
	if n.observe == nil {
		n.observe = func(string, string) {}
	}
	for _, s := range c.Subscriptions {
		n.status[s.Name] = Status{Name: s.Name, Channel: s.Channel, Target: s.Shown}
	}
	n.readStatuses()
	return n
}

// Subscriptions are the notifier's subscriptions of the notify file.
func (n *Notifier) Subscriptions() []Subscription { return n.subs }

// current are the subscriptions to send now: the file's and the
// readers'.
func (n *Notifier) current() []Subscription {
	if n.readers == nil {
		return n.subs
	}
	return append(slices.Clip(n.subs), n.readers()...)
}

// stopFor says, in every message, how to stop a subscription.
func (n *Notifier) stopFor(s Subscription) string {
	if s.Unsubscribe != "" {
		return "To stop these messages, open " + s.Unsubscribe + " (one click, no login)."
	}
	where := "this paperfeed"
	if n.base != "" {
		where = "the paperfeed at " + n.base
	}
	return "To stop these messages, ask the operator of " + where + " to remove the subscription \"" + s.Name + "\"."
}

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

// readStatuses reads every subscription's status from its saved state:
// at start, and on a replica that does not send (the leader's state is
// shared).
func (n *Notifier) readStatuses() {
	for _, s := range n.subs {
		if st, err := n.load(s.Name); err == nil && st != nil {
			n.setStatus(s, st)
		}
	}
}

// Loop starts the subscriptions' runs on every signal of wake (data
// changed) and every tick, until ctx ends.
func (n *Notifier) Loop(ctx context.Context, wake <-chan struct{}, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if n.leads() {
			subs := n.current()
			for _, s := range subs {
				n.kick(ctx, s)
			}
			n.dropLanes(subs)
		} else {
			n.readStatuses()
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// kick starts a run of s unless one goes on; then that one runs again
// when it ends, so a data change is never missed.
func (n *Notifier) kick(ctx context.Context, s Subscription) {
	l := n.lane(s.Name)
	l.mu.Lock()
	if l.busy {
		l.again = true
		l.mu.Unlock()
		return
	}
	l.busy = true
	l.mu.Unlock()
	go func() {
		for {
			n.runLane(ctx, s, l)
			l.mu.Lock()
			if !l.again || ctx.Err() != nil || !n.leads() {
				l.busy, l.again = false, false
				l.mu.Unlock()
				return
			}
			l.again = false
			l.mu.Unlock()
		}
	}()
}

// Run runs every subscription now, each on its own, and returns when all
// are done; it does nothing on a replica that does not send.
func (n *Notifier) Run(ctx context.Context) {
	if !n.leads() {
		n.readStatuses()
		return
	}
	var wg sync.WaitGroup
	for _, s := range n.current() {
		wg.Go(func() { n.runLane(ctx, s, n.lane(s.Name)) })
	}
	wg.Wait()
}

// dropLanes forgets the idle lanes of subscriptions gone (a reader's,
// cancelled).
func (n *Notifier) dropLanes(subs []Subscription) {
	keep := make(map[string]bool, len(subs))
	for _, s := range subs {
		keep[s.Name] = true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, l := range n.lanes {
		l.mu.Lock()
		busy := l.busy
		l.mu.Unlock()
		if !keep[name] && !busy {
			delete(n.lanes, name)
		}
	}
}

func (n *Notifier) lane(name string) *lane {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.lanes[name]
	if l == nil {
		l = &lane{}
		n.lanes[name] = l
	}
	return l
}

// runLane is one run of a subscription, logged when it fails.
func (n *Notifier) runLane(ctx context.Context, s Subscription, l *lane) {
	l.run.Lock()
	defer l.run.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err := n.runOne(ctx, s, l); errors.Is(err, ErrNotReady) {
		n.log.Debug("notification waits for data", "subscription", s.Name)
	} else if err != nil && ctx.Err() == nil {
		n.log.Warn("notification not prepared", "subscription", s.Name, "error", err)
	}
}

// runOne sends what is due for one subscription: the message waiting for
// a retry, then what newly joined its feed, message after message.
func (n *Notifier) runOne(ctx context.Context, s Subscription, l *lane) error {
	st, err := n.begin(s)
	if err != nil {
		return err
	}
	for range maxMessagesPerRun {
		if st.Pending == nil {
			m, err := n.next(ctx, s, st, l)
			if err != nil || m == nil {
				return err
			}
			st.Pending, st.Attempts, st.NextTry = m, 0, time.Time{}
		} else if n.now().Before(st.NextTry) {
			return nil
		}
		sent, err := n.deliver(ctx, s, st)
		if err != nil || !sent {
			return err
		}
	}
	return nil
}
