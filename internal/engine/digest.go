package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
)

// Digests: with digest=day|week|month a feed holds one item per closed
// listing period, listing the top digest_size papers of the filter. A
// period is closed once a later listing day appeared; the item is dated
// at that moment, so a reader never gets half a day, and a period in
// which the filter matched nothing gets no item. Its GUID is stable per
// (period, canonical filter). A day digest comes from the days held; a
// week or month from the days held when they cover it, else from
// Hugging Face's own week or month listing (fetched before the digest is
// made: Plan).

// digests make the digest feeds of an engine, and remember when each
// listing day first appeared (what dates a closed period).
type digests struct {
	e        *Engine
	appeared dayAppearances
}

// closedPeriod is a period with the moment it closed.
type closedPeriod struct {
	feed.Period
	closed time.Time // when a later listing day appeared
}

// label names a period in a digest item's title.
func label(p feed.Period) string {
	switch p.Kind {
	case feed.PeriodWeek:
		return fmt.Sprintf("week %s (%s – %s)", p.Value, p.From.Format("2 Jan"), p.To.Format("2 Jan 2006"))
	case feed.PeriodMonth:
		return p.From.Format("January 2006")
	}
	return p.From.Format("Mon 2 Jan 2006")
}

// digests makes a digest feed's items: one per closed period, newest
// first, at most the query's limit, each listing the period's top papers.
func (g *digests) items(ctx context.Context, p *Plan, pageLink func(string) string) ([]feed.Item, error) {
	e := g.e
	q := p.Query
	days := digestDays(q, p.view)
	periods := g.closedPeriods(q.Digest, days, p.view)
	wanted := map[string]bool{}
	for _, per := range periods {
		wanted[per.Key()] = true
	}
	top, totals, err := q.Groups(ctx, p.index, e.now(), func(d time.Time) string {
		if k := feed.PeriodOf(q.Digest, d).Key(); wanted[k] {
			return k
		}
		return ""
	}, q.DigestSize)
	if err != nil {
		return nil, err
	}
	hash := strconv.FormatUint(xxhash.Sum64String(q.Canonical()), 36)
	var out []feed.Item
	for _, per := range periods {
		if len(out) == q.Limit {
			break
		}
		entries, total, from := g.entries(ctx, q, per.Period, top[per.Key()], totals[per.Key()], days)
		if from == "" || total == 0 {
			continue // not held completely (yet), or nothing of the filter in it: no item
		}
		d := &feed.Digest{
			GUID:   "urn:paperfeed:digest:" + per.Key() + ":" + hash,
			Title:  fmt.Sprintf("%s, %s: top %d of %d", q.PeriodTitle(), label(per.Period), len(entries), total),
			Link:   pageLink(joinQuery(withoutDigest(q.Canonical()), periodParam(per.Period))),
			Period: per.Key(), Shown: len(entries), Total: total, From: from, Entries: entries,
		}
		d.HTML = feed.DigestHTML(entries, "From "+from+".")
		out = append(out, feed.Item{Digest: d, Date: per.closed})
	}
	return out, nil
}

// digestDays are the listing days a digest groups.
func digestDays(q filter.Query, v *feed.View) []time.Time {
	switch q.Source {
	case filter.SourceArxiv:
		return v.ArxivDays
	case filter.SourceAll:
		return mergeDays(v.HFDays, v.ArxivDays)
	}
	return v.HFDays
}

// closedPeriods are the periods of a kind that closed, newest first.
func (g *digests) closedPeriods(kind string, days []time.Time, v *feed.View) []closedPeriod {
	if len(days) < 2 {
		return nil
	}
	var out []closedPeriod
	seen := map[string]bool{}
	for i := 1; i < len(days); i++ { // days[0], the newest, is open
		per := feed.PeriodOf(kind, days[i])
		if seen[per.Key()] {
			continue
		}
		seen[per.Key()] = true
		// Closed by the first held day after the period, when it appeared.
		var next time.Time
		for j := i - 1; j >= 0; j-- {
			if days[j].After(per.To) {
				next = days[j]
				break
			}
		}
		if next.IsZero() {
			continue // the period is still being published
		}
		closed := g.dayAppeared(next, v)
		if closed.IsZero() {
			continue
		}
		out = append(out, closedPeriod{Period: per, closed: closed})
	}
	return out
}

// dayAppearances are when the service first held papers of each day,
// worked out once per data version.
type dayAppearances struct {
	mu      sync.Mutex
	version uint64
	seen    map[time.Time]time.Time
}

