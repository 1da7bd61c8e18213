package filter

import (
	"slices"

	"paperfeed/feed"
)

// Similarity vectors depend on the papers' texts alone (title, abstract,
// AI summary, keywords) and on which papers the index holds. Most data
// changes move counts only (votes, comments, stars, linked artifacts),
// so a new index of the same papers with the same texts takes the
// vectors of the previous one, in its own order, instead of building
// them again.

// VectorsFrom lets ix take prev's similarity vectors when it first needs
// them, if both hold the same papers with the same texts (else it builds
// its own). It holds on to at most one older index, one whose vectors
// are built, and lets go of it once its own are made.
func (ix *Index) VectorsFrom(prev *Index) {
	if prev == nil || prev == ix {
		return
	}
	src := prev
	if !prev.sim.done.Load() {
		src = prev.sim.from.Load() // built, or nil
	}
	if src != nil {
		ix.sim.from.Store(src)
	}
}

// remap returns the vectors for papers, taken from sv, when sv holds the
// same papers with the same texts; nil otherwise.
func (sv *simVectors) remap(papers []*feed.Paper) *simVectors {
	if len(papers) != len(sv.byID) {
		return nil
	}
	out := &simVectors{vz: sv.vz, idf: sv.idf, vecs: make([][]wterm, len(papers)), byID: make(map[string]int, len(papers))}
	for i, p := range papers {
		j, ok := sv.byID[p.ID]
		if !ok || !sameTexts(sv.papers[j], p) {
			return nil
		}
		out.vecs[i], out.byID[p.ID] = sv.vecs[j], i
	}
	out.papers = papers
	return out
}

// sameTexts reports whether two versions of a paper have the texts
// vectors are made of.
func sameTexts(a, b *feed.Paper) bool {
	return a.Title == b.Title && a.Abstract == b.Abstract && a.AISummary == b.AISummary && slices.Equal(a.AIKeywords, b.AIKeywords)
}
