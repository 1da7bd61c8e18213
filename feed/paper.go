package feed

import (
	"slices"
	"time"
)

// Source names where a paper was seen; SourceAll, in a query, means
// either.
const (
	SourceHF    = "hf"
	SourceArxiv = "arxiv"
	SourceAll   = "all"
)

// Sources are the source names a query may choose, in the order shown.
var Sources = []string{SourceHF, SourceArxiv, SourceAll}

// Org is a Hugging Face organization.
type Org struct {
	Name     string `json:"name,omitempty"`     // handle, e.g. "google"
	FullName string `json:"fullname,omitempty"` // display name, e.g. "Google"
}

// Paper is one paper as paperfeed knows it, merged from every source.
// Empty fields are unknown, never guessed.
type Paper struct {
	ID      string `json:"id"`                // version-free arXiv ID
	Version int    `json:"version,omitempty"` // latest arXiv version seen, 0 if unknown

	Title    string   `json:"title"`
	Abstract string   `json:"abstract,omitempty"`
	Authors  []string `json:"authors,omitempty"`

	// Hugging Face listing data.
	OnHF        bool      `json:"on_hf,omitempty"`
	ListedOn    time.Time `json:"listed_on,omitzero"` // HF listing day, UTC midnight
	Upvotes     int       `json:"upvotes"`
	Comments    int       `json:"comments"`
	Thumbnail   string    `json:"thumbnail,omitempty"`
	GitHubRepo  string    `json:"github_repo,omitempty"`
	GitHubStars int       `json:"github_stars,omitempty"`
	ProjectPage string    `json:"project_page,omitempty"`
	Org         Org       `json:"organization,omitzero"`
	SubmittedBy string    `json:"submitted_by,omitempty"`
	AISummary   string    `json:"ai_summary,omitempty"`
	AIKeywords  []string  `json:"ai_keywords,omitempty"`
	// FromCards is set when the paper was read from the rendered cards
	// rather than the page's JSON: abstract, full author list, GitHub URL
	// and AI fields are then unknown, not empty.
	FromCards bool `json:"from_cards,omitempty"`

	// arXiv data.
	OnArxiv      bool      `json:"on_arxiv,omitempty"`
	Published    time.Time `json:"published,omitzero"` // arXiv v1 date
	Announced    time.Time `json:"announced,omitzero"` // first arXiv announcement day seen
	AnnounceType string    `json:"announce_type,omitempty"`
	Categories   []string  `json:"categories,omitempty"` // primary first
	DOI          string    `json:"doi,omitempty"`
	JournalRef   string    `json:"journal_ref,omitempty"`
	ArxivComment string    `json:"arxiv_comment,omitempty"`
	Updated      time.Time `json:"updated,omitzero"` // the latest version's date, when known

	// Artifacts are the models, datasets and Spaces Hugging Face links to
	// the paper (Known when looked up).
	Artifacts Artifacts `json:"artifacts,omitzero"`
	// Venue is where the paper says it was accepted, published or
	// submitted (ParseVenue over its comment and journal reference); the
	// store sets it in every view.
	Venue Venue `json:"-"`

	// CodeURL is the paper's code repository: HF's GitHub link, else a
	// code link found in the abstract or arXiv comment.
	CodeURL string `json:"code_url,omitempty"`

	// Changed is when the store last saw this paper's data change.
	Changed time.Time `json:"-"`

	// frags caches its rendered feed items (fragment.go); nil for a paper
	// outside a view.
	frags *fragCache
}

// Day is the date a paper belongs to in a feed: the HF listing day, else
// its first arXiv announcement day, else its publication date.
func (p *Paper) Day() time.Time {
	switch {
	case !p.ListedOn.IsZero():
		return p.ListedOn
	case !p.Announced.IsZero():
		return p.Announced
	}
	return p.Published
}

// HasCode reports whether the paper has a known code repository.
func (p *Paper) HasCode() bool { return p.CodeURL != "" || p.GitHubRepo != "" }

// Code returns the best known code URL.
func (p *Paper) Code() string {
	if p.GitHubRepo != "" {
		return p.GitHubRepo
	}
	return p.CodeURL
}

// PrimaryCategory is the first arXiv category, or "".
func (p *Paper) PrimaryCategory() string {
	if len(p.Categories) == 0 {
		return ""
	}
	return p.Categories[0]
}

