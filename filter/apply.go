package filter

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"paperfeed/feed"
)

// Apply returns the items of the indexed papers the query keeps, sorted
// and limited, with the dates, gains and notes the query gives them (see
// rising.go). now is read by filter_time and the gains. The input is
// never modified. The error is an *Error when the regex filters would
// cost more than allowed (see regex.go), or wraps ctx's error when ctx
// ended while matching.
func (q Query) Apply(ctx context.Context, ix *Index, now time.Time) ([]feed.Item, error) {
	sel := selection{&q, ix, now}
	top := 0
	if q.Limit > 0 && q.Digest == "" {
		top = q.Limit
	}
	k, err := sel.kept(ctx, sel.enough(top))
	if err != nil {
		return nil, err
	}
	// Order (and cut to the limit) by positions, then make only the items
	// the feed shows.
	items := sel.items(k, sel.order(k, top))
	putInts(k.pos)
	if isTrue(q.Revised) && len(q.Seeds) > 0 {
		items = sel.withRevisedSeeds(items)
	}
	return items, nil
}

// Groups applies the query and groups the papers it keeps by
// group(day), leaving out those whose group is "": per group the first
// n in a digest's order (the feed's sort; most upvoted first for the
// default, date) as items, and how many the group holds.
func (q Query) Groups(ctx context.Context, ix *Index, now time.Time, group func(day time.Time) string, n int) (map[string][]feed.Item, map[string]int, error) {
	k, err := (selection{&q, ix, now}).kept(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	members := map[string][]int{} // indexes into k
	var lastDay time.Time
	lastKey := ""
	for j, i := range k.pos {
		d := ix.papers[i].Day()
		if !d.Equal(lastDay) {
			lastDay, lastKey = d, group(d)
		}
		if lastKey != "" {
			members[lastKey] = append(members[lastKey], j)
		}
	}
	dq := q
	if dq.Sort == SortDate || dq.Sort == "" {
		dq.Sort = SortUpvotes
	}
	dsel := selection{&dq, ix, now}
	items, totals := map[string][]feed.Item{}, map[string]int{}
	for key, js := range members {
		sub := k.subset(js)
		items[key] = dsel.items(sub, dsel.order(sub, n))
		totals[key] = len(js)
	}
	return items, totals, nil
}

// A selection is one run of a query over an index at one time: what
// Apply and Groups share, from keeping papers to making their items.
type selection struct {
	q   *Query
	ix  *Index
	now time.Time
}

// keptPapers are the papers a query keeps, by position in the index,
// with what the query computed of each.
type keptPapers struct {
	pos       []int
	qualified []time.Time // nil without a condition on a changing value
	gains     []int       // nil unless the query reads gains
	scores    []float64   // nil without like
	closest   []string
}

func (k keptPapers) subset(js []int) keptPapers {
	var s keptPapers
	for _, j := range js {
		s.pos = append(s.pos, k.pos[j])
		if k.qualified != nil {
			s.qualified = append(s.qualified, k.qualified[j])
		}
		if k.gains != nil {
			s.gains = append(s.gains, k.gains[j])
		}
		if k.scores != nil {
			s.scores = append(s.scores, k.scores[j])
			s.closest = append(s.closest, k.closest[j])
		}
	}
	return s
}

func (s selection) kept(ctx context.Context, enough int) (keptPapers, error) {
	q, ix, now := s.q, s.ix, s.now
	var k keptPapers
	var err error
	k.pos, k.qualified, err = s.keep(ctx, enough)
	if err != nil {
		return k, err
	}
	if len(q.Hide) > 0 {
		k.pos, k.qualified = s.hidden(k.pos, k.qualified)
	}
	if len(q.Like) > 0 {
		k.pos, k.qualified, k.scores, k.closest = s.similar(k.pos, k.qualified)
	}
	if q.Rising() {
		k.gains = make([]int, len(k.pos))
		start := now.Add(-s.span())
		for n, i := range k.pos {
			k.gains[n] = gainSince(ix.papers[i], ix.history(i), start)
		}
	}
	return k, nil
}

// InIndexOrder reports whether the feed's items are the first Limit
// papers the query keeps in the index's order (newest day first, then
// upvotes), nothing after keeping dropping or reordering them: a paper
// it keeps that comes after its last item cannot join it.
func (q *Query) InIndexOrder() bool { return q.Digest == "" && (selection{q: q}).enough(q.Limit) > 0 }

// enough is how many papers keep may stop at for a feed of top items:
// top when the feed is the first top papers keep finds in the index's
// order (newest day first, then upvotes) and nothing after keep drops or
// reorders them (hide, like, rising, regular expressions); else 0, all.
// Most feeds are newest first with a limit: they read a few dozen papers
// of the index, not all of it.
func (s selection) enough(top int) int {
	q := s.q
	if top <= 0 || (q.Sort != SortDate && q.Sort != "") || q.ItemDates() || len(q.Hide) > 0 || len(q.Like) > 0 ||
		q.Rising() || len(q.RSSHub.rules()) > 0 {
		return 0
	}
	return top
}

// items makes the items of the kept papers order picks.
func (s selection) items(k keptPapers, order []int) []feed.Item {
	q, ix := s.q, s.ix
	items := make([]feed.Item, len(order))
	own := s.ownBytes()
	for o, n := range order {
		i := k.pos[n]
		p := ix.papers[i]
		it := feed.Item{Paper: p, Own: own}
		if isTrue(q.Revised) {
			it.Version = p.Version // an item per version
		}
		if at := timeAt(k.qualified, n); !at.IsZero() {
			if q.ItemDates() {
				it.Date = at
			}
			if !isTrue(q.Revised) || !at.Equal(p.Updated) { // a version's date is in its line
				it.Notes = append(it.Notes, "Met this feed's conditions on "+at.UTC().Format("Mon 2 Jan 15:04 UTC")+
					" (listed "+p.Day().Format("Mon 2 Jan")+")")
			}
		}
		if q.HasCode != nil && *q.HasCode {
			if since := ix.codeSince(i); !since.IsZero() {
				it.Notes = append(it.Notes, "Code since "+since.UTC().Format("Mon 2 Jan"))
			}
		}
		if k.gains != nil {
			it.Gain, it.GainHours = k.gains[n], q.GainHours
		}
		if k.scores != nil {
			it.Similarity, it.CloseTo = k.scores[n], k.closest[n]
			it.Liked = slices.Contains(q.More, p.ID)
		}
		items[o] = it
	}
	return items
}

// keep returns the positions of the papers that pass every condition,
// in index order, with when each qualified (zero: on its listing day, or
// no condition on a changing value).
//
// With enough > 0 it stops once it has kept that many: see enough.
func (s selection) keep(ctx context.Context, enough int) ([]int, []time.Time, error) {
	q, ix, now := s.q, s.ix, s.now
	days := s.dayRange()
	oldest := int64(math.MinInt64)
	if q.FilterTime > 0 {
		oldest = now.Add(-q.FilterTime).Truncate(24 * time.Hour).Unix()
	}
	var kw bitset
	if !q.Keywords.Empty() {
		kw = ix.keywordSet(q.Keywords, s.fieldIDs())
	}
	cats := make([]string, len(q.Categories))
	for i, c := range q.Categories {
		cats[i] = strings.ToLower(c)
	}
	keep := getInts(len(ix.papers)) // reused across queries (putInts)
	changing, counts := q.changing()
	negative := q.Facts.negative()
	revised := isTrue(q.Revised)
	if revised && days.from == math.MinInt64 {
		days.from = ix.oldestDay() // new versions within the days held
	}
	var qualAt map[int]time.Time
	if changing {
		qualAt = map[int]time.Time{}
	}
	source := s.sourceTest()
	tests := s.paperTests() // the table's parameters the index does not filter
	within := q.within
	if within != nil && within.ix != ix {
		within = nil // a mask of another index restricts nothing here
	}
	for i, p := range ix.papers {
		if kw != nil && !kw.has(i) {
			continue
		}
		if within != nil && !within.set.has(i) {
			continue
		}
		d := &ix.docs[i]
		if !source.match(p, d) || d.day < oldest {
			continue
		}
		var revisedAt time.Time
		if revised {
			// The version's day is in the period, not the listing's.
			at, ok := revisedIn(p, days)
			if !ok {
				continue
			}
			revisedAt = at
		} else if !days.contains(d.day) {
			continue
		}
		if negative && !q.Facts.matchNow(p) {
			continue
		}
		if changing {
			at, ok := time.Time{}, true
			if counts {
				at, ok = s.qualified(i)
			}
			if !ok {
				continue
			}
			if revisedAt.After(at) {
				at = revisedAt
			}
			if !at.IsZero() {
				qualAt[i] = at
			}
		}
		if q.HasCode != nil && !*q.HasCode && p.HasCode() {
			continue
		}
		if len(cats) > 0 && !matchCategories(cats, d.categories) {
			continue
		}
		if len(q.Authors) > 0 && !containsAny(d.authors, q.Authors) {
			continue
		}
		if len(q.Orgs) > 0 && !containsAny([]string{d.org}, q.Orgs) {
			continue
		}
		if !passes(q, p, tests) {
			continue
		}
		keep = append(keep, i)
		if len(keep) == enough {
			break
		}
	}
	keep, err := ix.regexFilter(ctx, &q.RSSHub, keep)
	if err != nil {
		return nil, nil, err
	}
	if !changing {
		return keep, nil, nil // nothing qualifies later than its listing day
	}
	at := make([]time.Time, len(keep))
	for n, i := range keep {
		at[n] = qualAt[i]
	}
	return keep, at, nil
}

// passes reports whether p passes every test.
func passes(q *Query, p *feed.Paper, tests []func(q *Query, p *feed.Paper) bool) bool {
	for _, t := range tests {
		if !t(q, p) {
			return false
		}
	}
	return true
}

// sourceTest is what the query's source and announce asks of a paper,
// decided once per query rather than per paper.
func (s selection) sourceTest() sourceTest {
	q := s.q
	st := sourceTest{announce: q.Announce}
	switch q.Source {
	case SourceArxiv:
		st.arxiv = true
	case SourceAll:
	default:
		st.hf = true
	}
	return st
}

type sourceTest struct {
	arxiv, hf bool // must be on arXiv's list, on Hugging Face's
	announce  []string
}

func (st *sourceTest) match(p *feed.Paper, d *doc) bool {
	if st.arxiv && !d.onArxiv || st.hf && !d.onHF {
		return false
	}
	return len(st.announce) == 0 || slices.Contains(st.announce, p.AnnounceType)
}

// fieldIDs are the fields q searches, per the in parameter.
func (s selection) fieldIDs() []int {
	q := s.q
	out := make([]int, 0, len(q.In))
	for _, f := range q.In {
		out = append(out, fieldByName[f])
	}
	return out
}

// matchCategories: any wanted category (lower case) may match; a bare
// archive ("cs") matches every category of that archive.
func matchCategories(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w || (len(h) > len(w) && h[len(w)] == '.' && h[:len(w)] == w) {
				return true
			}
		}
	}
	return false
}

