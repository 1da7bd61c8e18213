package filter

import (
	"regexp"
	"strings"
)

// RSSHubFilters are RSSHub's generic filter parameters: RE2 regular
// expressions over an item's title, description, author and category.
// filter and filterout look at the title and the description together.
type RSSHubFilters struct {
	Filter, FilterTitle, FilterDescription, FilterAuthor, FilterCategory                string
	Filterout, FilteroutTitle, FilteroutDescription, FilteroutAuthor, FilteroutCategory string
	CaseInsensitive                                                                     bool
	compiled                                                                            map[string]*regexp.Regexp
}

func (f *RSSHubFilters) set(key, val string) {
	switch key {
	case "filter":
		f.Filter = val
	case "filter_title":
		f.FilterTitle = val
	case "filter_description":
		f.FilterDescription = val
	case "filter_author":
		f.FilterAuthor = val
	case "filter_category":
		f.FilterCategory = val
	case "filterout":
		f.Filterout = val
	case "filterout_title":
		f.FilteroutTitle = val
	case "filterout_description":
		f.FilteroutDescription = val
	case "filterout_author":
		f.FilteroutAuthor = val
	case "filterout_category":
		f.FilteroutCategory = val
	}
}

// active reports whether any regex filter is set.
func (f *RSSHubFilters) active() bool {
	return f.Filter != "" || f.FilterTitle != "" || f.FilterDescription != "" || f.FilterAuthor != "" ||
		f.FilterCategory != "" || f.Filterout != "" || f.FilteroutTitle != "" || f.FilteroutDescription != "" ||
		f.FilteroutAuthor != "" || f.FilteroutCategory != ""
}

// compile prepares the expressions once per query. Parse has already
// checked that they compile.
func (f *RSSHubFilters) compile() {
	f.compiled = map[string]*regexp.Regexp{}
	for _, s := range []string{f.Filter, f.FilterTitle, f.FilterDescription, f.FilterAuthor, f.FilterCategory,
		f.Filterout, f.FilteroutTitle, f.FilteroutDescription, f.FilteroutAuthor, f.FilteroutCategory} {
		if s == "" || f.compiled[s] != nil {
			continue
		}
		expr := s
		if f.CaseInsensitive {
			expr = "(?i)" + s
		}
		if re, err := regexp.Compile(expr); err == nil {
			f.compiled[s] = re
		}
	}
}

// rsshubItem is the text RSSHub's filters look at.
type rsshubItem struct {
	title, description string
	authors            []string
	categories         []string
}

func (f *RSSHubFilters) match(it rsshubItem) bool {
	re := func(s string) *regexp.Regexp { return f.compiled[s] }
	any := func(r *regexp.Regexp, list []string) bool {
		for _, s := range list {
			if r.MatchString(s) {
				return true
			}
		}
		return false
	}
	if f.Filter != "" && !re(f.Filter).MatchString(it.title) && !re(f.Filter).MatchString(it.description) {
		return false
	}
	if f.FilterTitle != "" && !re(f.FilterTitle).MatchString(it.title) {
		return false
	}
	if f.FilterDescription != "" && !re(f.FilterDescription).MatchString(it.description) {
		return false
	}
	if f.FilterAuthor != "" && !re(f.FilterAuthor).MatchString(strings.Join(it.authors, ", ")) {
		return false
	}
	if f.FilterCategory != "" && !any(re(f.FilterCategory), it.categories) {
		return false
	}
	if f.Filterout != "" && (re(f.Filterout).MatchString(it.title) || re(f.Filterout).MatchString(it.description)) {
		return false
	}
	if f.FilteroutTitle != "" && re(f.FilteroutTitle).MatchString(it.title) {
		return false
	}
	if f.FilteroutDescription != "" && re(f.FilteroutDescription).MatchString(it.description) {
		return false
	}
	if f.FilteroutAuthor != "" && re(f.FilteroutAuthor).MatchString(strings.Join(it.authors, ", ")) {
		return false
	}
	if f.FilteroutCategory != "" && any(re(f.FilteroutCategory), it.categories) {
		return false
	}
	return true
}
