package personal

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Bounds of one personal feed.
const (
	MaxSeeds  = 50   // liked seeds, and unliked ones (filter.MaxLike)
	MaxVotes  = 200  // votes kept; the oldest give way
	MaxFilter = 2000 // bytes of the filter's query string
	MaxName   = 100  // characters of the name
)

// Vote directions.
const (
	More = "more"
	Less = "less"
)

// Def is a personal feed's definition: what its reader set.
type Def struct {
	Name    string    `json:"name"`
	Filter  string    `json:"filter"` // the feed's query string, without like= and unlike=
	Like    []string  `json:"like,omitempty"`
	Unlike  []string  `json:"unlike,omitempty"`
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
}

// Vote is one vote: a direction and when it was cast.
type Vote struct {
	Dir string    `json:"dir"`
	At  time.Time `json:"at"`
}

// Feed is a personal feed: its token, definition and votes by paper.
type Feed struct {
	Token string
	Def
	Votes map[string]Vote
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken is a fresh 128-bit token.
func NewToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return strings.ToLower(tokenEncoding.EncodeToString(b))
}

// ValidToken reports whether s is written as a token is.
func ValidToken(s string) bool {
	if len(s) != 26 {
		return false
	}
	b, err := tokenEncoding.DecodeString(strings.ToUpper(s))
	return err == nil && len(b) == 16 && strings.ToLower(s) == s
}

// EncodeVote and DecodeVote are a vote as stored.
func EncodeVote(v Vote) string { return v.Dir + " " + v.At.UTC().Format(time.RFC3339) }

// DecodeVote reads a stored vote.
func DecodeVote(s string) (Vote, bool) {
	dir, at, _ := strings.Cut(s, " ")
	if dir != More && dir != Less {
		return Vote{}, false
	}
	t, _ := time.Parse(time.RFC3339, at)
	return Vote{Dir: dir, At: t}, true
}

// Decode reads a stored feed.
func Decode(token string, def []byte, votes map[string]string) (*Feed, error) {
	f := &Feed{Token: token, Votes: map[string]Vote{}}
	if err := json.Unmarshal(def, &f.Def); err != nil {
		return nil, fmt.Errorf("personal feed definition unreadable: %w", err) // no token: errors are logged
	}
	for id, s := range votes {
		if v, ok := DecodeVote(s); ok {
			f.Votes[id] = v
		}
	}
	return f, nil
}

// EncodeDef is a definition as stored.
func EncodeDef(d Def) []byte {
	b, _ := json.Marshal(d)
	return b
}

// Positives are the liked seeds and the papers voted "more", sorted;
// Negatives the unliked seeds and the papers voted "less" (a vote
// overrides a seed's side).
func (f *Feed) Positives() []string { return f.side(f.Like, More) }

// Negatives: see Positives.
func (f *Feed) Negatives() []string { return f.side(f.Unlike, Less) }

func (f *Feed) side(seeds []string, dir string) []string {
	var out []string
	for _, id := range seeds {
		if v, ok := f.Votes[id]; !ok || v.Dir == dir {
			out = append(out, id)
		}
	}
	for id, v := range f.Votes {
		if v.Dir == dir {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Voted are the papers voted in direction dir, sorted.
func (f *Feed) Voted(dir string) []string {
	var out []string
	for id, v := range f.Votes {
		if v.Dir == dir {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Oldest is the paper whose vote is the oldest: the one to give way
// when a feed holds MaxVotes.
func (f *Feed) Oldest() string {
	var id string
	var at time.Time
	for k, v := range f.Votes {
		if id == "" || v.At.Before(at) || (v.At.Equal(at) && k < id) {
			id, at = k, v.At
		}
	}
	return id
}
