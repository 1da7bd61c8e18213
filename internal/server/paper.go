package server

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"paperfeed/internal/server/pagekit"
	"strings"

	"paperfeed/feed"
	"paperfeed/internal/engine"
)

// A paper's own addresses, which every feed item links as "Cite":
//
//   - /papers/ID is a one-paper page: the item as feeds show it, its
//     BibTeX, and Highwire Press citation tags (citation_title, one
//     citation_author per author, citation_arxiv_id, citation_doi, ...),
//     which Zotero, Mendeley and Google Scholar read from a page;
//   - /papers/ID.bib is its BibTeX, /papers/ID.ris its RIS.
//
// A paper that left the window is looked up on arXiv like a seed of
// like= (held, and within the same budgets), so an old item's link keeps
// working. A versioned ID (2501.00001v2) is the paper; an ID arXiv does
// not have is a 404.

// metaTag is one <meta name content> of a page's head.
type metaTag = pagekit.MetaTag

// meta is one <meta name content>.
func meta(name, content string) metaTag { return metaTag{Name: name, Content: content} }

// paperPage is what the one-paper page shows.
type paperPage struct {
	Title       string
	Prefix      string
	Alternates  []feedLink
	Meta        []metaTag
	Paper       *feed.Paper
	Description template.HTML // made and escaped by feed.Description
	BibTeX      string
	BibURL      string
	RISURL      string
	// MoreLike is the builder page of the paper's like= feed, and
	// MoreLikeFeed the feed ("" in the static export, which has neither).
	MoreLike, MoreLikeFeed string
}

func (s *Server) paperHandler(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	kind := ""
	for _, ext := range []string{".bib", ".ris"} {
		if id, ok := strings.CutSuffix(name, ext); ok {
			name, kind = id, ext
		}
	}
	id, _, ok := feed.ParseArxivID(name)
	if !ok {
		fail(w, http.StatusNotFound, name+" is not an arXiv ID; paper pages are /papers/ID, /papers/ID.bib and /papers/ID.ris (e.g. /papers/2501.00001)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	p, err := s.engine.Paper(ctx, id, s.clientAddr(r))
	switch {
	case errors.Is(err, engine.ErrNoPaper):
		fail(w, http.StatusNotFound, "arXiv has no paper "+id)
		return
	case err != nil:
		w.Header().Set("Retry-After", "30")
		fail(w, http.StatusServiceUnavailable, "this paper is not held and could not be looked up on arXiv now: "+err.Error())
		return
	}
	base := s.baseURL(r)
	self := base + feed.CitePath(id)
	var body []byte
	var ctype string
	switch kind {
	case ".bib":
		body, ctype = []byte(feed.BibTeXOf(p)), "application/x-bibtex; charset=utf-8"
		w.Header().Set("Content-Disposition", `inline; filename="`+id+`.bib"`)
	case ".ris":
		body, ctype = []byte(feed.RIS(p)), "application/x-research-info-systems; charset=utf-8"
		w.Header().Set("Content-Disposition", `inline; filename="`+id+`.ris"`)
	default:
		var buf bytes.Buffer
		d := paperPage{Title: p.Title, Prefix: basePath(base), Meta: citationMeta(p), Paper: p,
			Description: template.HTML(feed.Description(p, s.cfg.Thumbnails)), BibTeX: feed.BibTeXOf(p), BibURL: self + ".bib", RISURL: self + ".ris"}
		if !isExport(r.Context()) {
			d.MoreLike, d.MoreLikeFeed = base+feed.MoreLikePath(id), base+feed.MoreLikeFeedPath(feed.RSS, id)
		}
		if err := pageTmpl.ExecuteTemplate(&buf, "paper", d); err != nil {
			s.log.Error("render paper page", "error", err)
			fail(w, http.StatusInternalServerError, "render page failed")
			return
		}
		body, ctype = buf.Bytes(), "text/html; charset=utf-8"
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy(s.cfg.Thumbnails))
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "", p.Changed, bytes.NewReader(body)) // conditional requests, HEAD, ranges
}

// citationMeta are the Highwire Press tags reference managers read from
// a paper's page.
func citationMeta(p *feed.Paper) []metaTag {
	m := []metaTag{meta("citation_title", p.Title)}
	for _, a := range p.Authors {
		m = append(m, meta("citation_author", a))
	}
	if !p.Published.IsZero() {
		m = append(m, meta("citation_publication_date", p.Published.UTC().Format("2006/01/02")))
	} else if y := p.Year(); y > 0 {
		m = append(m, meta("citation_publication_date", p.Day().Format("2006/01/02")))
	}
	m = append(m, meta("citation_arxiv_id", p.ID), meta("citation_pdf_url", p.PDFURL()),
		meta("citation_abstract_html_url", p.AbsURL()))
	if p.DOI != "" {
		m = append(m, meta("citation_doi", p.DOI))
	}
	if v := p.Venue; v.Accepted() {
		if v.Journal() {
			m = append(m, meta("citation_journal_title", v.Name))
		} else {
			m = append(m, meta("citation_conference_title", v.Name))
		}
	}
	if p.Abstract != "" {
		m = append(m, meta("description", p.Abstract))
	}
	return m
}
