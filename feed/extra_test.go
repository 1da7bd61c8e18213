package feed

import (
	"testing"
	"time"
)

func TestExtrasMergeApplyAndPrune(t *testing.T) {
	day := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	s := NewStore(7, 7, func() time.Time { return day.Add(12 * time.Hour) })
	s.PutHFDay(day, []Paper{{ID: "2608.00001", Title: "One", OnHF: true, ListedOn: day, Version: 1}})
	t1 := day.Add(time.Hour)
	s.PutExtras(map[string]Extra{
		"2608.00001": {Categories: []string{"cs.LG"}, Comment: "Accepted at ICML 2026", Version: 2, Updated: t1, Checked: t1},
		"2608.09999": {Comment: "a paper held nowhere", Checked: t1},
		"2604.00001": {Comment: "a seed", Checked: t1},
	})
	// A later look-up that knows less keeps what was known; counts arrive
	// on their own.
	s.PutExtras(map[string]Extra{"2608.00001": {Artifacts: &Artifacts{Models: 2, Checked: t1}}})
	p := s.View().ByID["2608.00001"]
	if p.Version != 2 || !p.Updated.Equal(t1) || p.Venue.Key != "icml" || p.Artifacts.Models != 2 || len(p.Categories) != 1 {
		t.Fatalf("paper with its look-ups: %+v", p)
	}
	if n := s.PruneExtras(func(id string) bool { return id == "2604.00001" }); n != 1 {
		t.Errorf("pruned %d look-ups, want 1", n)
	}
	if _, ok := s.Extra("2608.09999"); ok {
		t.Error("the look-up of a paper held nowhere was kept")
	}
	for _, id := range []string{"2608.00001", "2604.00001"} {
		if _, ok := s.Extra(id); !ok {
			t.Errorf("the look-up of %s was dropped", id)
		}
	}
}

// A first count of a paper's artifacts is a change even when it finds
// none (the counts appear in JSON Feed); a re-count that finds the same
// is not, and renders the same bytes.
func TestFirstArtifactCountIsAChange(t *testing.T) {
	day := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	s := NewStore(7, 7, func() time.Time { return day.Add(12 * time.Hour) })
	s.PutHFDay(day, []Paper{{ID: "2608.00001", Title: "One", OnHF: true, ListedOn: day, Version: 1},
		{ID: "2608.00002", Title: "Two", OnHF: true, ListedOn: day, Version: 1}})
	render := func() string {
		var items []Item
		for _, p := range s.View().Papers {
			items = append(items, Item{Paper: p})
		}
		b, err := RenderBytes(JSON, Meta{Title: "t", SelfURL: "http://x/feed.json", BaseURL: "http://x"}, items)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	v0, b0 := s.View(), render()
	s.PutExtras(map[string]Extra{"2608.00001": {Artifacts: &Artifacts{Checked: day.Add(time.Hour)}}})
	v1, b1 := s.View(), render()
	if v1.ByID["2608.00001"].SameRendering(v0.ByID["2608.00001"]) || b1 == b0 {
		t.Fatal("a first count that found no artifacts was taken as no change")
	}
	// A re-count of the same, while another paper changes (the view is
	// rebuilt): the first paper renders as it did.
	s.PutExtras(map[string]Extra{"2608.00001": {Artifacts: &Artifacts{Checked: day.Add(2 * time.Hour)}},
		"2608.00002": {Artifacts: &Artifacts{Models: 1, Checked: day.Add(2 * time.Hour)}}})
	v2 := s.View()
	if !v2.ByID["2608.00001"].SameRendering(v1.ByID["2608.00001"]) {
		t.Error("a re-count that found the same was taken as a change")
	}
	if v2.ByID["2608.00002"].SameRendering(v1.ByID["2608.00002"]) {
		t.Error("a count that found a model was taken as no change")
	}
}
