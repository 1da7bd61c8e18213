package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"paperfeed/feed"
)

// Unchanged never says a feed is unchanged when its bytes changed: over
// rounds of random data changes (votes and comments of a few papers,
// linked-artifact counts, new papers on a day), every window feed of a
// varied set is rendered before and after, and each one Unchanged
// passes must render the same bytes in RSS and JSON. It must also pass
// some (a check that never skips would be correct and useless).
func TestUnchangedNeverHidesAChange(t *testing.T) {
	e := loadedEngine(t)
	ctx := context.Background()
	v0 := e.View()
	var hfIDs []string
	for _, p := range v0.Papers {
		if p.OnHF {
			hfIDs = append(hfIDs, p.ID)
		}
	}
	queries := []string{
		"", "q=agents", "q=model", "q=language", "q=diffusion OR video", "q=-survey&limit=5", "min_upvotes=20", "min_upvotes=5&q=learning",
		"sort=upvotes&limit=10", "sort=comments&limit=5", "source=all&limit=50", "source=arxiv", "source=arxiv&q=language",
		"has_code=1", "has_model=1", "min_models=1&sort=upvotes", "days=1", "in=title&q=reasoning", "q=zzqqxx", "author=chen",
		"like=" + hfIDs[0], "like=" + hfIDs[3] + "," + hfIDs[9], "like=" + hfIDs[5] + "&min_upvotes=10", "like=" + hfIDs[2] + "&sort=upvotes",
		"like=" + hfIDs[7] + "&unlike=" + hfIDs[8] + "&limit=5", "source=all&sort=upvotes&limit=20",
	}
	render := func(items []feed.Item, modified time.Time) string {
		var out string
		for _, f := range []feed.Format{feed.RSS, feed.JSON} {
			b, err := feed.RenderBytes(f, feed.Meta{Title: "t", SelfURL: "http://x/feed", BaseURL: "http://x", Updated: modified}, items)
			if err != nil {
				t.Fatal(err)
			}
			out += string(b)
		}
		return out
	}
	type before struct {
		body string
		ids  []string
	}
	rng := rand.New(rand.NewPCG(1, 2))
	skipped, changed := 0, 0
	for round := range 32 {
		old := e.View()
		was := map[string]before{}
		for _, raw := range queries {
			p, err := e.Plan(ctx, parse(t, e, raw), "")
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if !p.Aliasable {
				continue
			}
			items, modified, err := e.Items(ctx, p, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.Paper.ID)
			}
			was[raw] = before{render(items, modified), ids}
		}
		// A change: votes of a few papers of one day, or artifact counts,
		// or a new paper on the newest day.
		switch round % 4 {
		case 3: // a paper low on the newest day jumps to its top
			var low *feed.Paper
			for _, p := range old.Papers {
				if p.OnHF && p.ListedOn.Equal(old.HFDays[0]) {
					low = p
				}
			}
			c := low.Clone()
			c.Upvotes += 1000
			e.store.PutHFDay(old.HFDays[0], []feed.Paper{c})
		case 0:
			day := old.HFDays[rng.IntN(len(old.HFDays))]
			var ps []feed.Paper
			for _, p := range old.Papers {
				if p.OnHF && p.ListedOn.Equal(day) && rng.IntN(3) == 0 {
					c := p.Clone()
					c.Upvotes += 1 + rng.IntN(30)
					c.Comments += rng.IntN(2)
					ps = append(ps, c)
				}
			}
			e.store.PutHFDay(day, ps)
		case 1:
			extras := map[string]feed.Extra{}
			for range 5 {
				id := hfIDs[rng.IntN(len(hfIDs))]
				extras[id] = feed.Extra{Artifacts: &feed.Artifacts{Models: rng.IntN(3), Checked: time.Now()}}
			}
			e.store.PutExtras(extras)
		case 2:
			base := *old.ByID[hfIDs[rng.IntN(len(hfIDs))]]
			c := base.Clone()
			c.ID = fmt.Sprintf("2699.%05d", round)
			c.ListedOn = old.HFDays[0]
			e.store.PutHFDay(old.HFDays[0], []feed.Paper{c})
		}
		now := e.View()
		if now.Version == old.Version {
			continue
		}
		ch := e.Changes(old, now)
		for raw, b := range was {
			p, err := e.Plan(ctx, parse(t, e, raw), "")
			if err != nil {
				t.Fatal(err)
			}
			items, modified, err := e.Items(ctx, p, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			body := render(items, modified)
			same := body == b.body
			if !same {
				changed++
			}
			if e.Unchanged(ctx, ch, p.Query, b.ids) {
				skipped++
				if !same {
					t.Errorf("round %d (%d papers changed): %q judged unchanged, but its feed changed: %s", round, ch.Papers(), raw, firstDiff(b.body, body))
				}
			}
		}
	}
	t.Logf("%d feeds judged unchanged without a render, %d changed", skipped, changed)
	if skipped == 0 || changed == 0 {
		t.Errorf("%d judged unchanged, %d changed: the test proves nothing", skipped, changed)
	}
}

// firstDiff shows where two renderings first differ.
func firstDiff(was, now string) string {
	k := 0
	for k < min(len(was), len(now)) && was[k] == now[k] {
		k++
	}
	return fmt.Sprintf("at byte %d, %q became %q", k, was[max(0, k-80):min(k+80, len(was))], now[max(0, k-80):min(k+80, len(now))])
}
