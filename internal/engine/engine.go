// Package engine turns a parsed query into the items of its feed and
// names the data they come from. It stands between the data (the store
// the refresh side fills) and the routes: the HTTP side parses a query,
// asks the engine for a plan and its items, renders and writes; it knows
// nothing of indexes, listings or clocks.
//
// The rules, in the order a request meets them:
//
//  1. A source that has not loaded is waited for only while a fetch
//     that may bring it runs (WaitLoaded).
//  2. Plan resolves what the query needs before anything is rendered:
//     the seed papers of like= (held, or looked up on arXiv once), the
//     Hugging Face listing of a past day, week or month, and the week or
//     month listings a digest needs. One still on its way is an error
//     (the reader gets a 503), never a feed that lacks it.
//  3. The plan's Key names the data the feed reads (the store's version,
//     and when each listing it uses was fetched, which replicas share)
//     and, for the queries that depend on the clock, the clock: the day
//     for filter_time, a ten-minute step for gains. Two requests with the
//     same query and key get the same bytes, on any replica.
//  4. Items filters, orders and cuts the papers, or groups them into
//     digests of closed periods, and says when the feed last changed.
//
// Indexes are built once per data version: the window's (warmed after
// each refresh), a past listing's (or a mask of the window's when it
// holds the listing whole).
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
)

// Engine answers queries over the store the refresh side fills.
type Engine struct {
	store   *feed.Store
	refresh *refresh.Service
	now     func() time.Time
	maxDays int // the longest window kept (HF or arXiv days)
	indexes indexes
	digests *digests
}

// New makes an engine over a store and its refresh side; maxDays is the
// longest window kept (-days, -arxiv-days).
func New(store *feed.Store, r *refresh.Service, now func() time.Time, maxDays int) *Engine {
	e := &Engine{store: store, refresh: r, now: now, maxDays: maxDays, indexes: indexes{past: map[string]pastIndex{}}}
	e.digests = &digests{e: e}
	return e
}

// View is the store's current data.
func (e *Engine) View() *feed.View { return e.store.View() }

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.now() }

// Today is the clock's UTC day.
func (e *Engine) Today() time.Time { return feed.DayOf(e.now()) }

// Options are the facts queries are validated against now.
func (e *Engine) Options() filter.Options {
	v := e.store.View()
	o := filter.Options{Today: e.Today(), Earliest: feed.FirstListing, MaxDays: e.maxDays}
	for _, days := range [][]time.Time{v.HFDays, v.ArxivDays} {
		if n := len(days); n > 0 && (o.Oldest.IsZero() || days[n-1].Before(o.Oldest)) {
			o.Oldest = days[n-1]
		}
	}
	return o
}

// Ready reports whether the default feed (Hugging Face) can be served.
func (e *Engine) Ready() bool { return e.refresh.Loaded(feed.SourceHF).Done() }

// WaitLoaded waits for a source's first load while a fetch that may
// bring it runs (refresh.Service.WaitLoaded).
func (e *Engine) WaitLoaded(ctx context.Context, source string, wait time.Duration) (bool, refresh.SourceState) {
	return e.refresh.WaitLoaded(ctx, source, wait)
}

// WarmIndex builds the window's index after a refresh, so no request
// waits for it. (Its similarity vectors are built on the first like=
// query: about 0.2 s and 10 MB for 5,000 papers, which an instance
// nobody asks for similar papers should not pay.)
func (e *Engine) WarmIndex() { e.index(e.store.View()) }

// Plan is what the engine made ready for one query.
type Plan struct {
	Query filter.Query // with its seeds, kept to its listing
	// Key names the data the feed reads and, where the query depends on
	// it, the clock (rule 3): a part of the render cache key.
	Key string
	// Aliasable: the feed depends on the data version alone, so a
	// request written the same way may reuse its render until the data
	// changes.
	Aliasable bool
	index     *filter.Index
	view      *feed.View
}

// Version is the data version the plan reads.
func (p *Plan) Version() uint64 { return p.view.Version }

