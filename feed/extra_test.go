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
