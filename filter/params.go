package filter

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"paperfeed/feed"
)

// The query parameters are one table, params: each entry is one
// parameter with everything the rest of the service must know of it.
// Parse reads the entries in the table's order (so that errors come out
// in a fixed order) and the feed's title says the entries' words in that
// order too. The rules a new parameter must state, which are easy to
// miss elsewhere:
//
//   - Reads: what besides the data version its feed depends on (the
//     clock's day, gains that move with the clock, a past listing, the
//     listings of closed periods). A feed that reads nothing else is
//     rendered once per data version and its render reused by every
//     request written the same way (engine: Plan.Aliasable and Plan.Key);
//     a parameter that reads the clock and does not say so gives stale
//     feeds.
//   - Bytes: whether it changes an item's own bytes beyond what the item
//     shows it does (its date, gain, notes, similarity, version, votes).
//     An item of a feed with such a parameter is never the bytes a paper
//     keeps for every feed that holds it (feed.Item.Own).
//   - Words: its words in the feed's title and description ("20+
//     upvotes", "with code"); nothing when it is not set.
//   - Keep: for a parameter the index does not filter on its own (the
//     older ones do, in selection.keep), the test of one paper. A parameter
//     kept this way reads its canonical value with Query.Value.
//   - Field: its field on the builder page, for a parameter the page
//     does not lay out by hand (the older ones); the page shows such
//     fields under "More filters".
//
// A parameter that changes nothing without another (gain_hours without
// trending) is refused unless it says its default, and one that says
// what is the default anyway leaves the canonical form: checkCompanions
// in query.go holds those rules, one feed to one URL.
//
// The builder page has a field for every entry and docs/filters.md a row
// (a test in internal/server holds both to the table). A parameter that
// comes with a source (its package's registration) is added with
// Register, before the server starts.

// Param is one query parameter.
type Param struct {
	Name string
	// List: a comma-separated list, which may also be repeated (as an
	// HTML form's checkboxes send it).
	List bool
	// RSSHubRoute: taken only on RSSHub's routes (rsshub_params.go).
	RSSHubRoute bool
	// Set validates a (non-empty, trimmed) value and sets it in q,
	// writing its canonical form (q.raw.Set; Query.Write outside this
	// package) unless it is the default.
	Set func(q *Query, key, val string, o Options) error
	// Reads says what the feed reads beyond the data version.
	Reads func(q *Query) Reads
	// Bytes reports whether the parameter, as set in q, changes items'
	// bytes in a way the item's own fields do not show.
	Bytes func(q *Query) bool
	// Words are the parameter's words in the title and description.
	Words func(q *Query) []string
	// Keep tests one paper, for a parameter that is set (Value is not
	// empty).
	Keep func(q *Query, p *feed.Paper) bool
	// Field is its field on the builder page; nil for the parameters the
	// page lays out itself.
	Field *Field
}

// Field is a builder page field: a text box, a number box with bounds,
// or a choice among values.
type Field struct {
	Label, Placeholder string
	Number             bool
	Min, Max           int
	Choices            []Choice // a select; the first is the default
}

// Choice is one value of a select field.
type Choice struct{ Value, Label string }

// Reads are what a feed depends on beyond the data version.
type Reads uint8

// The things a feed may read.
const (
	ReadsDay     Reads = 1 << iota // the clock's day (its window moves daily)
	ReadsGains                     // upvotes gained, which move with the clock
	ReadsListing                   // a past Hugging Face listing, fetched on demand
	ReadsDigests                   // the listings of the closed periods a digest covers
)

