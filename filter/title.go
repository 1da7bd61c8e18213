package filter

import (
	"fmt"
	"strings"
	"time"
)

// Title names the feed after its filter, e.g. "Daily Papers: agents,
// 20+ upvotes, with code", so a reader's subscription list explains
// itself.
func (q Query) Title() string {
	base := "Daily Papers"
	switch q.Source {
	case SourceArxiv:
		base = "arXiv papers"
	case SourceAll:
		base = "Daily Papers + arXiv"
	}
	parts := q.describeParts()
	if len(parts) == 0 {
		return base
	}
	return base + ": " + strings.Join(parts, ", ")
}

// Description is a sentence for the feed's description.
func (q Query) Description() string {
	var src string
	switch q.Source {
	case SourceArxiv:
		src = "Papers announced on arXiv in the followed categories"
	case SourceAll:
		src = "Hugging Face Daily Papers and papers announced on arXiv"
	default:
		src = "Hugging Face Daily Papers"
	}
	parts := q.describeParts()
	order := map[string]string{SortUpvotes: "most upvoted first", SortStars: "most GitHub stars first", SortComments: "most discussed first"}[q.Sort]
	if order == "" {
		order = "newest first"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s, %s.", src, order)
	}
	return fmt.Sprintf("%s filtered by: %s; %s.", src, strings.Join(parts, "; "), order)
}

func (q Query) describeParts() []string {
	var p []string
	if !q.Keywords.Empty() {
		p = append(p, q.Keywords.String())
	}
	if q.MinUpvotes > 0 {
		p = append(p, fmt.Sprintf("%d+ upvotes", q.MinUpvotes))
	}
	if q.MinStars > 0 {
		p = append(p, fmt.Sprintf("%d+ stars", q.MinStars))
	}
	if q.MinComments > 0 {
		p = append(p, fmt.Sprintf("%d+ comments", q.MinComments))
	}
	if q.HasCode != nil {
		if *q.HasCode {
			p = append(p, "with code")
		} else {
			p = append(p, "without code")
		}
	}
	if len(q.Categories) > 0 {
		p = append(p, strings.Join(q.Categories, " or "))
	}
	if len(q.Authors) > 0 {
		p = append(p, "by "+strings.Join(q.Authors, " or "))
	}
	if len(q.Orgs) > 0 {
		p = append(p, "from "+strings.Join(q.Orgs, " or "))
	}
	if len(q.Announce) > 0 {
		p = append(p, "announced as "+strings.Join(q.Announce, "/"))
	}
	switch {
	case !q.Date.IsZero():
		p = append(p, q.Date.Format(time.DateOnly))
	case q.Week != "":
		p = append(p, "week "+q.Week)
	case q.Month != "":
		p = append(p, "month "+q.Month)
	case q.Days > 0:
		p = append(p, fmt.Sprintf("last %d days", q.Days))
	}
	if !q.Since.IsZero() {
		p = append(p, "since "+q.Since.Format(time.DateOnly))
	}
	if !q.Until.IsZero() {
		p = append(p, "until "+q.Until.Format(time.DateOnly))
	}
	if q.RSSHub.active() {
		p = append(p, "regex filters")
	}
	return p
}
