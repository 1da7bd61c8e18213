package scrape

import (
	"errors"
	"slices"

	"paperfeed/feed"
)

// The two views of a Hugging Face listing: the page (what readers see,
// scraped) and the JSON API (/api/daily_papers, in a separate and larger
// rate bucket, and the only one carrying the AI summary and keywords in
// 2026). The rules:
//
//   - Both answered: merged by ID. The API fills every field the page
//     lacks (AI summary and keywords above all); counts (upvotes,
//     comments, stars) come from the API, fetched after the page and so
//     the fresher; text fields come from the page unless it has none (or
//     the page was read from its cards, which carry no text). Papers only
//     one view lists are kept.
//   - One failed: the other serves the period alone, and Listing says
//     which view served and why the other did not.
//   - Both failed: the error carries both.

// Views naming what served a listing.
const (
	ViewBoth = "page+api"
	ViewPage = "page"
	ViewAPI  = "api"
)

// ErrEmptyListing means the API listed no paper for the period (a
// weekend or holiday date, or a period not published yet).
var ErrEmptyListing = errors.New("no papers listed for that period")

// MergeViews merges a page's papers with the API's for the same period.
func MergeViews(page, api []feed.Paper) []feed.Paper {
	byID := make(map[string]int, len(page))
	out := make([]feed.Paper, 0, max(len(page), len(api)))
	for _, p := range page {
		byID[p.ID] = len(out)
		out = append(out, p.Clone())
	}
	for i := range api {
		a := &api[i]
		j, ok := byID[a.ID]
		if !ok {
			out = append(out, a.Clone())
			continue
		}
		fillFromAPI(&out[j], a)
	}
	return out
}

func fillFromAPI(p, a *feed.Paper) {
	cards := p.FromCards
	text := func(dst *string, src string) {
		if *dst == "" || (cards && src != "") {
			*dst = src
		}
	}
	text(&p.Title, a.Title)
	text(&p.Abstract, a.Abstract)
	text(&p.AISummary, a.AISummary)
	text(&p.Thumbnail, a.Thumbnail)
	text(&p.GitHubRepo, a.GitHubRepo)
	text(&p.ProjectPage, a.ProjectPage)
	text(&p.SubmittedBy, a.SubmittedBy)
	text(&p.CodeURL, a.CodeURL)
	text(&p.Org.Name, a.Org.Name)
	text(&p.Org.FullName, a.Org.FullName)
	if len(p.AIKeywords) == 0 {
		p.AIKeywords = slices.Clone(a.AIKeywords)
	}
	if len(a.Authors) > len(p.Authors) {
		p.Authors = slices.Clone(a.Authors)
	}
	if p.ListedOn.IsZero() {
		p.ListedOn = a.ListedOn
	}
	if p.Published.IsZero() {
		p.Published = a.Published
	}
	// The API answered after the page: its counts are the fresher.
	p.Upvotes, p.Comments = a.Upvotes, a.Comments
	if a.GitHubStars > 0 || p.GitHubRepo == a.GitHubRepo {
		p.GitHubStars = a.GitHubStars
	}
	if cards && !a.FromCards {
		p.FromCards = false // the API's full data stands in for the cards
	}
}
