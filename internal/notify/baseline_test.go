package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
)

func day(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

// listed is a paper listed on Hugging Face on a day, met the filter on
// first sight (no date of its own).
func listed(id string, on time.Time) feed.Item {
	return feed.Item{Paper: &feed.Paper{ID: id, Title: "Paper " + id, OnHF: true, ListedOn: on}}
}

// announced is an arXiv-only paper of an announcement day.
func announced(id string, on time.Time) feed.Item {
	return feed.Item{Paper: &feed.Paper{ID: id, Title: "Paper " + id, Announced: on}}
}

// keyLog records the keys of every message sent.
type keyLog struct {
	mu   sync.Mutex
	keys []string
}

func (k *keyLog) send(_ context.Context, _ Subscription, m *Message) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = append(k.keys, m.Keys...)
	return "ok", nil
}

func (k *keyLog) sent() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Sorted(slices.Values(k.keys))
}

// A subscription begins only once the sources have settled; from then,
// what arrives late of what was old news at its start (a day of the
// first fill fetched after it, a digest of a period closed then, a
// paper that met the filter before) is never sent, across restarts;
// what joins after is.
func TestNotifierBeginsFromWhatTheSourcesHeld(t *testing.T) {
	c := &clock{t0}
	src := &fakeSource{notReady: true}
	rec := &memRecords{}
	sub := webhookSub(t, "https://hooks.example/in", "")
	log := &keyLog{}
	start := func() *Notifier {
		return New(Config{Subscriptions: []Subscription{sub}, Source: src, Records: rec, Now: c.now, Log: quiet(), Send: log.send})
	}
	n := start()
	src.set(listed("2612.00001", day("2026-12-03")))
	n.Run(t.Context())
	if st := n.Statuses()[0]; !st.Baseline.IsZero() || st.Since.IsZero() {
		t.Fatalf("begun before the sources settled: %+v", st)
	}
	src.mu.Lock()
	src.notReady, src.mark = false, Mark{Newest: map[string]time.Time{feed.SourceHF: day("2026-12-03")}}
	src.mu.Unlock()
	c.add(time.Minute)
	n.Run(t.Context())
	if st := n.Statuses()[0]; st.Baseline.IsZero() {
		t.Fatalf("not begun once settled: %+v", st)
	}
	// The rest of a first fill arrives: an older listing day; a paper
	// that crossed the threshold before the start; arXiv, which held
	// nothing then, loads.
	c.add(time.Minute)
	qualifiedBefore := listed("2612.00003", day("2026-12-03"))
	qualifiedBefore.Date = t0.Add(-time.Hour)
	src.mu.Lock()
	src.mark.Newest[feed.SourceArxiv] = day("2026-12-03")
	src.mu.Unlock()
	src.set(listed("2612.00001", day("2026-12-03")), listed("2612.00002", day("2026-12-02")), qualifiedBefore,
		announced("2612.00004", day("2026-12-03")), announced("2612.00005", day("2026-12-02")))
	n.Run(t.Context())
	n = start() // a restart
	n.Run(t.Context())
	if got := log.sent(); len(got) != 0 {
		t.Fatalf("old news sent: %v", got)
	}
	// Then papers join: one the open day gains, one of a new day, one
	// of an old day that crosses the threshold now.
	c.add(time.Hour)
	crossed := listed("2612.00002", day("2026-12-02"))
	crossed.Date = c.t
	src.set(listed("2612.00001", day("2026-12-03")), crossed, qualifiedBefore,
		announced("2612.00004", day("2026-12-03")), announced("2612.00005", day("2026-12-02")),
		listed("2612.00006", day("2026-12-03")), listed("2612.00007", day("2026-12-04")))
	n.Run(t.Context())
	if got := fmt.Sprint(log.sent()); got != "[2612.00002 2612.00006 2612.00007]" {
		t.Errorf("sent %v, want the one that crossed the threshold, the open day's new paper and the new day's", got)
	}
}