// params are the parameters, in the order Parse reads them and the
// title says them.
var params = []Param{
	{Name: "q", Set: setKeywords},
	{Name: "in", List: true, Set: setIn, Words: func(q *Query) []string {
		return when2(!q.Keywords.Empty() && !slices.Equal(q.In, defaultFields), "searched in "+strings.Join(q.In, ", "))
	}},
	intParam{0, maxCount, 0, countReason, func(q *Query) *int { return &q.MinUpvotes }}.entry("min_upvotes", "%d+ upvotes"),
	intParam{0, maxCount, 0, countReason, func(q *Query) *int { return &q.MinStars }}.entry("min_stars", "%d+ stars"),
	intParam{0, maxCount, 0, countReason, func(q *Query) *int { return &q.MinComments }}.entry("min_comments", "%d+ comments"),
	{Name: "has_code", Set: setHasCode, Words: hasCodeWords},
	{Name: "venue", List: true, Set: setFact, Words: venueWords},
	{Name: "accepted", Set: setFact, Words: acceptedWords},
	{Name: "has_model", Set: setFact, Words: factWords(func(f *Facts) *bool { return f.HasModel }, "with a model", "without a model")},
	{Name: "has_dataset", Set: setFact, Words: factWords(func(f *Facts) *bool { return f.HasDataset }, "with a dataset", "without a dataset")},
	{Name: "has_demo", Set: setFact, Words: factWords(func(f *Facts) *bool { return f.HasDemo }, "with a demo", "without a demo")},
	{Name: "min_models", Set: setFact, Words: func(q *Query) []string { return countWords(q.MinModels, "%d+ models") }},
	{Name: "revised", Set: setFact, Words: factWords(func(f *Facts) *bool { return f.Revised }, "new versions", "first versions only")},
	{Name: "category", List: true, Set: setCategory, Words: listWords(func(q *Query) []string { return q.Categories }, "", " or ")},
	{Name: "author", List: true, Set: setSubstrings, Words: listWords(func(q *Query) []string { return q.Authors }, "by ", " or ")},
	{Name: "org", List: true, Set: setSubstrings, Words: listWords(func(q *Query) []string { return q.Orgs }, "from ", " or ")},
	{Name: "source", Set: setSource},
	{Name: "announce", List: true, Set: setAnnounce, Words: listWords(func(q *Query) []string { return q.Announce }, "announced as ", "/")},
	{Name: "date", Set: setTime, Reads: readsListing, Words: dateWords},
	{Name: "week", Set: setTime, Reads: readsListing, Words: func(q *Query) []string { return prefixed("week ", q.Week) }},
	{Name: "month", Set: setTime, Reads: readsListing, Words: func(q *Query) []string { return prefixed("month ", q.Month) }},
	{Name: "days", Set: setTime, Words: daysWords},
	{Name: "since", Set: setTime, Words: func(q *Query) []string { return dayWords("since ", q.Since) }},
	{Name: "until", Set: setTime, Words: func(q *Query) []string { return dayWords("until ", q.Until) }},
	// RSSHub's regex filters come here (init), the first with the words.
	{Name: "sort", Set: setSort, Reads: readsGains},
	intParam{1, MaxLimit, DefaultLimit, fmt.Sprintf("must be between 1 and %d (default %d)", MaxLimit, DefaultLimit),
		func(q *Query) *int { return &q.Limit }}.entry("limit", ""),
	{Name: "format", Set: setFormat},
	{Name: "filter_case_sensitive", Set: setRSSHub, Words: func(q *Query) []string {
		return when2(q.RSSHub.CaseInsensitive && q.RSSHub.active(), "ignoring case")
	}, Field: &Field{Label: "Regular expressions",
		Choices: []Choice{{"", "case-sensitive"}, {"false", "case-insensitive"}}}},
	{Name: "filter_time", Set: setRSSHub, Reads: func(q *Query) Reads { return when(q.FilterTime > 0, ReadsDay) },
		Words: func(q *Query) []string { return when2(q.FilterTime > 0, "listed in the last "+spanWords(q.FilterTime)) },
		Field: &Field{Label: "Listed in the last seconds", Number: true, Min: 1, Max: maxFilterTime, Placeholder: "86400"}},
	intParam{0, maxCount, 0, "must be a whole number of upvotes gained, from 0 to " + fmt.Sprint(maxCount),
		func(q *Query) *int { return &q.MinGain }}.entry("min_gain", "").reading(readsGains),
	intParam{1, MaxGainHours, DefaultGainHours,
		fmt.Sprintf("must be a whole number of hours from 1 to %d (default %d)", MaxGainHours, DefaultGainHours),
		func(q *Query) *int { return &q.GainHours }}.entry("gain_hours", ""),
	{Name: "date_by", Set: setDateBy},
	{Name: "digest", Set: setDigest, Reads: func(q *Query) Reads { return when(q.Digest != "", ReadsDigests) }},
	intParam{1, MaxDigestSize, DefaultDigestSize,
		fmt.Sprintf("must be a whole number of papers per digest from 1 to %d (default %d)", MaxDigestSize, DefaultDigestSize),
		func(q *Query) *int { return &q.DigestSize }}.entry("digest_size", ""),
	{Name: "like", List: true, Set: setSimilar},
	{Name: "unlike", List: true, Set: setSimilar},
	{Name: "min_similarity", Set: setSimilar, Words: func(q *Query) []string {
		return when2(q.raw.Has("min_similarity"), "similarity "+q.raw.Get("min_similarity")+"+")
	}},
	{Name: "guid", Set: setReader},
	// RSSHub's route parameters come last (init).
}

var countReason = fmt.Sprintf("must be a whole number from 0 to %d", maxCount)

