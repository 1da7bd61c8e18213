package state

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"
)

// Open opens the state store for a data directory: memory only when dir
// is empty, else the bolt file in it. A state file that can be read but
// not written (a read-only file system, or permissions) is read and
// served, with writes off: each write fails and is reported and kept,
// and the file is opened for writing as soon as that works (tried at
// most once a minute). Any other failure is an error the operator must
// act on (ErrUnusableDir, ErrNewerFormat, a file locked by another
// process): a start that could keep nothing across restarts stops
// instead of running on silently.
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
	ro, rerr := openBoltReadOnly(filepath.Join(dir, FileName), log, now)
	if rerr != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusableDir, err)
	}
	log.Error("state file is read-only: serving what it holds, writes are off until it can be written", "path", ro.path, "error", err)
	r := &reopening{dir: dir, log: log, now: now, Memory: NewMemory(), tried: now(), ro: ro}
	r.fail(err)
	return r, nil
}

// ErrUnusableDir means the data directory can neither hold a state file
// nor offers one to read.
var ErrUnusableDir = errors.New("the data directory cannot be used")

func isLocked(err error) bool {
	var l errLocked
	return errors.As(err, &l)
}

// errLocked means another process holds the state file.
type errLocked struct{ err error }

func (e errLocked) Error() string { return e.err.Error() }
func (e errLocked) Unwrap() error { return e.err }

// reopening stands in for a bolt store that could be opened for reading
// only: it serves what the file held, keeps later history in memory, and
// opens the file for writing when it can.
type reopening struct {
	*Memory
	dir string
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	bolt  *Bolt // opened for writing at last
	ro    *Bolt // the file, read-only
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
	if r.ro != nil {
		_ = r.ro.Close() // its shared lock would keep a writer out
	}
	b, err := OpenBolt(r.dir, r.log, r.now)
	if err != nil {
		r.fail(err)
		if r.ro != nil {
			if r.ro, err = openBoltReadOnly(filepath.Join(r.dir, FileName), r.log, r.now); err != nil {
				r.ro = nil
			}
		}
		return nil
	}
	r.log.Info("state file writable again", "path", b.path)
	r.bolt, r.ro, r.err = b, nil, nil
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
	return fmt.Errorf("state file read-only since %s, writes are off: %w", r.since.Format(time.RFC3339), r.err)
}

// readable is the file to read: opened for writing, or read-only.
func (r *reopening) readable() *Bolt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bolt != nil {
		return r.bolt
	}
	return r.ro
}

func (r *reopening) History(id string) ([]Point, error) {
	if b := r.current(); b != nil {
		return b.History(id)
	}
	var h []Point
	if ro := r.readable(); ro != nil {
		var err error
		if h, err = ro.History(id); err != nil {
			return nil, err
		}
	}
	later, err := r.Memory.History(id) // written while read-only
	return append(h, later...), err
}

func (r *reopening) Load(want func(string) bool) (*Snapshot, error) {
	if b := r.readable(); b != nil {
		return b.Load(want)
	}
	return r.Memory.Load(want)
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
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Stats{Kind: "bolt (read-only, writes off)", Path: r.dir}
	if r.ro != nil {
		ro := r.ro.Stats()
		st.Path, st.Size, st.Papers = ro.Path, ro.Size, ro.Papers
	}
	if r.err != nil {
		st.LastError, st.ErrorAt = r.err.Error(), r.tried
	}
	return st // no last_write: nothing was written
}

func (r *reopening) Keys() ([]string, error) {
	if b := r.readable(); b != nil {
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
	if b := r.readable(); b != nil {
		return b.Close()
	}
	return nil
}
