package refresh

import (
	"errors"
	"log/slog"
	"time"

	"paperfeed/feed"
	"paperfeed/scrape"
)

// ViewState is how one Hugging Face period was last fetched: which view
// served it (page+api, page, api, or none) and why a view did not.
type ViewState struct {
	Period    string    `json:"period"`
	Served    string    `json:"served"`
	PageError string    `json:"page_error,omitempty"`
	APIError  string    `json:"api_error,omitempty"`
	At        time.Time `json:"at"`
}

// maxViews bounds the periods /status lists.
const maxViews = 16

// ListingViews records, for every HF listing fetched (window days, past
// days, weeks, months), which view served it: in the Hugging Face
// source's status, in the metrics (fetches by view: "hf" for pages,
// "hf_api" for the API), and in the log, loudly when the page's layout
// changed. The window's source and Past each keep one over the same
// status.
type ListingViews struct {
	status *Status
	obs    Observer
	log    *slog.Logger
	now    func() time.Time
	api    bool // the API view is asked
}

// NewListingViews records into env's status; api says whether the JSON
// API view is asked besides the page.
func NewListingViews(env Env, api bool) *ListingViews {
	return &ListingViews{status: env.Status, obs: env.Obs, log: env.Log, now: env.Now, api: api}
}

// Note records how one listing period was fetched: l and err are the
// fetch's outcome.
func (v *ListingViews) Note(period string, l scrape.Listing, err error) {
	if !v.api {
		v.obs.Fetch(feed.SourceHF, err)
		return
	}
	st := ViewState{Period: period, Served: l.View, At: v.now()}
	pageErr, apiErr := l.PageErr, l.APIErr
	if err != nil {
		st.Served, pageErr, apiErr = "none", err, err
		var both *scrape.ViewsError
		if errors.As(err, &both) { // each view's own error
			pageErr, apiErr = both.Page, both.API
		}
	}
	v.obs.Fetch(feed.SourceHF, pageErr)
	if !errors.Is(apiErr, scrape.ErrEmptyListing) || err != nil {
		v.obs.Fetch(SourceHFAPI, apiErr)
	} else {
		v.obs.Fetch(SourceHFAPI, nil) // it answered: nothing listed then
	}
	v.obs.Listing(st.Served)
	if pageErr != nil {
		st.PageError = pageErr.Error()
	}
	if apiErr != nil {
		st.APIError = apiErr.Error()
	}
	switch {
	case err == nil && errors.Is(pageErr, scrape.ErrLayoutChanged):
		v.log.Error("Hugging Face listing page layout changed: the JSON API serves this period; the page scraper needs attention",
			"period", period, "error", pageErr)
	case err == nil && pageErr != nil:
		v.log.Warn("Hugging Face listing page failed; the JSON API serves this period", "period", period, "error", pageErr)
	case err == nil && apiErr != nil && !errors.Is(apiErr, scrape.ErrEmptyListing):
		v.log.Warn("Hugging Face JSON API failed; the page alone serves this period (no AI summary or keywords)", "period", period, "error", apiErr)
	}
	v.status.Update(func(s *SourceState) {
		for i, x := range s.Views {
			if x.Period == period {
				s.Views = append(s.Views[:i], s.Views[i+1:]...)
				break
			}
		}
		s.Views = append([]ViewState{st}, s.Views...)
		if len(s.Views) > maxViews {
			s.Views = s.Views[:maxViews]
		}
	})
}

// SourceHFAPI names the Hugging Face JSON API in fetch counts.
const SourceHFAPI = "hf_api"