func init() {
	at := slices.IndexFunc(params, func(p Param) bool { return p.Name == "sort" })
	var rx []Param
	for _, rp := range rssHubParams {
		p := Param{Name: rp.name, Set: setRegexFilter, Field: &Field{Label: rp.label(), Placeholder: "a regular expression"}}
		name, label := rp.name, strings.ToLower(rp.label()[:1])+rp.label()[1:]
		p.Words = func(q *Query) []string {
			e := q.RSSHub.exprs[name]
			return when2(e != "", label+" “"+shorten(e, 40)+"”")
		}
		rx = append(rx, p)
	}
	params = slices.Insert(params, at, rx...)
	for _, name := range rssHubRouteParams {
		params = append(params, Param{Name: name, RSSHubRoute: true, Set: setRSSHub})
	}
	indexParams()
}

// byName are the entries of params by name; Accepted lists every name
// but RSSHub's route parameters, for error messages and docs.
var (
	byName   map[string]*Param
	Accepted []string
)

func indexParams() {
	byName, Accepted = map[string]*Param{}, nil
	for i := range params {
		p := &params[i]
		if byName[p.Name] != nil || p.Set == nil {
			panic("filter: parameter " + p.Name + " given twice or without Set")
		}
		byName[p.Name] = p
		if !p.RSSHubRoute {
			Accepted = append(Accepted, p.Name)
		}
	}
}

// Register adds a parameter to the table, before any query is parsed (a
// source's package brings its parameters this way); the function it
// returns takes it out again (for tests). A name already taken panics.
func Register(p Param) (undo func()) {
	saved := slices.Clone(params)
	at := len(params)
	if i := slices.IndexFunc(params, func(p Param) bool { return p.RSSHubRoute }); i >= 0 {
		at = i // before RSSHub's route parameters, which stay last
	}
	params = slices.Insert(params, at, p)
	indexParams()
	return func() { params = saved; indexParams() }
}

// Params are the parameters, in the table's order.
func Params() []Param { return slices.Clone(params) }

// Value is a parameter's canonical value in q ("" when it is not set or
// is its default).
func (q Query) Value(name string) string { return q.raw.Get(name) }

// Write sets a parameter's canonical value, for a Set outside this
// package; it always returns nil, so that Set may end with it.
func (q *Query) Write(key, val string) error { q.raw.Set(key, val); return nil }

// Reads is what the feed reads beyond the data version: the union of
// its parameters'.
func (q Query) Reads() Reads {
	var r Reads
	for i := range params {
		if f := params[i].Reads; f != nil {
			r |= f(&q)
		}
	}
	return r
}

// ownBytes reports whether a parameter changes items' bytes where the
// items' fields do not show it.
func (s selection) ownBytes() bool {
	q := s.q
	for i := range params {
		if f := params[i].Bytes; f != nil && f(q) {
			return true
		}
	}
	return false
}

// paperTests are the Keep tests of the parameters set in q.
func (s selection) paperTests() []func(q *Query, p *feed.Paper) bool {
	q := s.q
	var out []func(q *Query, p *feed.Paper) bool
	for i := range params {
		if p := &params[i]; p.Keep != nil && q.raw.Has(p.Name) {
			out = append(out, p.Keep)
		}
	}
	return out
}

// tableWords are the parameters' words, in the table's order.
func (w words) tableWords() []string {
	var out []string
	for i := range params {
		if f := params[i].Words; f != nil {
			out = append(out, f(&w.Query)...)
		}
	}
	return out
}

func when(b bool, r Reads) Reads {
	if b {
		return r
	}
	return 0
}

func when2(b bool, s string) []string {
	if b {
		return []string{s}
	}
	return nil
}

// readsListing: a past day, week or month of Hugging Face (arXiv's are
// within the window held).
func readsListing(q *Query) Reads {
	return when(q.Period() != "" && q.Source != SourceArxiv, ReadsListing)
}

// readsGains: trending order or a minimum gain.
func readsGains(q *Query) Reads { return when(q.Rising(), ReadsGains) }

// spanWords: "2 days", "6 h", "90 s".
func spanWords(d time.Duration) string {
	switch s := int64(d / time.Second); {
	case s%86400 == 0:
		return plural(s/86400, "day")
	case s%3600 == 0:
		return fmt.Sprintf("%d h", s/3600)
	default:
		return fmt.Sprintf("%d s", s)
	}
}

func plural(n int64, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func prefixed(prefix, s string) []string { return when2(s != "", prefix+s) }

func countWords(n int, format string) []string { return when2(n > 0, fmt.Sprintf(format, n)) }

func listWords(list func(q *Query) []string, prefix, sep string) func(q *Query) []string {
	return func(q *Query) []string {
		l := list(q)
		return when2(len(l) > 0, prefix+strings.Join(l, sep))
	}
}

func boolWords(b *bool, yes, no string) []string {
	switch {
	case isTrue(b):
		return []string{yes}
	case isFalse(b):
		return []string{no}
	}
	return nil
}

func factWords(field func(f *Facts) *bool, yes, no string) func(q *Query) []string {
	return func(q *Query) []string { return boolWords(field(&q.Facts), yes, no) }
}
