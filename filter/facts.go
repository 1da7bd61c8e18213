package filter

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
)

// Paper facts: conditions on what look-ups learned of a paper beyond its
// listing.
//
//   - venue=neurips,iclr keeps papers accepted at, or published in, one
//     of those venues (feed.VenueKeys; a paper only submitted there does
//     not count). accepted=1 keeps papers accepted or published anywhere
//     recognised; accepted=0 the others.
//   - has_model, has_dataset, has_demo (a Space) keep papers Hugging Face
//     links such an artifact to (=1), or none (=0; a paper not counted
//     yet counts as none); min_models=N at least N models.
//   - These change after listing, so they qualify like upvotes do: with
//     date_by=qualified (their default) an item is dated when the
//     paper's history first shows the venue or the artifact.
//   - revised=1 keeps papers with a new version (v2 or later) posted in
//     the feed's period (days, since, until, date, week, month; else the
//     days held). Each version is an item of its own (its GUID names the
//     version), dated when it was posted: an event feed of new versions.
//     revised=0 keeps papers still at their first version.
type Facts struct {
	Venues     []string // venue keys, sorted
	Accepted   *bool
	HasModel   *bool
	HasDataset *bool
	HasDemo    *bool
	MinModels  int
	Revised    *bool
}

// setFact reads one paper-fact parameter.
func setFact(q *Query, key, val string, _ Options) error {
	f := &q.Facts
	switch key {
	case "venue":
		keys, err := parseEnumList(key, strings.ToLower(val), feed.VenueKeys)
		if err != nil {
			return err
		}
		slices.Sort(keys)
		f.Venues = slices.Compact(keys)
		q.raw.Set(key, strings.Join(f.Venues, ","))
	case "accepted", "has_model", "has_dataset", "has_demo", "revised":
		b, ok := parseBool(val)
		if !ok {
			return errf(key, val, "must be %s (%s)", feed.BoolWords, factMeaning[key])
		}
		switch key {
		case "accepted":
			f.Accepted = &b
		case "has_model":
			f.HasModel = &b
		case "has_dataset":
			f.HasDataset = &b
		case "has_demo":
			f.HasDemo = &b
		default:
			f.Revised = &b
		}
		q.raw.Set(key, strconv.FormatBool(b))
	case "min_models":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > maxCount {
			return errf(key, val, "must be a whole number of linked models from 0 to %d", maxCount)
		}
		f.MinModels = n
		if n > 0 {
			q.raw.Set(key, strconv.Itoa(n))
		}
	}
	return nil
}

var factMeaning = map[string]string{
	"accepted":    "1: accepted at or published in a recognised venue; 0: not",
	"has_model":   "1: Hugging Face links a model to the paper; 0: none",
	"has_dataset": "1: Hugging Face links a dataset to the paper; 0: none",
	"has_demo":    "1: Hugging Face links a Space (a demo) to the paper; 0: none",
	"revised":     "1: a new version was posted in the feed's period; 0: still its first version",
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

// changing reports whether a fact condition can become true after
// listing (it qualifies from the paper's history).
func (f *Facts) changing() bool {
	return len(f.Venues) > 0 || isTrue(f.Accepted) || isTrue(f.HasModel) || isTrue(f.HasDataset) || isTrue(f.HasDemo) || f.MinModels > 0
}

// meets reports whether a history point meets the changing conditions.
func (f *Facts) meets(pt feed.Point) bool {
	switch {
	case len(f.Venues) > 0 && !slices.Contains(f.Venues, pt.Venue),
		isTrue(f.Accepted) && pt.Venue == "",
		isTrue(f.HasModel) && pt.Models == 0,
		isTrue(f.HasDataset) && pt.Datasets == 0,
		isTrue(f.HasDemo) && pt.Spaces == 0,
		pt.Models < f.MinModels:
		return false
	}
	return true
}

// negative reports whether a condition is one matchNow checks.
func (f *Facts) negative() bool {
	return isFalse(f.Accepted) || isFalse(f.HasModel) || isFalse(f.HasDataset) || isFalse(f.HasDemo) || isFalse(f.Revised)
}

// matchNow checks the conditions that hold of a paper as it is now: the
// negative ones (=0).
func (f *Facts) matchNow(p *feed.Paper) bool {
	a := p.Artifacts
	switch {
	case isFalse(f.Accepted) && p.Venue.Accepted(),
		isFalse(f.HasModel) && a.Models > 0,
		isFalse(f.HasDataset) && a.Datasets > 0,
		isFalse(f.HasDemo) && a.Spaces > 0,
		isFalse(f.Revised) && p.Version > 1:
		return false
	}
	return true
}

// revisedIn reports whether a paper's latest version was posted in the
// day range (Unix seconds of UTC days), and when.
func revisedIn(p *feed.Paper, r dayRange) (time.Time, bool) {
	if p.Version <= 1 || p.Updated.IsZero() {
		return time.Time{}, false
	}
	day := p.Updated.UTC().Truncate(24 * time.Hour).Unix()
	return p.Updated, r.contains(day)
}

// venueWords: "accepted at NeurIPS or ICLR".
func venueWords(q *Query) []string {
	f := &q.Facts
	names := make([]string, len(f.Venues))
	for i, k := range f.Venues {
		names[i] = feed.VenueName(k)
	}
	return when2(len(names) > 0, "accepted at "+strings.Join(names, " or "))
}

// acceptedWords: what venue= does not say already.
func acceptedWords(q *Query) []string {
	f := &q.Facts
	switch {
	case isTrue(f.Accepted) && len(f.Venues) == 0:
		return []string{"accepted"}
	case isFalse(f.Accepted):
		return []string{"not accepted yet"}
	}
	return nil
}

// withRevisedSeeds puts first the seeds of like= (the papers the feed
// follows) that got a new version in the feed's period, as version
// items, when the index does not hold them: revised=1 with like= also
// watches the seeds themselves. The limit still holds.
func (s selection) withRevisedSeeds(items []feed.Item) []feed.Item {
	q, ix := s.q, s.ix
	held := make(map[string]bool, len(items))
	for _, p := range ix.papers {
		held[p.ID] = true
	}
	days := s.dayRange()
	if days.from == math.MinInt64 {
		days.from = ix.oldestDay()
	}
	var seeds []feed.Item
	for _, s := range q.Seeds {
		if s == nil || held[s.ID] {
			continue
		}
		if at, ok := revisedIn(s, days); ok {
			seeds = append(seeds, feed.Item{Paper: s, Version: s.Version, Date: at,
				Notes: []string{"A paper this feed follows (like=) has a new version"}})
		}
	}
	if len(seeds) == 0 {
		return items
	}
	slices.SortStableFunc(seeds, func(a, b feed.Item) int { return b.Date.Compare(a.Date) })
	out := append(seeds, items...)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}
