package feed

import (
	"html"
	"strconv"
	"strings"
	"time"
)

// Item is one entry of a rendered feed: a paper with what the feed's
// query adds to it (a date, its gain, a note), or a digest of several
// papers.
type Item struct {
	Paper *Paper
	// Date is the item's date when the query sets one (the moment the
	// paper met the feed's conditions); zero means Paper.Day().
	Date time.Time
	// Gain is the upvotes gained over GainHours; shown when GainHours > 0.
	Gain, GainHours int
	// Notes are lines the query adds above the description ("code since
	// Thu 27 Nov").
	Notes []string
	// Similarity is the paper's score against the seeds of like=, and
	// CloseTo the closest seed's title ("" without like).
	Similarity float64
	CloseTo    string
	// Version, when above 1, makes the item the event of that version
	// being posted (revised=1): a GUID of its own (VersionGUID) and the
	// version in its title.
	Version int
	// Digest, when set, makes the item a digest; Paper is then nil.
	Digest *Digest
	// Votes, in a personal feed, are the item's "more / less like this"
	// links; Liked marks a paper its reader voted "more like this".
	Votes *VoteLinks
	Liked bool
	// Own: the query changes the item's bytes in a way its other fields
	// do not show (a parameter's Bytes in filter's table), so it is never
	// the bytes its paper keeps for every feed that holds it.
	Own bool
}

// VoteLinks are a personal feed item's vote links (absolute URLs).
type VoteLinks struct{ More, Less string }

// guid is the item's permanent identifier: the paper's (or its
// version's), or, in a feed with a GUID scope, the feed's own for it.
func (it *Item) guid(scope string) string {
	g := GUID(it.Paper.ID)
	if it.Version > 1 {
		g = VersionGUID(it.Paper.ID, it.Version)
	}
	if scope != "" {
		return "urn:paperfeed:feed:" + scope + ":" + strings.TrimPrefix(g, GUID(""))
	}
	return g
}

// title is the item's title: a version event names its version.
func (it *Item) title() string {
	if it.Version > 1 {
		return it.Paper.Title + " (v" + itoa(it.Version) + ")"
	}
	return it.Paper.Title
}

// Digest is an item that lists the top papers of one closed listing
// period.
type Digest struct {
	GUID  string
	Title string
	Link  string
	HTML  string // the list, ready to show (escaped)
	// Entries are the papers listed, for those who render it themselves
	// (a message's plain text).
	Entries []DigestEntry
	Period  string // "day/2026-11-26", "week/2026-W48", "month/2026-11"
	Shown   int    // papers listed
	Total   int    // papers of the period that passed the filter
	From    string // what held the period: "days held" or "Hugging Face's week listing"
}

// Items wraps papers as items that add nothing.
func Items(papers []*Paper) []Item {
	out := make([]Item, len(papers))
	for i, p := range papers {
		out[i] = Item{Paper: p}
	}
	return out
}

// When is the item's date.
func (it *Item) When() time.Time {
	if !it.Date.IsZero() {
		return it.Date
	}
	if it.Paper != nil {
		return it.Paper.Day()
	}
	return time.Time{}
}

// extraHTML is what the query adds above a paper's description.
func (it *Item) extraHTML() string {
	if it.Paper == nil {
		return ""
	}
	s := "" // the gain goes next to the count (withGain)
	for _, n := range it.Notes {
		s += "<p><em>" + html.EscapeString(n) + "</em></p>"
	}
	if it.Liked {
		s += "<p><em>You liked this (more like this): it steers the feed.</em></p>"
	}
	if it.CloseTo != "" {
		s += "<p><em>Close to: " + html.EscapeString(it.CloseTo) + " (similarity " + strconv.FormatFloat(it.Similarity, 'f', 2, 64) + ")</em></p>"
	}
	if it.Votes != nil {
		s += `<p><a href="` + html.EscapeString(it.Votes.More) + `">More like this</a> · <a href="` + html.EscapeString(it.Votes.Less) + `">Less like this</a></p>`
	}
	return s
}

// Point is one moment of a paper's history: its counts, whether it had
// code, its linked artifacts, its latest version and where it was
// accepted.
type Point struct {
	At       time.Time `json:"t"`
	Upvotes  int       `json:"u"`
	Comments int       `json:"c"`
	Stars    int       `json:"s,omitempty"`
	Code     bool      `json:"k,omitempty"`
	Models   int       `json:"m,omitempty"`
	Datasets int       `json:"d,omitempty"`
	Spaces   int       `json:"sp,omitempty"`
	Version  int       `json:"v,omitempty"`
	// Venue is the key of the venue the paper was accepted at or
	// published in ("" when none is known).
	Venue string `json:"ve,omitempty"`
	// NoHF: the paper was not on Hugging Face yet (arXiv's alone), so
	// its Hugging Face counts were not known, not zero.
	NoHF bool `json:"nh,omitempty"`
}

// Same reports whether two points hold the same values.
func (p Point) Same(o Point) bool {
	p.At = o.At
	return p == o
}

// PointOf is a paper's values at a time.
func PointOf(p *Paper, at time.Time) Point {
	pt := Point{At: at, Upvotes: p.Upvotes, Comments: p.Comments, Stars: p.GitHubStars, Code: p.HasCode(),
		Models: p.Artifacts.Models, Datasets: p.Artifacts.Datasets, Spaces: p.Artifacts.Spaces, Version: p.Version, NoHF: !p.OnHF}
	if p.Venue.Accepted() {
		pt.Venue = p.Venue.Key
	}
	return pt
}

// Notable reports whether a point says more than a paper's listing does:
// a venue, a later version or linked artifacts. Papers without counts
// (arXiv's) get a history only from such a point on.
func (p Point) Notable() bool {
	return p.Venue != "" || p.Version > 1 || p.Models+p.Datasets+p.Spaces > 0
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func signed(n int) string {
	if n >= 0 {
		return "+" + itoa(n)
	}
	return itoa(n)
}
