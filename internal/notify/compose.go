package notify

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
)

// MaxPerPayload papers go in one webhook delivery (about 5 KB each as
// JSON Feed items: a payload stays well under the 1 MB many receivers
// and proxies accept); a burst of more is sent in several, each with the
// papers it carries.
const MaxPerPayload = 50

// next is the subscription's next message: nil when nothing is due. A
// subscription that has not begun begins here, once every source has
// completed its first load: what its feed holds then is recorded as not
// to send, unless it asked for a backfill.
func (n *Notifier) next(ctx context.Context, s Subscription, st *subState, l *lane) (*Message, error) {
	now := n.now()
	version := n.src.Version()
	l.mu.Lock()
	mk := l.read
	l.mu.Unlock()
	if st.Mark != nil && mk.version == version && now.Sub(mk.at) < recheckEvery {
		return nil, nil // nothing new to read
	}
	var mark Mark
	if st.Mark == nil {
		var err error
		if mark, err = n.src.Mark(ctx, s.Query); err != nil {
			return nil, err
		}
	}
	items, err := n.src.Items(ctx, s.Query)
	if err != nil {
		return nil, err
	}
	if st.Mark == nil {
		began := st.Baselined // before marks were kept: it gets one now
		st.Baselined, st.Base, st.Mark = true, now, &mark
		if !began && !s.Backfill {
			// What the feed holds now is old news (it would be a flood).
			// Recorded by key, beside the mark's days: a paper the open
			// listing day gains later is new.
			for i := range items {
				if it := &items[i]; it.Paper != nil || it.Digest != nil {
					st.Held[key(it)] = now
				}
			}
		}
		if err := n.save(s, st); err != nil || (!began && !s.Backfill) {
			return nil, err
		}
	}
	if st.Mark != nil && !s.Backfill {
		if err := n.joinLate(ctx, s, st, items); err != nil {
			return nil, err
		}
	}
	m, rest := n.compose(s, st, items)
	if m == nil || rest == 0 {
		// Read, and nothing due beyond this message: not read again on
		// the same data.
		l.mu.Lock()
		l.read = readMark{version, now}
		l.mu.Unlock()
		st.prune(now)
	}
	return m, nil
}

// joinLate begins the subscription for a source that held nothing when
// it began (its first load failed, and a later one brought data): what
// that source brings now is old news as well.
func (n *Notifier) joinLate(ctx context.Context, s Subscription, st *subState, items []feed.Item) error {
	if len(st.Mark.Newest) == 2 && !st.Mark.Digest.IsZero() {
		return nil
	}
	cur, err := n.src.Mark(ctx, s.Query)
	if err != nil {
		return nil // tried again at the next run
	}
	joined := map[string]bool{}
	for src, day := range cur.Newest {
		if _, ok := st.Mark.Newest[src]; !ok {
			if st.Mark.Newest == nil {
				st.Mark.Newest = map[string]time.Time{}
			}
			st.Mark.Newest[src], joined[src] = day, true
		}
	}
	digests := st.Mark.Digest.IsZero() && !cur.Digest.IsZero()
	if digests {
		st.Mark.Digest = cur.Digest
	}
	if len(joined) == 0 && !digests {
		return nil
	}
	now := n.now()
	for i := range items {
		it := &items[i]
		switch {
		case it.Digest != nil && digests, it.Paper != nil && joined[paperSource(it.Paper)]:
			st.Held[key(it)] = now
		}
	}
	return n.save(s, st)
}

// paperSource is the listing source that dates a paper.
func paperSource(p *feed.Paper) string {
	if !p.ListedOn.IsZero() {
		return feed.SourceHF
	}
	return feed.SourceArxiv
}

// old reports whether an item was old news when the subscription began,
// however late it arrived: a digest of a period that had closed, a paper
// listed on a day older than the newest its source held, one that met
// the filter before then. A backfill sends them.
func old(s Subscription, st *subState, it *feed.Item) bool {
	if s.Backfill || st.Mark == nil {
		return false
	}
	if d := it.Digest; d != nil {
		p, err := feed.ParsePeriod(d.Period)
		return err == nil && p.To.Before(st.Mark.Digest)
	}
	if !it.Date.IsZero() {
		return it.Date.Before(st.Base)
	}
	open := st.Mark.Newest[paperSource(it.Paper)]
	return !open.IsZero() && it.Paper.Day().Before(open)
}

