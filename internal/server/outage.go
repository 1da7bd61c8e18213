package server

import (
	"fmt"
	"strings"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
)

// During an upstream outage the builder page keeps showing the last good
// data, and says so: for each source the filter reads whose last fetch
// failed after its last success, a line with the age of the data held,
// the error (URLs shown as /status shows them, credentials masked) and
// the next attempt. A source that never loaded is notLoaded's case.

// outageLines are the page's lines for a filter's source ("hf",
// "arxiv" or "all").
func outageLines(source string, states []refresh.SourceState, now time.Time) []string {
	var out []string
	for _, st := range states {
		if !reads(source, st.Source) || st.LastSuccess.IsZero() || st.LastError == "" || !st.LastErrorAt.After(st.LastSuccess) {
			continue
		}
		out = append(out, outageLine(st, now))
	}
	return out
}

// reads reports whether a filter's source reads a refresh source's data.
func reads(source, name string) bool {
	switch name {
	case feed.SourceHF:
		return source != feed.SourceArxiv
	case feed.SourceArxiv:
		return source != feed.SourceHF
	}
	return false
}

func outageLine(st refresh.SourceState, now time.Time) string {
	name := "Hugging Face"
	if st.Source == feed.SourceArxiv {
		name = "arXiv"
	}
	s := fmt.Sprintf("%s could not be fetched at %s UTC", name, st.LastErrorAt.UTC().Format("15:04"))
	if st.Failures > 1 {
		s += fmt.Sprintf(" (%d failures in a row)", st.Failures)
	}
	s += fmt.Sprintf(": %s. The papers shown are from %s, fetched %s UTC, %s ago", redactURLs(st.LastError), name,
		st.LastSuccess.UTC().Format("Mon 2 Jan 15:04"), age(now.Sub(st.LastSuccess)))
	if st.NextFetch.After(now) {
		s += fmt.Sprintf("; the next attempt is at %s UTC", st.NextFetch.UTC().Format("15:04"))
	}
	return s + "."
}

// redactURLs masks the credentials of every URL in a text, word by word
// (the fetchers' errors come masked already; a page shows none that is
// not).
func redactURLs(text string) string {
	words := strings.Split(text, " ")
	for i, w := range words {
		if strings.Contains(w, "://") {
			words[i] = feed.RedactURL(w)
		}
	}
	return strings.Join(words, " ")
}

// age says a duration as a person reads it: "40 s", "12 min", "3 h 5
// min", "2 days 4 h".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d days %d h", days, h)
}
