package feed

import (
	"slices"
	"time"
)

// Extra is what look-ups add to a paper beyond its listings: arXiv's own
// record of it (categories, comment, journal reference, DOI, latest
// version and when it was posted), and the models, datasets and Spaces
// Hugging Face links to it. The store keeps one per paper and lays it
// over the paper in every view.
type Extra struct {
	Categories []string  `json:"cats,omitempty"` // primary first
	Comment    string    `json:"comment,omitempty"`
	JournalRef string    `json:"journal_ref,omitempty"`
	DOI        string    `json:"doi,omitempty"`
	Version    int       `json:"version,omitempty"`
	Updated    time.Time `json:"updated,omitzero"` // the latest version's date
	Checked    time.Time `json:"checked,omitzero"` // when arXiv was last asked
	// Artifacts are the Hugging Face links, nil when not looked up.
	Artifacts *Artifacts `json:"artifacts,omitempty"`
}

// Artifacts are the models, datasets and Spaces Hugging Face links to a
// paper, counted when Checked.
type Artifacts struct {
	Models   int `json:"models"`
	Datasets int `json:"datasets"`
	Spaces   int `json:"spaces"`
	// The first few of each by Hub ID ("owner/name"), as HF orders them.
	ModelIDs   []string  `json:"model_ids,omitempty"`
	DatasetIDs []string  `json:"dataset_ids,omitempty"`
	SpaceIDs   []string  `json:"space_ids,omitempty"`
	Checked    time.Time `json:"checked"`
}

// Empty reports whether the look-ups learned nothing.
func (e *Extra) Empty() bool {
	return len(e.Categories) == 0 && e.Checked.IsZero() && e.Artifacts == nil
}

// Total is the number of linked models, datasets and Spaces.
func (a Artifacts) Total() int { return a.Models + a.Datasets + a.Spaces }

// Known reports whether the counts were looked up.
func (a Artifacts) Known() bool { return !a.Checked.IsZero() }

// ArxivExtra is what an arXiv API record of a paper says, checked at t.
func ArxivExtra(p *Paper, t time.Time) Extra {
	return Extra{Categories: slices.Clone(p.Categories), Comment: p.ArxivComment, JournalRef: p.JournalRef, DOI: p.DOI,
		Version: p.Version, Updated: p.Updated, Checked: t}
}

// merge lays a newer look-up over what was known: a field it leaves
// empty keeps the older value.
func (e Extra) merge(n Extra) Extra {
	if len(n.Categories) > 0 {
		e.Categories = slices.Clone(n.Categories)
	}
	e.Comment = pick(e.Comment, n.Comment)
	e.JournalRef = pick(e.JournalRef, n.JournalRef)
	e.DOI = pick(e.DOI, n.DOI)
	e.Version = max(e.Version, n.Version)
	if n.Updated.After(e.Updated) {
		e.Updated = n.Updated
	}
	if n.Checked.After(e.Checked) {
		e.Checked = n.Checked
	}
	if n.Artifacts != nil {
		a := *n.Artifacts
		e.Artifacts = &a
	}
	return e
}

// Apply lays what look-ups learned over a paper: arXiv's record is the
// newest word on its bibliographic fields (an API answer is fetched
// after the listings), a version only moves forward, and the linked
// artifacts are Hugging Face's latest count.
func (e *Extra) Apply(p *Paper) {
	if len(p.Categories) == 0 {
		p.Categories = slices.Clone(e.Categories)
	}
	p.ArxivComment = pick(p.ArxivComment, e.Comment)
	p.JournalRef = pick(p.JournalRef, e.JournalRef)
	p.DOI = pick(p.DOI, e.DOI)
	if e.Version > p.Version {
		p.Version = e.Version
	}
	if e.Updated.After(p.Updated) {
		p.Updated = e.Updated
	}
	if e.Artifacts != nil {
		p.Artifacts = *e.Artifacts
	}
}
