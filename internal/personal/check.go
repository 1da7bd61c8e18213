package personal

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"paperfeed/feed"
)

// MaxStoredBytes bounds a feed as stored: its definition and votes. A
// feed within the other bounds takes at most about 20 kB (a real one
// some 7 kB); this is the backstop that holds whatever path wrote it.
const MaxStoredBytes = 32 << 10

// Error names the field of a feed that breaks a bound (name, filter,
// like, unlike, votes), the value, and what is accepted.
type Error struct{ Field, Value, Reason string }

func (e *Error) Error() string { return fmt.Sprintf("%s=%s: %s", e.Field, e.Value, e.Reason) }

// short is a value as an error repeats it: at most 40 characters.
func short(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// ReadID reads one paper named in field: an arXiv ID in any spelling
// feed.ParseArxivID reads (a version, an abs/ or pdf/ link), returned
// version-free; anything else (two IDs, a path, markup) is refused.
func ReadID(field, s string) (string, error) {
	id, _, ok := "", 0, false
	if len(s) <= 100 {
		id, _, ok = feed.ParseArxivID(s)
	}
	if !ok {
		return "", &Error{Field: field, Value: fmt.Sprintf("%q", short(s)), Reason: "not an arXiv ID; write one ID per paper, like 2501.01234 (or 2501.01234v2, an arxiv.org/abs/ link)"}
	}
	return id, nil
}

// ReadIDs reads a list of papers with ReadID, sorted and without
// repeats.
func ReadIDs(field string, list []string) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, s := range list {
		id, err := ReadID(field, s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Size is the feed's size as stored, in bytes.
func (f *Feed) Size() int {
	n := len(EncodeDef(f.Def))
	for id, v := range f.Votes {
		n += len(id) + len(EncodeVote(v))
	}
	return n
}

// Check reports the first bound the feed breaks: the name (MaxName
// characters, one line), the filter (MaxFilter bytes), the seeds
// (MaxSeeds a side, version-free arXiv IDs, none on both sides), the
// votes (MaxVotes, on version-free arXiv IDs) and MaxStoredBytes.
func (f *Feed) Check() error {
	switch {
	case utf8.RuneCountInString(f.Name) > MaxName || !utf8.ValidString(f.Name):
		return &Error{Field: "name", Value: short(f.Name), Reason: fmt.Sprintf("at most %d characters", MaxName)}
	case strings.ContainsFunc(f.Name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return &Error{Field: "name", Value: fmt.Sprintf("%q", short(f.Name)), Reason: "one line of text, without control characters"}
	case len(f.Filter) > MaxFilter:
		return &Error{Field: "filter", Value: short(f.Filter), Reason: fmt.Sprintf("at most %d bytes", MaxFilter)}
	case len(f.Votes) > MaxVotes:
		return &Error{Field: "votes", Value: fmt.Sprintf("%d votes", len(f.Votes)), Reason: fmt.Sprintf("a feed keeps at most %d", MaxVotes)}
	}
	for _, side := range []struct {
		field string
		ids   []string
	}{{"like", f.Like}, {"unlike", f.Unlike}} {
		if len(side.ids) > MaxSeeds {
			return &Error{Field: side.field, Value: fmt.Sprintf("%d papers", len(side.ids)), Reason: fmt.Sprintf("at most %d; vote on items to add more", MaxSeeds)}
		}
		for _, id := range side.ids {
			if canon, _, ok := feed.ParseArxivID(id); !ok || canon != id {
				return &Error{Field: side.field, Value: fmt.Sprintf("%q", short(id)), Reason: "not a version-free arXiv ID"}
			}
		}
	}
	for _, id := range f.Unlike {
		if slices.Contains(f.Like, id) {
			return &Error{Field: "unlike", Value: id, Reason: "is liked too; a paper is liked or unliked, not both"}
		}
	}
	for id, v := range f.Votes {
		if canon, _, ok := feed.ParseArxivID(id); !ok || canon != id || (v.Dir != More && v.Dir != Less) {
			return &Error{Field: "votes", Value: fmt.Sprintf("%q", short(id)), Reason: "a vote is more or less on a version-free arXiv ID"}
		}
	}
	if n := f.Size(); n > MaxStoredBytes {
		return &Error{Field: "feed", Value: fmt.Sprintf("%d bytes", n), Reason: fmt.Sprintf("a personal feed is stored in at most %d bytes", MaxStoredBytes)}
	}
	return nil
}
