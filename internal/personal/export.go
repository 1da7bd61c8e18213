package personal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Export is a personal feed written out whole (its page's export, read
// back by import): everything but the token.
type Export struct {
	Format string          `json:"format"` // ExportFormat
	Def    Def             `json:"feed"`
	Votes  map[string]Vote `json:"votes,omitempty"`
}

// ExportFormat names the export's layout.
const ExportFormat = "paperfeed-personal-feed/1"

// Export writes the feed out.
func (f *Feed) Export() Export { return Export{Format: ExportFormat, Def: f.Def, Votes: f.Votes} }

// ReadExport reads an export back, refusing any other layout and any
// value the form would refuse (see Check): an export is as hostile as a
// form. Seeds and vote keys written as arXiv IDs in another spelling
// (a version, a link) are read as the form reads them; of two votes on
// one paper the later is kept. Votes dated after now are refused.
func ReadExport(b []byte, now time.Time) (Export, error) {
	var e Export
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a field misplaced or misspelt is not silently dropped
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("not a personal feed export (JSON; an export holds format, feed {name, filter, like, unlike, created, changed} and votes {ID: {dir, at}}): %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, errors.New("not a personal feed export: more after its JSON object")
	}
	if e.Format != ExportFormat {
		return e, fmt.Errorf("not a personal feed export: format %q, want %q", short(e.Format), ExportFormat)
	}
	if len(e.Votes) > MaxVotes {
		return e, &Error{Field: "votes", Value: fmt.Sprintf("%d votes", len(e.Votes)), Reason: fmt.Sprintf("a feed keeps at most %d", MaxVotes)}
	}
	votes := make(map[string]Vote, len(e.Votes))
	for key, v := range e.Votes {
		id, err := ReadID("votes", key)
		if err != nil {
			return e, err
		}
		switch {
		case v.Dir != More && v.Dir != Less:
			return e, &Error{Field: "votes", Value: id, Reason: fmt.Sprintf("direction %q; a vote is %q or %q", short(v.Dir), More, Less)}
		case v.At.IsZero() || v.At.After(now.Add(time.Minute)):
			return e, &Error{Field: "votes", Value: id, Reason: fmt.Sprintf("dated %s; a vote is dated when it was cast, before now", v.At.UTC().Format(time.RFC3339))}
		}
		v.At = v.At.UTC().Truncate(time.Second) // as stored
		if old, dup := votes[id]; !dup || v.At.After(old.At) {
			votes[id] = v
		}
	}
	e.Votes = votes
	var err error
	for _, side := range []struct {
		field string
		ids   *[]string
	}{{"like", &e.Def.Like}, {"unlike", &e.Def.Unlike}} {
		if len(*side.ids) > MaxSeeds {
			return e, &Error{Field: side.field, Value: fmt.Sprintf("%d papers", len(*side.ids)), Reason: fmt.Sprintf("at most %d", MaxSeeds)}
		}
		if *side.ids, err = ReadIDs(side.field, *side.ids); err != nil {
			return e, err
		}
	}
	f := &Feed{Def: e.Def, Votes: e.Votes}
	return e, f.Check()
}
