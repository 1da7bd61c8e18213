package filter

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paperfeed/feed"
)

// Defaults and bounds.
const (
	DefaultLimit = 100
	MaxLimit     = 500
	maxListItems = 20
	maxItemLen   = 100
	maxCount     = 1_000_000_000
)

// Sources, as feed names them.
const (
	SourceHF    = feed.SourceHF
	SourceArxiv = feed.SourceArxiv
	SourceAll   = feed.SourceAll
)

// Sort orders.
const (
	SortDate       = "date"
	SortUpvotes    = "upvotes"
	SortStars      = "stars"
	SortComments   = "comments"
	SortTrending   = "trending"
	SortSimilarity = "similarity"
)

// Date choices (date_by) and digest periods.
const (
	DateListed    = "listed"
	DateQualified = "qualified"

	DefaultGainHours  = 24
	MaxGainHours      = 168
	DefaultDigestSize = 10
	MaxDigestSize     = 50
)

// DigestPeriods are the periods a digest may cover.
var DigestPeriods = []string{"day", "week", "month"}

var (
	sorts = []string{SortDate, SortUpvotes, SortStars, SortComments, SortTrending, SortSimilarity}
	// AnnounceTypes are arXiv's announcement types, in the order shown.
	AnnounceTypes = []string{"new", "cross", "replace", "replace-cross"}
	fieldNames    = []string{"title", "abstract", "keywords", "authors"}
	defaultFields = []string{"title", "abstract", "keywords"}
)

// Options are the facts a query is validated against.
type Options struct {
	// Today is the current UTC day.
	Today time.Time
	// Earliest is the first day date, week and month may name.
	Earliest time.Time
	// Oldest is the oldest day the service holds, the lower bound of
	// since and until. Zero means Today.
	Oldest time.Time
	// MaxDays bounds days=N (the window held).
	MaxDays int
	// SeedsLater: the seeds come from elsewhere than like= (a personal
	// feed's, set with SetSeeds), so min_similarity and sort=similarity
	// are accepted without it.
	SeedsLater bool
	// RSSHubRoute: the query is an RSSHub route's, which takes RSSHub's
	// parameters for every route (rsshub_params.go).
	RSSHubRoute bool
}

// Query is a validated feed filter. The zero value matches every paper
// of the default source.
type Query struct {
	Keywords    Keywords
	In          []string // fields q searches
	MinUpvotes  int
	MinStars    int
	MinComments int
	HasCode     *bool
	Categories  []string // canonical spelling, e.g. "cs.CL" or "cs"
	Authors     []string // folded substrings
	Orgs        []string // folded substrings
	Source      string
	Announce    []string

	Days   int
	Since  time.Time
	Until  time.Time
	Date   time.Time
	Week   string // "2026-W47"
	Month  string // "2026-11"
	Sort   string
	Limit  int
	Format string // "", or rss|atom|json when the URL names one

	// What is rising: upvotes gained over GainHours, the date items take,
	// and digests of closed periods.
	MinGain    int
	GainHours  int    // 0 until set; see Span
	DateBy     string // "", listed or qualified; see ItemDates
	Digest     string // "", day, week or month
	DigestSize int

	// More like these: papers ranked by similarity to seed papers (see
	// similar.go). Seeds are the seed papers themselves, which the caller
	// sets after Parse (they may need fetching).
	Like          []string // version-free arXiv IDs, sorted
	Unlike        []string // seeds to push away (unlike=), likewise
	Hide          []string // papers never shown (SetSeeds)
	More, Less    []string // of Like and Unlike, the papers a reader voted on (SetSeeds)
	MinSimilarity float64  // 0..1; DefaultMinSimilarity until set
	Seeds         []*feed.Paper
	sortSet       bool

	// Paper facts: venue, artifacts, versions (facts.go).
	Facts

	// RSSHub compatibility.
	RSSHub     RSSHubFilters
	FilterTime time.Duration

	// GUID is how items are identified: "" or GUIDPaper, or GUIDFeed
	// (reader.go).
	GUID string
	// RSSHub's route parameters (rsshub_params.go): each item's text cut
	// at Brief characters, its link through Telegram's Instant View
	// template TGIV.
	Brief       int
	TGIV        string
	sortedFalse bool

	// raw keeps the canonical written values, for Canonical.
	raw url.Values
	// within, when set, restricts the papers to a part of the index
	// (Within); it is not a parameter.
	within *Mask
}

