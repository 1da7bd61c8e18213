package upstream

import "net/http"

// SiteOptions shape a replay site.
type SiteOptions struct {
	Days []Day // HF listing days; DefaultDays when empty
}

// Site is every replayed upstream on one handler: Hugging Face pages
// under /papers.
type Site struct {
	HF *HF
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
	return &Site{HF: hf}, nil
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.HF.ServeHTTP(w, r)
}
