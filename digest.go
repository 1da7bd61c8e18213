package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"net/url"

	"github.com/cespare/xxhash/v2"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
)

// Digests: with digest=day|week|month a feed holds one item per closed
// listing period, listing the top digest_size papers of the filter. A
// period is closed once a later listing day appeared; the item is dated
// at that moment, so a reader never gets half a day. Its GUID is stable
// per (period, canonical filter). A day digest comes from the days held;
// a week or month from the days held when they cover it, else from
// Hugging Face's own week or month listing when held (it is fetched in
// the background on first demand).

// digestPeriod is one period a digest may cover.
type digestPeriod struct {
	key      string // "day/2026-11-26", "week/2026-W48", "month/2026-11"
	from, to time.Time
	closed   time.Time // when a later listing day appeared
	label    string
}

// digests makes a digest feed's items: one per closed period, newest
// first, at most limit, each listing the period's top papers.
func (a *app) digests(ctx context.Context, job renderJob) ([]feed.Item, error) {
	q := job.query
	days := digestDays(q, job.view)
	periods := a.closedPeriods(q.Digest, days, job.view)
	wanted := map[string]bool{}
	for _, per := range periods {
		wanted[per.key] = true
	}
	top, totals, err := q.Groups(ctx, job.index, a.now(), func(d time.Time) string {
		if k := periodOf(q.Digest, d).key; wanted[k] {
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
		entries, total, from := a.digestEntries(ctx, q, per, top[per.key], totals[per.key], days)
		if total == 0 {
			continue // nothing of the filter in the period: no empty item
		}
		if from == "" {
			continue // the period is not held completely (yet)
		}
		d := &feed.Digest{
			GUID:   "urn:paperfeed:digest:" + per.key + ":" + hash,
			Title:  fmt.Sprintf("%s, %s: top %d of %d", q.PeriodTitle(), per.label, len(entries), total),
			Link:   pageURL(job.base, joinQuery(withoutDigest(q.Canonical()), periodParam(per))),
			Period: per.key, Shown: len(entries), Total: total, From: from,
		}
		d.HTML = feed.DigestHTML(entries, "From "+from+".")
		out = append(out, feed.Item{Digest: d, Date: per.closed})
	}
	return out, nil
}

// closedPeriods are the periods of a kind that closed, newest first.
func (a *app) closedPeriods(kind string, days []time.Time, v *feed.View) []digestPeriod {
	if len(days) < 2 {
		return nil
	}
	var out []digestPeriod
	seen := map[string]bool{}
	for i := 1; i < len(days); i++ { // days[0], the newest, is open
		d := days[i]
		per := periodOf(kind, d)
		if seen[per.key] {
			continue
		}
		seen[per.key] = true
		// Closed by the first held day after the period, when it appeared.
		var next time.Time
		for j := i - 1; j >= 0; j-- {
			if days[j].After(per.to) {
				next = days[j]
				break
			}
		}
		if next.IsZero() {
			continue // the period is still being published
		}
		per.closed = a.dayAppeared(next, v)
		if per.closed.IsZero() {
			continue
		}
		out = append(out, per)
	}
	return out
}

// dayAppeared is when the service first held papers of a day, worked
// out once per data version for every day.
func (a *app) dayAppeared(day time.Time, v *feed.View) time.Time {
	a.daysMu.Lock()
	defer a.daysMu.Unlock()
	if a.daysVersion != v.Version || a.daysSeen == nil {
		ids := map[time.Time][]string{}
		for _, p := range v.Papers {
			ids[p.Day()] = append(ids[p.Day()], p.ID)
		}
		a.daysSeen = make(map[time.Time]time.Time, len(ids))
		for d, list := range ids {
			a.daysSeen[d] = a.refresh.FirstSeen(list)
		}
		a.daysVersion = v.Version
	}
	return a.daysSeen[day]
}

func periodOf(kind string, d time.Time) digestPeriod {
	switch kind {
	case "week":
		y, w := d.ISOWeek()
		from, _ := filter.WeekStart(y, w)
		to := from.AddDate(0, 0, 6)
		return digestPeriod{key: fmt.Sprintf("week/%04d-W%02d", y, w), from: from, to: to,
			label: fmt.Sprintf("week %04d-W%02d (%s – %s)", y, w, from.Format("2 Jan"), to.Format("2 Jan 2006"))}
	case "month":
		from := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		return digestPeriod{key: "month/" + from.Format("2006-01"), from: from, to: from.AddDate(0, 1, -1), label: from.Format("January 2006")}
	}
	return digestPeriod{key: "day/" + d.Format(time.DateOnly), from: d, to: d, label: d.Format("Mon 2 Jan 2006")}
}

// digestEntries are a period's top papers (top, of total, from the days
// held), or, when the days held begin inside the period, those of
// Hugging Face's own week or month listing; and where they came from
// ("" when nothing holds the period completely yet).
func (a *app) digestEntries(ctx context.Context, q filter.Query, per digestPeriod, top []feed.Item, total int, days []time.Time) ([]feed.DigestEntry, int, string) {
	from := "the listing days held"
	if needsListing(q, per, days) {
		listing, ok := a.store.Period(per.key)
		if !ok {
			return nil, 0, "" // could not be fetched (digestListings)
		}
		kind, _, _ := strings.Cut(per.key, "/")
		from = "Hugging Face's " + kind + " listing"
		groups, totals, err := q.Groups(ctx, a.newIndex(listing), a.now(), func(time.Time) string { return per.key }, q.DigestSize)
		if err != nil {
			return nil, 0, ""
		}
		top, total = groups[per.key], totals[per.key]
	}
	entries := make([]feed.DigestEntry, len(top))
	for i, it := range top {
		entries[i] = feed.DigestEntry{Paper: it.Paper, Gain: it.Gain, GainHours: it.GainHours}
	}
	return entries, total, from
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

// needsListing: a period that began before the days held comes from
// Hugging Face's own listing of it.
func needsListing(q filter.Query, per digestPeriod, days []time.Time) bool {
	return q.Source != filter.SourceArxiv && len(days) > 0 && per.from.Before(days[len(days)-1])
}

// digestListings makes sure the Hugging Face listings a digest needs
// are held before it is rendered: fetched on first demand, all at once,
// waiting at most the past wait. A listing still on its way is an error
// (refresh.ErrPending, or ErrAsked on a follower): the reader gets a 503
// with a short Retry-After, never a digest that lacks it and looks
// final. A listing that could not be fetched is left out of the digest.
// The stamp names the listings and when each was fetched, which every
// replica reads from the shared state alike: the render cache key, so
// that replicas render the same bytes from the same data.
func (a *app) digestListings(ctx context.Context, q filter.Query, v *feed.View) (string, error) {
	days := digestDays(q, v)
	var need []digestPeriod
	for _, per := range a.closedPeriods(q.Digest, days, v) {
		if len(need) == q.Limit {
			break
		}
		if needsListing(q, per, days) {
			need = append(need, per)
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
			f, err := a.refresh.Past().Ensure(ctx, per.key, per.from, per.to)
			res[i] = result{f, err}
		})
	}
	wg.Wait()
	var stamp strings.Builder
	for i, per := range need {
		switch err := res[i].err; {
		case err == nil:
			fmt.Fprintf(&stamp, "%s@%d;", per.key, res[i].fetched.UnixNano())
		case errors.Is(err, refresh.ErrPending), errors.Is(err, refresh.ErrAsked), ctx.Err() != nil:
			return "", err
		default:
			fmt.Fprintf(&stamp, "%s!;", per.key) // left out
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
func periodParam(per digestPeriod) string {
	kind, val, _ := strings.Cut(per.key, "/")
	if kind == "day" {
		kind = "date"
	}
	return kind + "=" + val
}
