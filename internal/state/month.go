package state

import (
	"fmt"
	"time"

	"paperfeed/feed"
)

// FillMonth writes a realistic month of state for benchmarks and for
// sizing: days listing days ending the day before newest, each with hf
// Hugging Face papers and, on weekdays, arxiv arXiv papers of the
// followed categories, made from the given papers (recorded ones,
// renumbered). Every HF paper gets an hourly history point for its first
// three days, thinned as the service would after a week.
func FillMonth(b Backend, papers []*feed.Paper, newest time.Time, days, hf, arxiv int) error {
	n := 0
	next := func(d time.Time, onHF bool) feed.Paper {
		p := papers[n%len(papers)].Clone()
		n++
		p.ID = fmt.Sprintf("%s.%05d", d.Format("0601"), n%100000)
		p.OnHF, p.OnArxiv = onHF, !onHF
		if onHF {
			p.ListedOn = d
		} else {
			p.ListedOn, p.Announced, p.AnnounceType = time.Time{}, d, "new"
			p.Categories = []string{"cs.LG", "cs.CL", "cs.CV", "cs.AI"}[n%4 : n%4+1]
		}
		return p
	}
	end := feed.DayOf(newest)
	for i := days; i >= 1; i-- {
		d := end.AddDate(0, 0, -i)
		c := &Change{At: d.Add(20 * time.Hour), Put: map[string]Entry{}, Changed: map[string]time.Time{},
			FirstSeen: map[string]time.Time{}, Points: map[string]Point{}}
		var hfDay []feed.Paper
		for range hf {
			hfDay = append(hfDay, next(d, true))
		}
		c.Put["hf/"+d.Format(time.DateOnly)] = Entry{Papers: hfDay, Fetched: c.At}
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			var axDay []feed.Paper
			for range arxiv {
				axDay = append(axDay, next(d, false))
			}
			c.Put["arxiv/"+d.Format(time.DateOnly)] = Entry{Papers: axDay, Fetched: c.At}
		}
		for _, e := range c.Put {
			for _, p := range e.Papers {
				c.Changed[p.ID], c.FirstSeen[p.ID] = c.At, d
			}
		}
		if err := b.Save(c); err != nil {
			return err
		}
		// History: hourly points over three days, as upvotes climb.
		for h := 1; h <= 72; h++ {
			at := d.Add(time.Duration(h) * time.Hour)
			pc := &Change{At: at, Points: map[string]Point{}}
			for j, p := range hfDay {
				pc.Points[p.ID] = Point{At: at, Upvotes: h * (1 + j%5), Comments: h / 10, Stars: h * j % 50, Code: h > 24}
			}
			if err := b.Save(pc); err != nil {
				return err
			}
		}
	}
	_, err := b.Prune(newest, func(string, time.Time) bool { return true })
	return err
}
