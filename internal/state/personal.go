package state

import (
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Personal feeds (/f/TOKEN) are small records that any replica may
// write, unlike the data the leader refreshes: a definition (opaque
// here) and a vote per paper. Every request reads them from the backend,
// so a vote recorded through one replica is seen by all at once.
//
//   - A record is addressed by its token; a vote is written on its own
//     (two votes at once through two replicas are both kept).
//   - Every bound is checked in the same step as the write it bounds
//     (one bolt transaction, one Redis script), so requests racing
//     through any number of replicas cannot pass it: a feed is created
//     only while fewer than Limits.Feeds are held and the client has a
//     creation left; a vote on a feed holding maxVotes makes the oldest
//     vote give way.
//   - A vote's age is its value's text after the first space (package
//     personal writes "more 2026-12-01T10:00:00Z": RFC 3339 in UTC sorts
//     as time does); of two votes as old, the lower paper ID is older.
//   - A client's creations are a token bucket kept in the store (GCRA:
//     one time per client), so the budget is one for all replicas and
//     survives a restart of the file.
//   - Deleting a feed deletes its definition and every vote.
//   - The signing secret of vote links is the one the store holds: the
//     first replica to ask creates it, the others read it, and a backend
//     that finds it gone (a wiped Redis) writes back the one it last saw
//     unless another replica wrote one first. Read on every use, it is
//     one for all replicas at any moment.

// ErrNoPersonal means no personal feed has the token.
var ErrNoPersonal = errors.New("no personal feed with this token")

// ErrPersonalFull means the store holds Limits.Feeds feeds.
var ErrPersonalFull = errors.New("the personal feeds' limit is reached")

// CreateLimitError means the client has made as many feeds as its budget
// allows for now; Retry is when the next is allowed.
type CreateLimitError struct{ Retry time.Duration }

func (e *CreateLimitError) Error() string {
	return fmt.Sprintf("too many personal feeds made by this client; the next is allowed in %s", e.Retry.Round(time.Second))
}

// Limits bound the creation of personal feeds.
type Limits struct {
	Feeds int           // feeds held at most
	Burst int           // creations a client may make at once
	Every time.Duration // and then one per Every
	Now   time.Time
}

// tolerance is how far ahead of now a client's time may run.
func (l Limits) tolerance() time.Duration { return l.Every * time.Duration(max(l.Burst-1, 0)) }

// admit spends one of a client's creations: tat is the client's stored
// time (zero: none), the result its new one, or the wait.
func (l Limits) admit(tat time.Time) (time.Time, error) {
	if tat.Before(l.Now) {
		tat = l.Now
	}
	if ahead := tat.Sub(l.Now); ahead > l.tolerance() {
		return time.Time{}, &CreateLimitError{Retry: ahead - l.tolerance()}
	}
	return tat.Add(l.Every), nil
}

// PersonalRecord is a personal feed as stored: its definition and its
// votes (paper ID -> vote).
type PersonalRecord struct {
	Def   []byte
	Votes map[string]string
}

// PersonalStore keeps personal feeds.
type PersonalStore interface {
	// PersonalGet reads a feed (ErrNoPersonal when there is none).
	PersonalGet(token string) (PersonalRecord, error)
	// PersonalCreate writes a new feed whole, definition and votes, in
	// one step with its bounds: ErrPersonalFull when lim.Feeds are held,
	// a *CreateLimitError when the client (any string naming it) has no
	// creation left.
	PersonalCreate(token string, rec PersonalRecord, client string, lim Limits) error
	// PersonalPut replaces the definition of an existing feed, keeping
	// its votes (ErrNoPersonal when there is none).
	PersonalPut(token string, def []byte) error
	// PersonalVote records a vote on a paper of an existing feed; an
	// empty vote removes it. A feed holding maxVotes votes lets its
	// oldest give way, in the same step.
	PersonalVote(token, id, vote string, maxVotes int) error
	// PersonalDelete deletes a feed and its votes.
	PersonalDelete(token string) error
	// PersonalCount is how many feeds are held.
	PersonalCount() (int, error)
	// PersonalSecret is the shared secret vote links are signed with,
	// made on first use.
	PersonalSecret() ([]byte, error)
}

// newSecret is 32 random bytes.
func newSecret() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// voteAge is what orders votes by age (see the rules above).
func voteAge(vote string) string {
	_, at, _ := strings.Cut(vote, " ")
	return at
}

// giveWay are the votes to remove before a new one is added to votes,
// so that at most maxVotes are held: the oldest, or none (a vote that
// replaces one, maxVotes <= 0).
func giveWay(votes map[string]string, id string, maxVotes int) []string {
	if _, had := votes[id]; had || maxVotes <= 0 || len(votes) < maxVotes {
		return nil
	}
	ids := slices.Collect(maps.Keys(votes))
	slices.SortFunc(ids, func(a, b string) int {
		if c := strings.Compare(voteAge(votes[a]), voteAge(votes[b])); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ids[:len(votes)-maxVotes+1]
}

// personalMem is the memory backend's personal feeds.
type personalMem struct {
	mu      sync.Mutex
	feeds   map[string]PersonalRecord
	creates map[string]time.Time // client -> its time (GCRA)
	secret  []byte
}

// PersonalGet reads a feed.
func (m *Memory) PersonalGet(token string) (PersonalRecord, error) {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.feeds[token]
	if !ok {
		return PersonalRecord{}, ErrNoPersonal
	}
	return PersonalRecord{Def: append([]byte(nil), r.Def...), Votes: maps.Clone(r.Votes)}, nil
}

// PersonalCreate writes a new feed within its bounds.
func (m *Memory) PersonalCreate(token string, rec PersonalRecord, client string, lim Limits) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.feeds == nil {
		p.feeds, p.creates = map[string]PersonalRecord{}, map[string]time.Time{}
	}
	if _, taken := p.feeds[token]; taken {
		return fmt.Errorf("personal feed %s exists already", token)
	}
	if len(p.feeds) >= lim.Feeds {
		return ErrPersonalFull
	}
	tat, err := lim.admit(p.creates[client])
	if err != nil {
		return err
	}
	maps.DeleteFunc(p.creates, func(_ string, t time.Time) bool { return t.Before(lim.Now) })
	p.creates[client] = tat
	votes := maps.Clone(rec.Votes)
	if votes == nil {
		votes = map[string]string{}
	}
	p.feeds[token] = PersonalRecord{Def: append([]byte(nil), rec.Def...), Votes: votes}
	return nil
}

// PersonalPut redefines an existing feed.
func (m *Memory) PersonalPut(token string, def []byte) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.feeds[token]
	if !ok {
		return ErrNoPersonal
	}
	r.Def = append([]byte(nil), def...)
	p.feeds[token] = r
	return nil
}

// PersonalVote records or removes a vote.
func (m *Memory) PersonalVote(token, id, vote string, maxVotes int) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.feeds[token]
	if !ok {
		return ErrNoPersonal
	}
	if vote == "" {
		delete(r.Votes, id)
		return nil
	}
	for _, old := range giveWay(r.Votes, id, maxVotes) {
		delete(r.Votes, old)
	}
	r.Votes[id] = vote
	return nil
}

// PersonalDelete deletes a feed.
func (m *Memory) PersonalDelete(token string) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.feeds[token]; !ok {
		return ErrNoPersonal
	}
	delete(p.feeds, token)
	return nil
}

// PersonalCount counts the feeds.
func (m *Memory) PersonalCount() (int, error) {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.feeds), nil
}

// PersonalSecret is made once per process (nothing survives it).
func (m *Memory) PersonalSecret() ([]byte, error) {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.secret == nil {
		s, err := newSecret()
		if err != nil {
			return nil, err
		}
		p.secret = s
	}
	return p.secret, nil
}