// Clone returns a deep copy, so a stored paper can be merged into
// without touching snapshots that share it.
func (p Paper) Clone() Paper {
	p.Authors = slices.Clone(p.Authors)
	p.AIKeywords = slices.Clone(p.AIKeywords)
	p.Categories = slices.Clone(p.Categories)
	p.frags = nil // a clone may be changed: it renders afresh
	return p
}

// Merge folds other (a newer or another source's view of the same paper)
// into p. Hugging Face owns the community fields, arXiv the bibliographic
// ones; a field one view lacks is taken from the other. The identity and
// the first-seen dates never move.
func (p *Paper) Merge(o *Paper) {
	if o.ID != p.ID {
		return
	}
	p.frags = nil
	// Text stays as first seen, so items do not change under readers,
	// unless a new arXiv version brings a revised title and abstract.
	newVersion := o.Version > p.Version && p.Version > 0
	if o.Version > p.Version {
		p.Version = o.Version
	}
	if p.Title == "" || (newVersion && o.Title != "") {
		p.Title = o.Title
	}
	if p.Abstract == "" || (newVersion && o.Abstract != "") {
		p.Abstract = o.Abstract
	}
	if len(o.Authors) > len(p.Authors) {
		p.Authors = slices.Clone(o.Authors)
	}
	if o.OnHF {
		p.mergeHF(o)
	}
	if o.OnArxiv {
		p.mergeArxiv(o)
	}
	if p.Published.IsZero() {
		p.Published = o.Published
	}
	p.CodeURL = pick(p.CodeURL, o.CodeURL)
}

func (p *Paper) mergeHF(o *Paper) {
	wasHF := p.OnHF
	p.OnHF = true
	if !wasHF || p.ListedOn.IsZero() || (!o.ListedOn.IsZero() && o.ListedOn.Before(p.ListedOn)) {
		if !o.ListedOn.IsZero() {
			p.ListedOn = o.ListedOn
		}
	}
	// Counts only grow on HF; a smaller number is an older snapshot or a
	// card showing "-".
	p.Upvotes = max(p.Upvotes, o.Upvotes)
	p.Comments = max(p.Comments, o.Comments)
	p.GitHubStars = max(p.GitHubStars, o.GitHubStars)
	p.Thumbnail = pick(p.Thumbnail, o.Thumbnail)
	p.GitHubRepo = pick(p.GitHubRepo, o.GitHubRepo)
	p.ProjectPage = pick(p.ProjectPage, o.ProjectPage)
	if o.Org.Name != "" || o.Org.FullName != "" {
		p.Org = Org{Name: pick(p.Org.Name, o.Org.Name), FullName: pick(p.Org.FullName, o.Org.FullName)}
	}
	p.SubmittedBy = pick(p.SubmittedBy, o.SubmittedBy)
	p.AISummary = pick(p.AISummary, o.AISummary)
	if len(o.AIKeywords) > 0 {
		p.AIKeywords = slices.Clone(o.AIKeywords)
	}
	if !o.FromCards {
		p.FromCards = false
	} else if !wasHF {
		p.FromCards = true
	}
}

func (p *Paper) mergeArxiv(o *Paper) {
	p.OnArxiv = true
	if p.Announced.IsZero() || (!o.Announced.IsZero() && o.Announced.Before(p.Announced)) {
		p.Announced = pick(p.Announced, o.Announced)
	}
	// Views are merged oldest first, so the last type seen is the latest.
	if o.AnnounceType != "" {
		p.AnnounceType = o.AnnounceType
	}
	if len(o.Categories) > 0 {
		p.Categories = slices.Clone(o.Categories)
	}
	p.DOI = pick(p.DOI, o.DOI)
	p.JournalRef = pick(p.JournalRef, o.JournalRef)
	p.ArxivComment = pick(p.ArxivComment, o.ArxivComment)
	if o.Updated.After(p.Updated) {
		p.Updated = o.Updated
	}
}

// Derive sets the values read from others: the venue, from the
// comment and the journal reference.
func (p *Paper) Derive() { p.Venue = ParseVenue(p.ArxivComment, p.JournalRef) }

// pick returns the newer value b unless it is the zero value.
func pick[T comparable](a, b T) T {
	var zero T
	if b != zero {
		return b
	}
	return a
}
