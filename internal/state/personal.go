package state

import (
	"crypto/rand"
	"errors"
	"maps"
	"sync"
)

// Personal feeds (/f/TOKEN) are small records that any replica may
// write, unlike the data the leader refreshes: a definition (opaque
// here) and a vote per paper. Every request reads them from the backend,
// so a vote recorded through one replica is seen by all at once.
//
//   - A record is addressed by its token; a vote is written on its own
//     (two votes at once through two replicas are both kept).
//   - Deleting a feed deletes its definition and every vote.
//   - The signing secret of vote links is made once and shared: the
//     first replica to ask creates it, the others read it.

// ErrNoPersonal means no personal feed has the token.
var ErrNoPersonal = errors.New("no personal feed with this token")

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
	// PersonalPut creates a feed or replaces its definition, keeping its
	// votes.
	PersonalPut(token string, def []byte) error
	// PersonalVote records a vote on a paper of an existing feed; an
	// empty vote removes it.
	PersonalVote(token, id, vote string) error
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

// personalMem is the memory backend's personal feeds.
type personalMem struct {
	mu     sync.Mutex
	feeds  map[string]PersonalRecord
	secret []byte
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

// PersonalPut creates or redefines a feed.
func (m *Memory) PersonalPut(token string, def []byte) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.feeds == nil {
		p.feeds = map[string]PersonalRecord{}
	}
	r := p.feeds[token]
	if r.Votes == nil {
		r.Votes = map[string]string{}
	}
	r.Def = append([]byte(nil), def...)
	p.feeds[token] = r
	return nil
}

// PersonalVote records or removes a vote.
func (m *Memory) PersonalVote(token, id, vote string) error {
	p := &m.personal
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.feeds[token]
	if !ok {
		return ErrNoPersonal
	}
	if vote == "" {
		delete(r.Votes, id)
	} else {
		r.Votes[id] = vote
	}
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
