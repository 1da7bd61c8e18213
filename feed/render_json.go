package feed

import (
	"math"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

const jsonFeedVersion = "https://jsonfeed.org/version/1.1"

// jsonFeed extends gorilla's JSON Feed: items always present (an empty
// feed has "items": []) and each item with the paperfeed extension.
type jsonFeed struct {
	*feeds.JSONFeed
	Items []*jsonItem `json:"items"`
}

type jsonItem struct {
	*feeds.JSONItem
	Paperfeed any `json:"_paperfeed"` // *jsonExt, or *jsonDigestExt for a digest
}

// jsonDigestExt is a digest item's extension.
type jsonDigestExt struct {
	Digest *jsonDigest `json:"digest"`
}

// jsonExt carries the structured values, so programs need not parse HTML.
type jsonExt struct {
	ArxivID      string   `json:"arxiv_id"`
	ArxivVersion int      `json:"arxiv_version,omitempty"`
	Sources      []string `json:"sources"`
	Upvotes      int      `json:"upvotes"`
	Comments     int      `json:"comments"`
	ListedOn     string   `json:"listed_on,omitempty"`
	Published    string   `json:"published,omitempty"`
	Announced    string   `json:"announced,omitempty"`
	AnnounceType string   `json:"announce_type,omitempty"`
	Categories   []string `json:"categories,omitempty"`
	CodeURL      string   `json:"code_url,omitempty"`
	GitHubStars  int      `json:"github_stars"`
	ProjectPage  string   `json:"project_page,omitempty"`
	Organization *Org     `json:"organization,omitempty"`
	SubmittedBy  string   `json:"submitted_by,omitempty"`
	AISummary    string   `json:"ai_summary,omitempty"`
	AIKeywords   []string `json:"ai_keywords,omitempty"`
	DOI          string   `json:"doi,omitempty"`
	JournalRef   string   `json:"journal_ref,omitempty"`
	PDFURL       string   `json:"pdf_url"`
	HFURL        string   `json:"hf_url,omitempty"`
	Abstract     string   `json:"abstract,omitempty"`
	FromCards    bool     `json:"from_cards,omitempty"`
	ArxivComment string   `json:"arxiv_comment,omitempty"`
	// Revised is when the latest version (arxiv_version, 2 or more) was
	// posted.
	Revised string `json:"revised,omitempty"`
	// Venue is where the paper says it was accepted, published or
	// submitted.
	Venue *Venue `json:"venue,omitempty"`
	// Artifacts are the models, datasets and Spaces HF links to it, once
	// counted.
	Artifacts *jsonArtifacts `json:"artifacts,omitempty"`
	// Cite links the paper's BibTeX and RIS, and its page.
	Cite *jsonCite `json:"cite,omitempty"`
	// Event is "version" for an item of a new version (revised=1).
	Event string `json:"event,omitempty"`
	// What the query adds: when the paper met the feed's conditions, and
	// its upvotes gained over gain_hours.
	QualifiedAt string `json:"qualified_at,omitempty"`
	Gain        *int   `json:"gain,omitempty"`
	GainHours   int    `json:"gain_hours,omitempty"`
	// Similarity to the seeds of like=, and the closest seed's title.
	Similarity *float64 `json:"similarity,omitempty"`
	CloseTo    string   `json:"close_to,omitempty"`
	// Votes: a personal feed item's "more / less like this" links;
	// Liked: its reader voted "more like this" on it.
	Votes *jsonVotes `json:"votes,omitempty"`
	Liked bool       `json:"liked,omitempty"`
	// MoreLike: the paper's like= feed and its builder page.
	MoreLike *jsonMoreLike `json:"more_like,omitempty"`
}

type jsonVotes struct {
	More string `json:"more_like_this"`
	Less string `json:"less_like_this"`
}

// jsonArtifacts are a paper's artifact counts as JSON Feed shows them:
// without the time they were counted, which moves at every re-count
// while what a reader sees stays the same.
type jsonArtifacts struct {
	Models     int      `json:"models"`
	Datasets   int      `json:"datasets"`
	Spaces     int      `json:"spaces"`
	ModelIDs   []string `json:"model_ids,omitempty"`
	DatasetIDs []string `json:"dataset_ids,omitempty"`
	SpaceIDs   []string `json:"space_ids,omitempty"`
}

type jsonCite struct {
	BibTeX string `json:"bibtex"`
	RIS    string `json:"ris"`
	Page   string `json:"page"`
}

type jsonDigest struct {
	Period string `json:"period"`
	Shown  int    `json:"shown"`
	Total  int    `json:"total"`
	From   string `json:"from"`
}

func jsonDoc(gf *feeds.Feed, m Meta, items []Item) *jsonFeed {
	jf := (&feeds.JSON{Feed: gf}).JSONFeed()
	jf.Version = jsonFeedVersion
	jf.FeedUrl = m.SelfURL
	if m.Hub != "" {
		jf.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: m.Hub}}
	}
	f := &jsonFeed{JSONFeed: jf, Items: make([]*jsonItem, len(jf.Items))}
	for i, it := range jf.Items {
		x := &items[i]
		it.ContentHTML = descMarker // the description goes in between fragments (fragment.go)
		it.ModifiedDate = nil
		if d := x.Digest; d != nil {
			f.Items[i] = &jsonItem{JSONItem: it, Paperfeed: &jsonDigestExt{Digest: &jsonDigest{Period: d.Period, Shown: d.Shown, Total: d.Total, From: d.From}}}
			continue
		}
		p := x.Paper
		it.Summary = p.AISummary
		if !m.NoThumbnails {
			it.Image = p.Thumbnail
		}
		for _, a := range p.Authors {
			it.Authors = append(it.Authors, &feeds.JSONAuthor{Name: a})
		}
		it.Tags = p.FeedCategories()
		ext := extension(p)
		if m.BaseURL != "" {
			u := strings.TrimRight(m.BaseURL, "/") + CitePath(p.ID)
			ext.Cite = &jsonCite{BibTeX: u + ".bib", RIS: u + ".ris", Page: u}
		}
		ext.MoreLike = x.jsonMoreLike(m)
		if x.Version > 1 {
			ext.Event = "version"
		}
		if !x.Date.IsZero() {
			ext.QualifiedAt = x.Date.UTC().Format(time.RFC3339)
		}
		if x.GainHours > 0 {
			g, h := x.Gain, x.GainHours
			ext.Gain, ext.GainHours = &g, h
		}
		if x.CloseTo != "" {
			sim := math.Round(x.Similarity*10000) / 10000
			ext.Similarity, ext.CloseTo = &sim, x.CloseTo
		}
		if x.Votes != nil {
			ext.Votes = &jsonVotes{More: x.Votes.More, Less: x.Votes.Less}
		}
		ext.Liked = x.Liked
		f.Items[i] = &jsonItem{JSONItem: it, Paperfeed: ext}
	}
	jf.Items = nil
	return f
}

