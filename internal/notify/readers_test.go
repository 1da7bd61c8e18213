package notify

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sharedMem is a record store any goroutine swaps, as replicas do.
type sharedMem struct{ memRecords }

func (s *sharedMem) SwapSharedRecord(k string, old, v []byte) error { return s.SwapRecord(k, old, v) }

// Sign-ups at once are all kept (the list is swapped, read again when
// another swapped it first); the bounds hold; a sign-up not confirmed
// in time is dropped; a cancelled one cannot be confirmed.
func TestReadersSignUpsAtOnce(t *testing.T) {
	c := &clock{t0}
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return c.t }
	shared := &sharedMem{}
	// Four replicas on one store, ten sign-ups at once on each.
	var replicas [4]*Readers
	for i := range replicas {
		replicas[i] = NewReaders(shared, now)
	}
	rs := replicas[0]
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if _, fresh, err := replicas[i%4].SignUp(fmt.Sprintf("r%d@example.org", i), "q=agents"); err != nil || !fresh {
				t.Errorf("sign-up %d: %v %v", i, fresh, err)
			}
		})
	}
	wg.Wait()
	list, err := rs.List()
	if err != nil || len(list) != 40 {
		t.Fatalf("%d subscriptions kept of 40 at once (%v)", len(list), err)
	}
	if _, fresh, err := rs.SignUp("r1@example.org", "q=agents"); fresh || err != nil {
		t.Errorf("the same sign-up again: fresh %v, %v", fresh, err)
	}
	for i := range MaxPerAddress {
		if _, _, err := rs.SignUp("one@example.org", fmt.Sprintf("q=t%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := rs.SignUp("one@example.org", "q=more"); !errors.Is(err, ErrAddressFull) {
		t.Errorf("past the bound of an address: %v", err)
	}
	r, _, _ := rs.SignUp("late@example.org", "q=agents")
	mu.Lock()
	c.add(ConfirmWithin + time.Minute)
	mu.Unlock()
	if _, err := rs.Confirm(r.Token); !errors.Is(err, ErrNoReader) {
		t.Errorf("a confirmation after %s: %v", ConfirmWithin, err)
	}
	if list, _ := rs.List(); len(list) != 0 {
		t.Errorf("%d sign-ups still held after they expired", len(list))
	}
	r, _, _ = rs.SignUp("gone@example.org", "q=agents")
	if _, err := rs.Remove(r.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Confirm(r.Token); !errors.Is(err, ErrNoReader) {
		t.Errorf("a confirmation after the cancel: %v", err)
	}
	for _, bad := range []string{"Ann <ann@example.org>", "no-at", "a@b.org\r\nBcc: x@y.org", string(make([]byte, 300))} {
		if _, err := Address(bad); err == nil {
			t.Errorf("Address(%q) accepted", bad)
		}
	}
	if a, err := Address(" Ann@Example.ORG "); a != "ann@example.org" || err != nil {
		t.Errorf("Address: %q %v", a, err)
	}
}