// Parse validates URL parameters. Parameter names are case-insensitive;
// empty values count as absent (as an HTML form sends them); utm_*
// parameters are ignored.
func Parse(v url.Values, o Options) (Query, error) {
	q := Query{Source: SourceHF, Sort: SortDate, Limit: DefaultLimit, In: defaultFields, DigestSize: DefaultDigestSize, raw: url.Values{}}
	given, err := gather(v, o)
	if err != nil {
		return q, err
	}
	for i := range params { // the table's order: deterministic errors
		p := &params[i]
		val, ok := given[p.Name]
		if !ok {
			continue
		}
		if err := p.Set(&q, p.Name, val, o); err != nil {
			return q, err
		}
	}
	if err := applySorted(&q); err != nil {
		return q, err
	}
	if err := checkTime(&q, o); err != nil {
		return q, err
	}
	if q.Digest != "" {
		if _, set := given["limit"]; !set {
			q.Limit = DigestLimits[q.Digest] // limit counts digests
		}
		if q.Period() != "" || q.Days > 0 || !q.Since.IsZero() || !q.Until.IsZero() {
			return q, &Error{Param: "digest", Value: q.Digest, Reason: "a digest covers the closed periods held: give it without date, week, month, days, since or until"}
		}
	}
	if err := checkCompanions(&q, given); err != nil {
		return q, err
	}
	if q.GainHours == 0 {
		q.GainHours = DefaultGainHours
	}
	if len(q.Unlike) > 0 && len(q.Like) == 0 {
		return q, errf("unlike", strings.Join(q.Unlike, ","), "needs like=ID,... (unlike= pushes papers away from what like= asks for)")
	}
	for _, id := range q.Unlike {
		if slices.Contains(q.Like, id) {
			return q, errf("unlike", strings.Join(q.Unlike, ","), "%s is in like= too; a paper is liked or unliked, not both", id)
		}
	}
	if len(q.Like) > 0 {
		// With like, similarity is the default order: the canonical form
		// names date, not similarity.
		switch {
		case !q.sortSet:
			q.Sort = SortSimilarity
		case q.Sort == SortSimilarity:
			q.raw.Del("sort")
		case q.Sort == SortDate:
			q.raw.Set("sort", SortDate)
		}
		if _, set := given["min_similarity"]; !set {
			q.MinSimilarity = DefaultMinSimilarity
		}
	} else if q.Sort == SortSimilarity && !o.SeedsLater {
		return q, errf("sort", q.Sort, "sort=similarity needs like=ID,... (the papers to be similar to)")
	} else if _, set := given["min_similarity"]; set && !o.SeedsLater {
		return q, &Error{Param: "min_similarity", Value: given["min_similarity"], Reason: "needs like=ID,... (the papers to be similar to)"}
	}
	return q, nil
}

// checkCompanions refuses a parameter that changes nothing without
// another (a feed that looks like another's but is not), and leaves
// date_by out of the canonical form where it says the default: the same
// feed, one URL.
func checkCompanions(q *Query, given map[string]string) error {
	needs := []struct {
		param, what string
		without     bool
	}{
		{"gain_hours", "sort=trending or min_gain=N (it sets the span their gains are counted over)", !q.Rising()},
		{"digest_size", "digest=day, week or month (it sets the papers each digest lists)", q.Digest == ""},
		{"filter_case_sensitive", "one of RSSHub's regex filters (filter, filter_title, filterout, ...)", !q.RSSHub.active()},
	}
	for _, n := range needs {
		if q.raw.Has(n.param) && n.without { // its default is harmless: the canonical form leaves it out
			return errf(n.param, given[n.param], "changes nothing without %s", n.what)
		}
	}
	if q.Keywords.Empty() {
		q.raw.Del("in") // the fields q searches, without q: the same feed
	}
	if !changing(*q) || q.DateBy != DateListed {
		// Without a changing condition every paper is dated by its
		// listing day; with one, date_by=qualified is the default.
		q.DateBy = ""
		q.raw.Del("date_by")
	}
	return nil
}

