// Package state keeps what paperfeed knows across restarts: the papers
// it held, when each changed, each paper's history of counts, arXiv
// look-ups (arXiv records, linked artifacts), and what the refresh side fetched when. Requests
// never read it; the in-memory store (feed.Store) is filled from it at
// start and written to it after every refresh that changed something.
//
// The rules:
//
//   - One Save is one transaction: a crash at any moment (kill -9, power
//     loss) leaves the state as it was after the last complete Save.
//   - A state file that cannot be read (truncated, garbage, zero length)
//     is moved aside as NAME.corrupt-TIMESTAMP and a fresh one started:
//     paperfeed never refuses to start over its own cache. A state
//     written by a newer format version is refused, not misread.
//   - History records a paper's counts only when they changed. Points
//     older than a week are thinned to one a day.
//   - Retention: listing days, the papers only they hold and their history
//     are dropped Retention after they left the window.
//
// Backend is the interface the service uses; Bolt is the embedded
// implementation, Memory the one used when no data directory is set.
package state

import (
	"context"
	"errors"
	"time"

	"paperfeed/feed"
)

// FormatVersion is the layout this code writes. A state with a higher
// version is refused (ErrNewerFormat).
const FormatVersion = 1

// ErrNewerFormat means the state was written by a newer paperfeed.
var ErrNewerFormat = errors.New("state written by a newer paperfeed format")

// Entry is one snapshot the in-memory store holds under a key: an HF
// listing day ("hf/2026-08-21"), an arXiv announcement day
// ("arxiv/2026-08-21") or a past listing ("period/week/2026-W34").
type Entry struct {
	Papers  []feed.Paper `json:"papers"`
	Fetched time.Time    `json:"fetched"` // when its upstream page was fetched
}

// Point is one moment of a paper's history (feed.Point).
type Point = feed.Point

// PointOf is a paper's counts at a time.
func PointOf(p *feed.Paper, at time.Time) Point { return feed.PointOf(p, at) }

// Lookup is what look-ups learned of a paper (feed.Extra: arXiv's
// record and Hugging Face's linked artifacts), and when the arXiv API
// last did not know it. Saved under the bucket "cats", whose records
// (categories only) it still reads.
type Lookup struct {
	feed.Extra
	Unknown time.Time `json:"unknown,omitzero"`
}

// Snapshot is everything loaded at start.
type Snapshot struct {
	Entries   map[string]Entry
	Changed   map[string]time.Time // paper ID -> when its data last changed
	FirstSeen map[string]time.Time // paper ID -> when the service first held it
	Lookups   map[string]Lookup    // paper ID -> what look-ups learned
	Last      map[string]Point     // paper ID -> its newest history point
	Fetch     map[string][]byte    // refresh-side state by name, opaque here
	Written   time.Time            // when the last Save completed
	// Damaged lists the records that could not be decoded and were left
	// out; everything else was read.
	Damaged []Damage
}

// Change is what one Save writes.
type Change struct {
	At        time.Time
	Put       map[string]Entry
	Delete    []string // entry keys
	Changed   map[string]time.Time
	FirstSeen map[string]time.Time
	Lookups   map[string]Lookup
	Points    map[string]Point // appended to each paper's history
	Fetch     map[string][]byte
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return len(c.Put) == 0 && len(c.Delete) == 0 && len(c.Changed) == 0 && len(c.FirstSeen) == 0 &&
		len(c.Lookups) == 0 && len(c.Points) == 0 && len(c.Fetch) == 0
}

// Stats is what /status and /metrics show of a backend.
type Stats struct {
	Kind      string        `json:"kind"` // "bolt" or "memory"
	Path      string        `json:"path,omitempty"`
	Size      int64         `json:"size_bytes"`
	LastWrite time.Time     `json:"last_write,omitzero"`
	LastError string        `json:"last_error,omitempty"`
	ErrorAt   time.Time     `json:"last_error_at,omitzero"`
	Duration  time.Duration `json:"-"` // of the last write
	Writes    int64         `json:"writes"`
	Errors    int64         `json:"write_errors"`
	Papers    int           `json:"papers"`
	// Damaged lists records the last load could not decode and left out.
	Damaged []Damage `json:"damaged,omitempty"`
	// Quarantined counts records moved out of a shared state (Redis).
	Quarantined int64 `json:"quarantined,omitempty"`
}

// Backend is a state store.
type Backend interface {
	// Keys lists the entry keys held, in order, without reading them.
	Keys() ([]string, error)
	// Load reads the state needed at start: the entries want accepts
	// (nil: all) and the metadata, categories and newest point of their
	// papers (of every paper when want is nil).
	Load(want func(key string) bool) (*Snapshot, error)
	// Save writes one change atomically.
	Save(c *Change) error
	// History returns a paper's points, oldest first.
	History(id string) ([]Point, error)
	// Prune drops the entries keep refuses (given each entry's key and
	// fetch time), with the papers only they held and their history, and
	// thins old history. It returns how many papers it dropped.
	Prune(now time.Time, keep func(key string, fetched time.Time) bool) (int, error)
	Stats() Stats
	// Reset discards a state Load could not read: the file is moved
	// aside and a fresh one started.
	Reset() error
	Close() error
	PersonalStore
	RecordStore
}

// Cluster is what replicas that share one state store coordinate with
// (Redis implements it): a leader lease, the shared data's version and
// its announcements, and a queue of requests for the leader.
type Cluster interface {
	// Campaign takes or renews the lease; it reports whether this replica
	// leads now.
	Campaign(ctx context.Context) (bool, error)
	// Resign gives the lease up.
	Resign(ctx context.Context) error
	// Version is the shared data's version.
	Version(ctx context.Context) (int64, error)
	// Updates signals each announced write until ctx ends.
	Updates(ctx context.Context) <-chan struct{}
	// Ask queues a request for the leader; NextRequest takes one.
	Ask(ctx context.Context, req string) error
	NextRequest(ctx context.Context, wait time.Duration) (string, error)
}