// Each subscription runs on its own: one whose channel hangs holds up
// no other, and a data change while it hangs is not lost (it runs again
// when it is done).
func TestLoopRunsEachSubscriptionOnItsOwn(t *testing.T) {
	c := &clock{t0}
	var mu sync.Mutex
	c2 := func() time.Time { mu.Lock(); defer mu.Unlock(); return c.t }
	src := &fakeSource{}
	subs, err := ParseSubscriptions(strings.NewReader("slow: webhook https://slow.example/in\nfast: webhook https://fast.example/in\n"), "f", env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	sent := make(chan string, 10)
	n := New(Config{Subscriptions: subs, Source: src, Records: &memRecords{}, Now: c2, Log: quiet(),
		Send: func(ctx context.Context, s Subscription, m *Message) (string, error) {
			if s.Name == "slow" {
				select {
				case <-release:
				case <-ctx.Done():
					return "", ctx.Err()
				}
			}
			sent <- s.Name + " " + strings.Join(m.Keys, ",")
			return "ok", nil
		}})
	n.Run(t.Context()) // both begin
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wake := make(chan struct{}, 1)
	go n.Loop(ctx, wake, time.Hour)
	mu.Lock()
	c.add(time.Minute)
	mu.Unlock()
	src.set(item("2612.00001", "One", c2()))
	wake <- struct{}{}
	select {
	case got := <-sent:
		if got != "fast 2612.00001" {
			t.Fatalf("first sent: %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fast subscription waited for the slow one")
	}
	// Another paper joins while slow still hangs.
	mu.Lock()
	c.add(time.Minute)
	mu.Unlock()
	src.set(item("2612.00001", "One", t0.Add(time.Minute)), item("2612.00002", "Two", c2()))
	wake <- struct{}{}
	if got := <-sent; got != "fast 2612.00002" {
		t.Fatalf("then: %s", got)
	}
	close(release)
	var keys []string
	deadline := time.After(5 * time.Second)
	for len(keys) < 2 {
		select {
		case got := <-sent:
			name, ks, _ := strings.Cut(got, " ")
			if name != "slow" {
				t.Fatalf("sent %s", got)
			}
			keys = append(keys, strings.Split(ks, ",")...)
		case <-deadline:
			t.Fatalf("the slow subscription sent %v, then nothing of the paper that joined while it hung", keys)
		}
	}
	if slices.Sort(keys); fmt.Sprint(keys) != "[2612.00001 2612.00002]" {
		t.Errorf("slow sent %v", keys)
	}
}

// gatedSource holds its first read of the items until let go.
type gatedSource struct {
	*fakeSource
	gate    chan struct{}
	reading chan struct{}
	once    sync.Once
}

func (g *gatedSource) Items(ctx context.Context, q string) ([]feed.Item, error) {
	items, err := g.fakeSource.Items(ctx, q)
	g.once.Do(func() { close(g.reading); <-g.gate })
	return items, err
}

// A data change while a subscription's run is reading the feed is not
// lost: the run goes again when it ends, not at the next tick.
func TestLoopMissesNoChangeWhileBusy(t *testing.T) {
	c := &clock{t0}
	src := &gatedSource{fakeSource: &fakeSource{}, gate: make(chan struct{}), reading: make(chan struct{})}
	log := &keyLog{}
	sub := webhookSub(t, "https://hooks.example/in", "")
	rec := &memRecords{}
	// It began before.
	if err := rec.SwapRecord(recordKey(sub.Name), nil, []byte(`{"query":"q=agents","start":"2026-12-03T08:00:00Z","baselined":true,"base":"2026-12-03T08:00:00Z","mark":{},"delivered":{}}`)); err != nil {
		t.Fatal(err)
	}
	n := New(Config{Subscriptions: []Subscription{sub}, Source: src, Records: rec, Now: c.now, Log: quiet(), Send: log.send})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wake := make(chan struct{}, 1)
	go n.Loop(ctx, wake, time.Hour)
	<-src.reading // the first run reads an empty feed, slowly
	src.set(item("2612.00001", "One", t0.Add(time.Minute)))
	wake <- struct{}{}
	time.Sleep(50 * time.Millisecond) // the wake is taken while the run is busy
	close(src.gate)
	waitUntil(t, func() bool { return len(log.sent()) == 1 })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