// gather reads the parameters' values by lower-case name: empty values
// count as absent (also when a name is repeated in another case), a list
// may be repeated, any other parameter is given once, and a value must be
// text (UTF-8 without control characters; tabs and line breaks count as
// spaces).
func gather(v url.Values, o Options) (map[string]string, error) {
	given := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(v)) { // a fixed order: the same errors every time
		vals := v[name]
		key := strings.ToLower(name)
		if strings.HasPrefix(key, "utm_") {
			continue
		}
		if strings.TrimSpace(key) == "" {
			if strings.TrimSpace(strings.Join(vals, "")) == "" {
				continue // a stray "&=" or "?&"
			}
			return nil, errf("(no name)", strings.Join(vals, ","), "a value was given without a parameter name; write name=value")
		}
		p := byName[key]
		if p == nil {
			return nil, unknownParam(name, strings.Join(vals, ","), Accepted)
		}
		if err := checkRSSHubRoute(p, o); err != nil {
			return nil, err
		}
		var nonEmpty []string
		for _, s := range vals {
			if s = strings.Map(spaceForBreaks, s); strings.TrimSpace(s) != "" {
				nonEmpty = append(nonEmpty, s)
			}
		}
		if len(nonEmpty) == 0 {
			continue
		}
		for _, s := range nonEmpty {
			if !utf8.ValidString(s) {
				return nil, errf(key, strings.ToValidUTF8(s, "?"), "is not valid UTF-8")
			}
			if strings.ContainsFunc(s, unicode.IsControl) {
				return nil, errf(key, strings.Map(markControl, s), "holds a control character (shown as ?); remove it")
			}
		}
		prev, dup := given[key]
		switch {
		case p.List:
			// A list may also be written as repeated parameters (as an
			// HTML form with checkboxes sends it).
			if dup {
				nonEmpty = append([]string{prev}, nonEmpty...)
			}
			given[key] = strings.TrimSpace(strings.Join(nonEmpty, ","))
		case dup || len(nonEmpty) > 1:
			if dup {
				nonEmpty = append([]string{prev}, nonEmpty...)
			}
			return nil, errf(key, strings.Join(nonEmpty, ","), "given more than once; give it once (lists are comma-separated)")
		default:
			given[key] = strings.TrimSpace(nonEmpty[0])
		}
	}
	return given, nil
}

func spaceForBreaks(r rune) rune {
	if r == '\t' || r == '\n' || r == '\r' {
		return ' '
	}
	return r
}

func markControl(r rune) rune {
	if unicode.IsControl(r) {
		return '?'
	}
	return r
}

// DigestLimits are the digests a feed holds by default: 7 days, 8
// weeks, 6 months.
var DigestLimits = map[string]int{"day": 7, "week": 8, "month": 6}

// Rising reports whether the query looks at how counts moved: trending
// order or a minimum gain.
func (q Query) Rising() bool { return q.Sort == SortTrending || q.MinGain > 0 }

// changing reports whether the query has a condition on a value that
// changes after listing (counts, code, gain, paper facts, a new
// version): any, and counts, those read from the papers' history (all
// but a new version, which is dated by the version).
func (q Query) changing() (any, counts bool) {
	counts = q.MinUpvotes > 0 || q.MinComments > 0 || q.MinStars > 0 || (q.HasCode != nil && *q.HasCode) || q.MinGain > 0 ||
		q.Facts.changing()
	return counts || isTrue(q.Revised), counts
}

// ItemDates reports whether items are dated when they qualified
// (date_by=qualified, the default when a condition is on a changing
// value) rather than by their listing day.
func (q Query) ItemDates() bool {
	if q.DateBy != "" {
		return q.DateBy == DateQualified
	}
	return changing(q)
}

// MaxLike bounds the seed papers of like.
const MaxLike = 50

// Canonical is the query's one written form: parameters sorted by name,
// values normalised, defaults left out. format is not part of it.
func (q Query) Canonical() string { return q.raw.Encode() }

// Seeds are the seeds of a query that come from elsewhere than its
// parameters (a personal feed's seeds and votes, which may be more than
// MaxLike): the liked and unliked papers, and of those the ones a reader
// voted "more" and "less" like this.
type Seeds struct{ Like, Unlike, More, Less []string }

// SetSeeds sets the seeds as like= and unlike= would, sorting by
// similarity unless sort was given. Unliked seeds without liked ones
// rank nothing; they are hidden instead. A paper voted "more" stays an
// item (marked as liked) while it is a liked seed, and one voted "less"
// weighs LessWeight in the query and leaves no other paper out (an
// unliked seed weighs UnlikeWeight and pushes its topic out). Without
// liked seeds, "less" only hides.
func (q *Query) SetSeeds(s Seeds) {
	like, unlike := s.Like, s.Unlike
	q.More, q.Less = slices.Clone(s.More), slices.Clone(s.Less)
	q.Like, q.Unlike, q.Hide = slices.Clone(like), slices.Clone(unlike), nil
	if len(like) == 0 {
		q.Unlike, q.Hide = nil, slices.Clone(unlike)
		if q.Sort == SortSimilarity {
			q.Sort = "" // nothing to be similar to yet
		}
		return
	}
	if !q.sortSet {
		q.Sort = SortSimilarity
	}
	if q.MinSimilarity == 0 && !q.raw.Has("min_similarity") {
		q.MinSimilarity = DefaultMinSimilarity
	}
}
