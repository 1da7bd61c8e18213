package standin

import (
	"net/http"
	"strings"
)

// SiteOptions shape a replay site.
type SiteOptions struct {
	Days []Day // HF listing days; DefaultDays when empty
}

// Site is every replayed upstream on one handler: Hugging Face pages
// under /papers, arXiv feeds under /rss/ and the arXiv API at /api/query.
type Site struct {
	HF    *HF
	Arxiv *Arxiv
}

// NewSite builds the replay of every upstream from the data directory.
func NewSite(dir string, o SiteOptions) (*Site, error) {
	days := o.Days
	if len(days) == 0 {
		days = DefaultDays()
	}
	hf, err := NewHF(dir, days)
	if err != nil {
		return nil, err
	}
	ax, err := NewArxiv(dir, ArxivDerivedDays)
	if err != nil {
		return nil, err
	}
	return &Site{HF: hf, Arxiv: ax}, nil
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/rss/") || strings.HasPrefix(r.URL.Path, "/api/query") {
		s.Arxiv.ServeHTTP(w, r)
		return
	}
	s.HF.ServeHTTP(w, r)
}
