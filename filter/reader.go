package filter

import "strings"

// Reader options say how a feed's items are identified, not which
// papers it holds:
//
//   - guid=paper (the default) gives an item its paper's GUID, the
//     version-free arXiv URL, in every feed: a reader that keeps one item
//     per GUID shows a paper once, however many feeds hold it.
//   - guid=feed gives it a GUID of the feed's own, made from the feed's
//     canonical filter (so the same in every spelling of the URL and in
//     every format), for readers such as newsboat that keep one item per
//     GUID across all feeds and would show a paper two feeds hold in one
//     of them only.

// GUID choices.
const (
	GUIDPaper = "paper"
	GUIDFeed  = "feed"
)

// setReader reads guid=, the reader option.
func setReader(q *Query, key, val string, _ Options) error {
	g := strings.ToLower(val)
	if g != GUIDPaper && g != GUIDFeed {
		return errf(key, val, "must be paper (the paper's arXiv URL, the same in every feed; the default) or feed (this feed's own, for readers that keep one item per GUID across all feeds)")
	}
	q.GUID = g
	if g == GUIDFeed {
		q.raw.Set(key, g)
	}
	return nil
}

// OwnGUIDs reports whether the feed's items take GUIDs of the feed's own
// (guid=feed).
func (q Query) OwnGUIDs() bool { return q.GUID == GUIDFeed }
