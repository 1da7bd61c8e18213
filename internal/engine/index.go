package engine

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
)

// indexes are the filter indexes of the data: the window's, one per data
// version, and those of past listings.
type indexes struct {
	mu      sync.Mutex
	version uint64
	window  *filter.Index
	past    map[string]pastIndex // per past listing and source
}

// pastIndex is what a past listing is filtered over, for one source:
// its own index, or (source=all, a listing the view holds whole) the
// view's index with a mask of the listing's papers and the arXiv papers
// of its days, which costs no second index of thousands of papers.
type pastIndex struct {
	version uint64    // the store view it merged
	fetched time.Time // the fetch it was built from
	ix      *filter.Index
	mask    *filter.Mask // nil: all of ix
	stamp   string
}

// maxPastIndexes bounds the past-listing indexes kept; all are dropped
// when it is reached (each is rebuilt on its next request).
const maxPastIndexes = 256

// index returns the filter index of a view, built once per version.
func (e *Engine) index(v *feed.View) *filter.Index {
	e.indexes.mu.Lock()
	defer e.indexes.mu.Unlock()
	if e.indexes.window == nil || e.indexes.version != v.Version {
		ix := e.newIndex(v.Papers)
		ix.VectorsFrom(e.indexes.window) // counts changed, texts not: the same vectors
		e.indexes.window, e.indexes.version = ix, v.Version
	}
	return e.indexes.window
}

// newIndex indexes papers with the recorded history of their counts.
func (e *Engine) newIndex(papers []*feed.Paper) *filter.Index {
	ix := filter.NewIndex(papers)
	h := filter.History{}
	for _, p := range papers {
		if !p.OnHF {
			continue // counts are HF's
		}
		pts, err := e.refresh.Kept().History(p.ID)
		if err != nil {
			continue
		}
		// Points from before the paper was on Hugging Face (arXiv's,
		// loaded first) did not know its counts: its history of counts
		// starts at its first sight there, so a paper that met a
		// condition then keeps its listing day, and gained nothing.
		pts = slices.DeleteFunc(pts, func(pt feed.Point) bool { return pt.NoHF })
		if len(pts) > 0 {
			h[p.ID] = pts
		}
	}
	ix.SetHistory(h)
	return ix
}

// papersFor picks the papers a query filters: the rolling window, or a
// past listing (date, week, month) fetched from Hugging Face on demand.
// stamp names the data version for the render cache; q is kept to the
// listing's part of the index when the index holds more.
func (e *Engine) papersFor(ctx context.Context, q *filter.Query, v *feed.View) (ix *filter.Index, stamp string, err error) {
	stamp = stampOf(v)
	period := q.Period()
	if period == "" || q.Source == feed.SourceArxiv {
		return e.index(v), stamp, nil
	}
	from, to := q.PeriodRange()
	if from.Equal(to) && slices.ContainsFunc(v.HFDays, from.Equal) {
		return e.index(v), stamp, nil
	}
	fetched, err := e.refresh.Past().Ensure(ctx, period, from, to)
	if err != nil {
		return nil, "", err
	}
	k := period + "|" + q.Source
	e.indexes.mu.Lock()
	pi, ok := e.indexes.past[k]
	e.indexes.mu.Unlock()
	if !ok || pi.version != v.Version || !pi.fetched.Equal(fetched) {
		pi = e.newPastIndex(q.Source, period, from, to, v, fetched)
		e.indexes.mu.Lock()
		if len(e.indexes.past) >= maxPastIndexes {
			clear(e.indexes.past)
		}
		e.indexes.past[k] = pi
		e.indexes.mu.Unlock()
	}
	if pi.mask != nil {
		*q = q.Within(pi.mask)
	}
	return pi.ix, pi.stamp, nil
}

// newPastIndex builds what a past listing is filtered over.
func (e *Engine) newPastIndex(source, period string, from, to time.Time, v *feed.View, fetched time.Time) pastIndex {
	pi := pastIndex{version: v.Version, fetched: fetched, stamp: stampOf(v) + "/" + strconv.FormatInt(fetched.UnixNano(), 36)}
	hf, _ := e.store.Period(period)
	if source != filter.SourceAll {
		pi.ix = e.newIndex(hf)
		return pi
	}
	// The listing plus the arXiv papers of its days.
	inDays := func(p *feed.Paper) bool { return p.OnArxiv && !p.Day().Before(from) && !p.Day().After(to) }
	listed := make(map[string]bool, len(hf))
	whole := true
	for _, p := range hf {
		listed[p.ID] = true
		whole = whole && v.ByID[p.ID] != nil
	}
	if whole { // the view holds the listing: its index, masked
		pi.ix = e.index(v)
		pi.mask = pi.ix.Mask(func(p *feed.Paper) bool { return listed[p.ID] || inDays(p) })
		return pi
	}
	papers := slices.Clone(hf) // neither append nor sort touches the store's slice
	for _, p := range v.Papers {
		if !listed[p.ID] && inDays(p) {
			papers = append(papers, p)
		}
	}
	feed.SortPapers(papers)
	pi.ix = e.newIndex(papers)
	return pi
}
