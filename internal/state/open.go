package state

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Open opens the state store for a data directory: memory only when dir
// is empty, else the bolt file in it. A newer format, or a file locked by
// another process, is an error (the operator must act). Any other
// failure to open (a read-only or missing-permission directory, a full
// disk) gives a store that serves from memory, reports the error, and
// tries again to open the file at each save, at most once a minute.
func Open(dir string, log *slog.Logger, now func() time.Time) (Backend, error) {
	if dir == "" {
		return NewMemory(), nil
	}
	b, err := OpenBolt(dir, log, now)
	if err == nil {
		return b, nil
	}
	if errors.Is(err, ErrNewerFormat) || isLocked(err) {
		return nil, err
	}
	log.Error("state store unavailable; serving from memory, will retry", "dir", dir, "error", err)
	r := &reopening{dir: dir, log: log, now: now, Memory: NewMemory(), tried: now()}
	r.fail(err)
	return r, nil
}

func isLocked(err error) bool {
	var l errLocked
	return errors.As(err, &l)
}

// errLocked means another process holds the state file.
type errLocked struct{ err error }

func (e errLocked) Error() string { return e.err.Error() }
func (e errLocked) Unwrap() error { return e.err }

// reopening stands in for a bolt store that could not be opened: it
// keeps history in memory and opens the file when it can.
type reopening struct {
	*Memory
	dir string
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	bolt  *Bolt
	tried time.Time
	err   error
	since time.Time
}

const reopenEvery = time.Minute

func (r *reopening) fail(err error) {
	if r.err == nil {
		r.since = r.now()
	}
	r.err = err
}

func (r *reopening) open() *Bolt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bolt != nil {
		return r.bolt
	}
	if r.now().Sub(r.tried) < reopenEvery {
		return nil
	}
	r.tried = r.now()
	b, err := OpenBolt(r.dir, r.log, r.now)
	if err != nil {
		r.fail(err)
		return nil
	}
	r.log.Info("state store available again", "path", b.path)
	r.bolt, r.err = b, nil
	return b
}

// Save writes to the file once it opens; until then it fails, so the
// caller keeps the change and retries.
func (r *reopening) Save(c *Change) error {
	if b := r.open(); b != nil {
		return b.Save(c)
	}
	_ = r.Memory.Save(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Errorf("state store unavailable since %s: %w", r.since.Format(time.RFC3339), r.err)
}

func (r *reopening) History(id string) ([]Point, error) {
	if b := r.current(); b != nil {
		return b.History(id)
	}
	return r.Memory.History(id)
}

func (r *reopening) Prune(now time.Time, keep func(string, time.Time) bool) (int, error) {
	if b := r.current(); b != nil {
		return b.Prune(now, keep)
	}
	return r.Memory.Prune(now, keep)
}

func (r *reopening) current() *Bolt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bolt
}

func (r *reopening) Stats() Stats {
	if b := r.current(); b != nil {
		return b.Stats()
	}
	st := r.Memory.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	st.Kind, st.Path = "bolt (unavailable, in memory)", r.dir
	if r.err != nil {
		st.LastError, st.ErrorAt = r.err.Error(), r.tried
	}
	return st
}

func (r *reopening) Keys() ([]string, error) {
	if b := r.current(); b != nil {
		return b.Keys()
	}
	return r.Memory.Keys()
}

func (r *reopening) Reset() error {
	if b := r.current(); b != nil {
		return b.Reset()
	}
	return r.Memory.Reset()
}

func (r *reopening) Close() error {
	if b := r.current(); b != nil {
		return b.Close()
	}
	return nil
}