// risingStep is how often a feed that reads gains (trending, min_gain)
// is made anew without a data change: gains move with the clock.
const risingStep = 10 * time.Minute

// Plan resolves what q needs (rule 2) and names its data (rule 3).
// client names who asks, for the per-client budget of look-ups. An
// invalid seed is a *filter.Error; a listing or a seed on its way, or an
// upstream that cannot be reached, another error.
func (e *Engine) Plan(ctx context.Context, q filter.Query, client string) (*Plan, error) {
	if err := e.resolveSeeds(ctx, &q, client); err != nil {
		return nil, err
	}
	v := e.store.View()
	ix, stamp, err := e.papersFor(ctx, &q, v)
	if err != nil {
		return nil, fmt.Errorf("could not load that listing from Hugging Face: %w", err)
	}
	reads := q.Reads() // what the parameters say they read (filter's table)
	p := &Plan{Query: q, index: ix, view: v, Key: stamp, Aliasable: reads == 0}
	if reads&filter.ReadsDay != 0 {
		p.Key += "|" + e.Today().Format(time.DateOnly) // its window moves with the clock
	}
	if reads&filter.ReadsGains != 0 {
		p.Key += "|" + e.now().UTC().Truncate(risingStep).Format(time.RFC3339) // gains move with the clock
	}
	if reads&filter.ReadsDigests != 0 {
		listings, err := e.digests.listings(ctx, q, v)
		if err != nil {
			return nil, fmt.Errorf("getting the Hugging Face listings this digest needs: %w", err)
		}
		p.Key += "|" + listings
	}
	return p, nil
}

// Items makes a plan's items (rule 4) and the time the feed last
// changed: the newest change of its items (or the newest item date); a
// feed of past listings the store never changed takes its newest listing
// day. An empty feed has none (zero): its bytes, and so its ETag, do not
// change when only data it does not show changed. pageLink makes the
// builder page's URL of a canonical query (a digest item links to its
// period there).
func (e *Engine) Items(ctx context.Context, p *Plan, pageLink func(query string) string) ([]feed.Item, time.Time, error) {
	var items []feed.Item
	var err error
	if p.Query.Digest != "" {
		items, err = e.digests.items(ctx, p, pageLink)
	} else {
		items, err = p.Query.Apply(ctx, p.index, e.now())
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	var modified time.Time
	for i := range items {
		it := &items[i]
		if it.Paper != nil && it.Paper.Changed.After(modified) {
			modified = it.Paper.Changed
		}
		if it.Date.After(modified) {
			modified = it.Date
		}
	}
	if modified.IsZero() {
		for i := range items {
			if w := items[i].When(); w.After(modified) {
				modified = w
			}
		}
	}
	return items, modified, nil
}

// resolveSeeds finds the seed papers of like= and unlike=: held, or looked up on
// arXiv. An ID arXiv does not have is a *filter.Error (400); arXiv
// unreachable or the look-up budget spent is an error for a 503.
func (e *Engine) resolveSeeds(ctx context.Context, q *filter.Query, client string) error {
	if len(q.Like) == 0 {
		return nil
	}
	ctx = refresh.WithClient(ctx, client) // look-ups a client may cause are bounded
	seeds, err := e.refresh.Seeds(ctx, append(slices.Clip(q.Like), q.Unlike...))
	var unknown *refresh.ErrUnknownPapers
	switch {
	case errors.As(err, &unknown):
		param := "like"
		if slices.Contains(q.Unlike, unknown.IDs[0]) {
			param = "unlike"
		}
		return &filter.Error{Param: param, Value: strings.Join(unknown.IDs, ","),
			Reason: "arXiv has no paper with this ID; check it, or leave it out"}
	case err != nil:
		return fmt.Errorf("could not look up the papers of like= on arXiv: %w", err)
	}
	q.Seeds = seeds
	return nil
}

// stampOf names a data version in a key.
func stampOf(v *feed.View) string { return strconv.FormatUint(v.Version, 10) }
