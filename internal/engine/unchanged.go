package engine

import (
	"context"
	"slices"

	"paperfeed/feed"
	"paperfeed/filter"
)

// Changes are what differs between two views of the data: the papers
// that came, went or changed, indexed as they are now and as they were,
// and whether any text the similarity vectors read changed. WebSub uses
// them to tell, without filtering the whole data again, which feeds
// cannot have changed (Unchanged).
type Changes struct {
	From, To uint64 // the views' versions
	ids      map[string]bool
	texts    bool           // a paper came or went, or a title, abstract, AI summary or keywords changed
	now, was *filter.Index  // the changed papers as they are now, as they were
	pos      map[string]int // each paper's place in the newer view's order
}

// Changes compares two views of the data.
func (e *Engine) Changes(from, to *feed.View) *Changes {
	c := &Changes{From: from.Version, To: to.Version, ids: map[string]bool{}, pos: make(map[string]int, len(to.Papers))}
	for i, p := range to.Papers {
		c.pos[p.ID] = i
	}
	var now, was []*feed.Paper
	for id, p := range to.ByID {
		o := from.ByID[id]
		switch {
		case o == nil:
			c.texts = true
		case p.SameRendering(o):
			continue
		default:
			was = append(was, o)
			if o.Title != p.Title || o.Abstract != p.Abstract || o.AISummary != p.AISummary || !slices.Equal(o.AIKeywords, p.AIKeywords) {
				c.texts = true
			}
		}
		c.ids[id] = true
		now = append(now, p)
	}
	for id, o := range from.ByID {
		if to.ByID[id] == nil {
			c.ids[id], c.texts = true, true
			was = append(was, o)
		}
	}
	feed.SortPapers(now)
	feed.SortPapers(was)
	c.now, c.was = e.newIndex(now), e.newIndex(was)
	return c
}

// Papers is how many papers came, went or changed.
func (c *Changes) Papers() int { return len(c.ids) }

// Unchanged reports whether a window feed of the query q, whose items
// over the older view were the papers ids, surely has the same items
// over the newer view, each unchanged, so the same bytes: none of its
// papers changed or went, and no paper that came or changed can join it.
// For a feed without like=, a changed paper could join it when the
// query keeps it, unless the feed is full and made of the first papers
// in the view's order and the paper comes after its last; with like=,
// scores stay as they were only when no text changed and no paper came
// or went and the feed is ordered by them, and then a changed paper
// could join (or leave) only when the query's other conditions keep it
// now and did not before, or the other way.
// It answers false (check by rendering) whenever it cannot tell; q must
// be a feed whose data is the view alone (Plan.Aliasable: no clock, no
// past listing, no digest).
func (e *Engine) Unchanged(ctx context.Context, c *Changes, q filter.Query, ids []string) bool {
	for _, id := range ids {
		if c.ids[id] {
			return false
		}
	}
	if len(c.ids) == 0 {
		return true
	}
	limit, ordered := q.Limit, q.InIndexOrder()
	q.Limit = 0 // every paper it keeps, not only the first
	if len(q.Like) == 0 {
		items, err := q.Apply(ctx, c.now, e.now())
		if err != nil || len(items) == 0 {
			return err == nil
		}
		// A feed of the first papers in the view's order, full: a kept
		// paper placed after its last item cannot join it.
		if !ordered || len(ids) < limit {
			return false
		}
		last, ok := c.pos[ids[len(ids)-1]]
		for _, it := range items {
			if !ok || c.pos[it.Paper.ID] < last {
				return false
			}
		}
		return true
	}
	if c.texts || (q.Sort != filter.SortSimilarity && q.Sort != "") {
		return false // scores moved, or a changed count may reorder
	}
	q.Like, q.Unlike, q.Seeds = nil, nil, nil
	q.Sort = filter.SortDate
	now, err := q.Apply(ctx, c.now, e.now())
	if err != nil {
		return false
	}
	was, err := q.Apply(ctx, c.was, e.now())
	if err != nil {
		return false
	}
	return slices.Equal(itemIDs(now), itemIDs(was))
}

// itemIDs are the sorted IDs of items' papers.
func itemIDs(items []feed.Item) []string {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if it.Paper != nil {
			ids = append(ids, it.Paper.ID)
		}
	}
	slices.Sort(ids)
	return ids
}
