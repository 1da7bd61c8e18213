package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
)

// A channel added the way docs/architecture.md says (an entry in
// channels, its name in Channels) is read from the notify file, checked
// for its setting, and sent to by the notifier, each paper once, with
// the list-for-people rules (MaxPerMessage listed, the rest counted).
func TestAChannelIsOneEntry(t *testing.T) {
	var mu sync.Mutex
	var got []*Message
	channels["pigeon"] = channel{
		target: func(s *Subscription, target string, env Env) error {
			coop, err := resolve(target, env)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(coop, "coop-") {
				return fmt.Errorf("pigeon target must be coop-N")
			}
			s.url, s.Shown = coop, "coop …"
			return nil
		},
		send: func(_ context.Context, _ Settings, s Subscription, m *Message) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m)
			return "pigeon " + s.url + ": flown", nil
		},
		ready: func(set Settings) error {
			if set.UserAgent == "" {
				return errors.New("pigeons need a name: set the user agent")
			}
			return nil
		},
	}
	Channels = append(Channels, "pigeon")
	t.Cleanup(func() { delete(channels, "pigeon"); Channels = Channels[:len(Channels)-1] })

	subs, err := ParseSubscriptions(strings.NewReader("birds: pigeon $COOP q=agents\n"), "f", env(map[string]string{"COOP": "coop-7"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := subs[0]
	if sub.Channel != "pigeon" || sub.Shown != "coop …" || sub.Query != "q=agents" {
		t.Fatalf("parsed %+v", sub)
	}
	if _, err := ParseSubscriptions(strings.NewReader("birds: pigeon nest-1 q=agents\n"), "f", env(nil), nil); err == nil || !strings.Contains(err.Error(), "coop-N") {
		t.Errorf("a bad target: %v", err)
	}
	if _, err := ParseSubscriptions(strings.NewReader("birds: raven x q=agents\n"), "f", env(nil), nil); err == nil || !strings.Contains(err.Error(), "pigeon") {
		t.Errorf("an unknown channel's error does not list the new one: %v", err)
	}
	if err := sub.Ready(Settings{}); err == nil {
		t.Error("a channel's missing setting is not reported")
	}
	set := Settings{UserAgent: "paperfeed-test"}
	if err := sub.Ready(set); err != nil {
		t.Error(err)
	}

	c := &clock{t0}
	src := &fakeSource{}
	n := New(Config{Subscriptions: []Subscription{sub}, Source: src, Records: &memRecords{}, Now: c.now, Log: quiet(),
		Send: func(ctx context.Context, s Subscription, m *Message) (string, error) { return Send(ctx, set, s, m) }})
	n.Run(t.Context()) // begins from now
	c.add(time.Minute)
	var batch []feed.Item
	for i := range MaxPerMessage + 3 {
		batch = append(batch, item(fmt.Sprintf("2612.%05d", 200+i), fmt.Sprintf("Paper %d", i), c.t))
	}
	src.set(batch...)
	n.Run(t.Context())
	n.Run(t.Context())
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d messages for one burst, want 1", len(got))
	}
	m := got[0]
	if len(m.Papers) != MaxPerMessage || m.More != 3 || len(m.Keys) != MaxPerMessage+3 || len(m.JSONFeed) != 0 {
		t.Errorf("message lists %d papers, %d more, %d keys, JSON %d bytes", len(m.Papers), m.More, len(m.Keys), len(m.JSONFeed))
	}
	if !slices.Contains(Channels, "pigeon") {
		t.Error("Channels lost the new name")
	}
}