func extension(p *Paper) *jsonExt {
	x := &jsonExt{
		ArxivID:      p.ID,
		ArxivVersion: p.Version,
		Upvotes:      p.Upvotes,
		Comments:     p.Comments,
		ListedOn:     dateOrEmpty(p.ListedOn),
		Published:    timeOrEmpty(p.Published),
		Announced:    dateOrEmpty(p.Announced),
		AnnounceType: p.AnnounceType,
		Categories:   p.Categories,
		CodeURL:      p.Code(),
		GitHubStars:  p.GitHubStars,
		ProjectPage:  p.ProjectPage,
		SubmittedBy:  p.SubmittedBy,
		AISummary:    p.AISummary,
		AIKeywords:   p.AIKeywords,
		DOI:          p.DOI,
		JournalRef:   p.JournalRef,
		PDFURL:       p.PDFURL(),
		Abstract:     p.Abstract,
		FromCards:    p.FromCards,
		ArxivComment: p.ArxivComment,
	}
	if p.Version > 1 {
		x.Revised = timeOrEmpty(p.Updated)
	}
	if p.Venue.Key != "" {
		v := p.Venue
		x.Venue = &v
	}
	if a := p.Artifacts; a.Known() {
		x.Artifacts = &jsonArtifacts{a.Models, a.Datasets, a.Spaces, a.ModelIDs, a.DatasetIDs, a.SpaceIDs}
	}
	if p.OnHF {
		x.Sources = append(x.Sources, SourceHF)
		x.HFURL = p.HFURL()
	}
	if p.OnArxiv {
		x.Sources = append(x.Sources, SourceArxiv)
	}
	if p.Org != (Org{}) {
		o := p.Org
		x.Organization = &o
	}
	return x
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