// dayAppeared is when the service first held papers of a day.
func (g *digests) dayAppeared(day time.Time, v *feed.View) time.Time {
	e := g.e
	d := &g.appeared
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.version != v.Version || d.seen == nil {
		ids := map[time.Time][]string{}
		for _, p := range v.Papers {
			ids[p.Day()] = append(ids[p.Day()], p.ID)
		}
		d.seen = make(map[time.Time]time.Time, len(ids))
		for day, list := range ids {
			d.seen[day] = e.refresh.Kept().FirstSeen(list)
		}
		d.version = v.Version
	}
	return d.seen[day]
}

// needsListing: a period that began before the days held comes from
// Hugging Face's own listing of it.
func needsListing(q filter.Query, per feed.Period, days []time.Time) bool {
	return q.Source != filter.SourceArxiv && len(days) > 0 && per.From.Before(days[len(days)-1])
}

// digestEntries are a period's top papers (top, of total, from the days
// held), or, when the days held begin inside the period, those of
// Hugging Face's own week or month listing; and where they came from
// ("" when nothing holds the period completely).
func (g *digests) entries(ctx context.Context, q filter.Query, per feed.Period, top []feed.Item, total int, days []time.Time) ([]feed.DigestEntry, int, string) {
	e := g.e
	from := "the listing days held"
	if needsListing(q, per, days) {
		listing, ok := e.store.Period(per.Key())
		if !ok {
			return nil, 0, "" // could not be fetched (digestListings)
		}
		from = "Hugging Face's " + per.Kind + " listing"
		groups, totals, err := q.Groups(ctx, e.newIndex(listing), e.now(), func(time.Time) string { return per.Key() }, q.DigestSize)
		if err != nil {
			return nil, 0, ""
		}
		top, total = groups[per.Key()], totals[per.Key()]
	}
	entries := make([]feed.DigestEntry, len(top))
	for i, it := range top {
		entries[i] = feed.DigestEntry{Paper: it.Paper, Gain: it.Gain, GainHours: it.GainHours}
	}
	return entries, total, from
}

// digestListings makes sure the Hugging Face listings a digest needs
// are held before it is made: fetched on first demand, all at once,
// waiting at most the past wait. A listing still on its way is an error
// (refresh.ErrPending, or ErrAsked on a follower), so the reader gets a
// 503 with a short Retry-After, never a digest that lacks it and looks
// final. A listing that could not be fetched is left out of the digest.
// The stamp names the listings and when each was fetched, which every
// replica reads from the shared state alike.
func (g *digests) listings(ctx context.Context, q filter.Query, v *feed.View) (string, error) {
	e := g.e
	days := digestDays(q, v)
	var need []feed.Period
	for _, per := range g.closedPeriods(q.Digest, days, v) {
		if len(need) == q.Limit {
			break
		}
		if needsListing(q, per.Period, days) {
			need = append(need, per.Period)
		}
	}
	if len(need) == 0 {
		return "", nil
	}
	type result struct {
		fetched time.Time
		err     error
	}
	res := make([]result, len(need))
	var wg sync.WaitGroup
	for i, per := range need {
		wg.Go(func() {
			f, err := e.refresh.Past().Ensure(ctx, per.Key(), per.From, per.To)
			res[i] = result{f, err}
		})
	}
	wg.Wait()
	var stamp strings.Builder
	for i, per := range need {
		switch err := res[i].err; {
		case err == nil:
			fmt.Fprintf(&stamp, "%s@%d;", per.Key(), res[i].fetched.UnixNano())
		case errors.Is(err, refresh.ErrPending), errors.Is(err, refresh.ErrAsked), ctx.Err() != nil:
			return "", err
		default:
			fmt.Fprintf(&stamp, "%s!;", per.Key()) // left out
		}
	}
	return stamp.String(), nil
}

// mergeDays joins two newest-first day lists, without repeats.
func mergeDays(x, y []time.Time) []time.Time {
	out := append(slices.Clone(x), y...)
	slices.SortFunc(out, func(a, b time.Time) int { return b.Compare(a) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// withoutDigest is a canonical query without its digest parameters: the
// builder page's view of one period.
func withoutDigest(canonical string) string {
	v, err := url.ParseQuery(canonical)
	if err != nil {
		return ""
	}
	for _, k := range []string{"digest", "digest_size", "limit"} {
		v.Del(k)
	}
	return v.Encode()
}

// periodParam is the query parameter naming a period.
func periodParam(per feed.Period) string {
	kind := per.Kind
	if kind == feed.PeriodDay {
		kind = "date"
	}
	return kind + "=" + per.Value
}

func joinQuery(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}