// key names what an item delivers.
func key(it *feed.Item) string {
	switch {
	case it.Digest != nil:
		return "digest/" + it.Digest.Period
	case it.Version > 1:
		return feed.VersionGUID(it.Paper.ID, it.Version)
	default:
		return it.Paper.ID
	}
}

// compose makes the next message of what the feed holds and was neither
// sent, given up, held when the subscription began nor old news then:
// one per digest period; else every such paper, in the order they
// joined (a webhook's at most MaxPerPayload a delivery, every one in its
// payload; a chat's or a mail's all in one, the first MaxPerMessage
// listed). rest counts what is due after it.
func (n *Notifier) compose(s Subscription, st *subState, items []feed.Item) (m *Message, rest int) {
	var due []feed.Item
	reach := 0 // how far down the feed the last of them is
	for i := range items {
		it := &items[i]
		if it.Paper == nil && it.Digest == nil {
			continue
		}
		k := key(it)
		_, done := st.Delivered[k]
		_, failed := st.Failed[k]
		_, held := st.Held[k]
		if done || failed || held || old(s, st, it) {
			continue
		}
		due = append(due, *it)
		reach = i + 1
	}
	if len(due) == 0 {
		return nil, 0
	}
	slices.SortStableFunc(due, func(a, b feed.Item) int { return a.When().Compare(b.When()) })
	m = &Message{Subscription: s.Name, FeedURL: n.src.FeedURL(s.Query, reach), Made: n.now().UTC(), Stop: n.stopFor(s), Unsubscribe: s.Unsubscribe}
	if d := due[0].Digest; d != nil {
		m.Title = "paperfeed · " + s.label() + ": " + d.Title
		m.Keys = []string{key(&due[0])}
		for _, e := range d.Entries {
			m.Papers = append(m.Papers, paperOf(&feed.Item{Paper: e.Paper, Gain: e.Gain, GainHours: e.GainHours}))
		}
		if s.whole() {
			m.JSONFeed = n.src.JSONFeed(m.Title, s.Query, due[:1])
		}
	} else {
		batch := due
		if s.whole() {
			batch = due[:min(len(due), MaxPerPayload)]
		}
		for i := range batch {
			m.Keys = append(m.Keys, key(&batch[i]))
		}
		listed := batch
		if !s.whole() {
			listed = batch[:min(len(batch), MaxPerMessage)]
		}
		for i := range listed {
			m.Papers = append(m.Papers, paperOf(&listed[i]))
		}
		m.More = len(due) - len(listed)
		noun := "papers"
		if len(batch) == 1 {
			noun = "paper"
		}
		m.Title = "paperfeed · " + s.label() + ": " + itoa(len(batch)) + " new " + noun
		if s.whole() {
			if m.More > 0 {
				m.Title += " (" + itoa(m.More) + " more follow)"
			}
			m.JSONFeed = n.src.JSONFeed(m.Title, s.Query, batch)
		}
	}
	m.DeliveryID = deliveryID(s.Name, m.Keys)
	return m, len(due) - len(m.Keys)
}

func paperOf(it *feed.Item) Paper {
	p := it.Paper
	out := Paper{ID: p.ID, Title: p.Title, URL: p.Link(), Upvotes: p.Upvotes, Code: p.CodeURL}
	if it.Version > 1 {
		out.Title += " (v" + itoa(it.Version) + ")"
	}
	if len(p.Authors) > 0 {
		out.Authors = p.Authors[0]
		if len(p.Authors) > 1 {
			out.Authors += " et al."
		}
	}
	if v := feed.VenueLine(p.Venue); v != "" {
		out.Note = v
	}
	if it.GainHours > 0 {
		out.Note = strings.TrimPrefix(out.Note+" · ", " · ") + "+" + itoa(it.Gain) + " in " + itoa(it.GainHours) + " h"
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// backoff is the wait after a message's attempts-th failed send.
func backoff(attempts int) time.Duration {
	return min(firstBackoff<<(min(attempts, 20)-1), maxBackoff)
}
