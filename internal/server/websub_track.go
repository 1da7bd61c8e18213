package server

import (
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
)

// The feeds WebSub tracks are those readers poll (see websub.go): a URL
// asked for once is only remembered as a hash in a fixed table, so junk
// URLs asked for once cost nothing and displace nobody.
const (
	websubTracked  = 2000
	websubWindow   = 7 * 24 * time.Hour
	websubPollGap  = time.Minute    // requests closer than this are one poll
	websubHalfLife = 24 * time.Hour // a poll weighs half as much a day later
	websubSeen     = 1 << 16        // slots of the first-poll table (1 MB)
)

// watched is a tracked feed.
type watched struct {
	etag   string     // the identity ETag last checked (or served when first tracked)
	facts  *feedFacts // what that render read (nil: unknown)
	full   time.Time  // when that render was made
	score  float64    // polls, decayed to at
	at     time.Time
	polled time.Time // the last poll counted
}

// weight is the feed's score as of now.
func (f *watched) weight(now time.Time) float64 {
	if !now.After(f.at) {
		return f.score
	}
	return f.score * math.Exp2(-float64(now.Sub(f.at))/float64(websubHalfLife))
}

// tracker holds the tracked feeds and the first polls of the others.
// Not safe for concurrent use (websub's mutex guards it).
type tracker struct {
	feeds map[string]*watched
	seen  []seenSlot
}

// seenSlot is one URL's first poll: its hash and when (Unix seconds).
type seenSlot struct {
	hash uint64
	at   int64
}

func newTracker() tracker {
	return tracker{feeds: map[string]*watched{}, seen: make([]seenSlot, websubSeen)}
}

// poll records a reader's request for the feed self, served as etag
// with facts.
func (t *tracker) poll(self, etag string, facts *feedFacts, now time.Time) {
	if f := t.feeds[self]; f != nil {
		if now.Sub(f.polled) >= websubPollGap {
			f.score, f.at, f.polled = f.weight(now)+1, now, now
		}
		return
	}
	h := xxhash.Sum64String(self) | 1 // 0 is an empty slot
	s := &t.seen[h&(websubSeen-1)]
	if s.hash != h {
		*s = seenSlot{hash: h, at: now.Unix()}
		return
	}
	if now.Unix()-s.at < int64(websubPollGap/time.Second) {
		return // a reload, not a second poll
	}
	*s = seenSlot{}
	t.admit(self, &watched{etag: etag, facts: facts, full: now, score: 2, at: now, polled: now})
}

// admit tracks a feed polled twice; when full, it takes the place of the
// weakest only if it weighs more.
func (t *tracker) admit(self string, f *watched) {
	if len(t.feeds) >= websubTracked {
		weakest, low := "", math.Inf(1)
		for u, g := range t.feeds {
			if w := g.weight(f.at); w < low {
				weakest, low = u, w
			}
		}
		if low >= f.score {
			return
		}
		delete(t.feeds, weakest)
	}
	t.feeds[self] = f
}

// dueFeed is a tracked feed to check, as it was when picked.
type dueFeed struct {
	self string
	watched
}

// due drops the feeds not polled for websubWindow and returns the n
// polled most, the heaviest first.
func (t *tracker) due(now time.Time, n int) []dueFeed {
	type ranked struct {
		d dueFeed
		w float64
	}
	all := make([]ranked, 0, len(t.feeds))
	for self, f := range t.feeds {
		if now.Sub(f.polled) > websubWindow {
			delete(t.feeds, self)
			continue
		}
		all = append(all, ranked{dueFeed{self, *f}, f.weight(now)})
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if a.w != b.w {
			if a.w > b.w {
				return -1
			}
			return 1
		}
		if a.d.self < b.d.self {
			return -1
		}
		return 1
	})
	out := make([]dueFeed, 0, min(n, len(all)))
	for _, r := range all[:min(n, len(all))] {
		out = append(out, r.d)
	}
	return out
}