// containsAny reports whether some folded entry contains some wanted
// folded substring.
func containsAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.Contains(h, w) {
				return true
			}
		}
	}
	return false
}

// dayRange is an inclusive range of days in Unix seconds.
type dayRange struct{ from, to int64 }

func (r dayRange) contains(d int64) bool { return d >= r.from && d <= r.to }

func (s selection) dayRange() dayRange {
	q, ix := s.q, s.ix
	r := dayRange{from: math.MinInt64, to: math.MaxInt64}
	if !q.Since.IsZero() {
		r.from = q.Since.Unix()
	}
	if !q.Until.IsZero() {
		r.to = q.Until.Unix()
	}
	if from, to := q.PeriodRange(); !from.IsZero() {
		r = dayRange{from: from.Unix(), to: to.Unix()}
	}
	if q.Days > 0 {
		// The N newest days among the papers of the chosen source.
		seen := map[int64]bool{}
		source := s.sourceTest()
		for i, p := range ix.papers {
			if source.match(p, &ix.docs[i]) {
				seen[ix.docs[i].day] = true
			}
		}
		days := slices.Sorted(maps.Keys(seen))
		if len(days) >= q.Days {
			r.from = days[len(days)-q.Days]
		}
	}
	return r
}

// timeAt is ts[n], or zero when ts is nil.
func timeAt(ts []time.Time, n int) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts[n]
}
