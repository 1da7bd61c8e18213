package filter

// RSSHubFilters are RSSHub's generic filter parameters: RE2 regular
// expressions over an item's title, description, author and category.
// filter and filterout look at the title and the description together.
// How their cost is bounded is in regex.go.
type RSSHubFilters struct {
	Filter, FilterTitle, FilterDescription, FilterAuthor, FilterCategory                string
	Filterout, FilteroutTitle, FilteroutDescription, FilteroutAuthor, FilteroutCategory string
	CaseInsensitive                                                                     bool
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
func (f *RSSHubFilters) active() bool { return len(f.rules()) > 0 }

// rxRule is one regex condition: the paper's text in any of fields must
// match expr (or, when out is set, none of them may).
type rxRule struct {
	param  string
	expr   string
	fields []rxField
	out    bool
}

// rules lists the set filters in a fixed order.
func (f *RSSHubFilters) rules() []rxRule {
	var out []rxRule
	for _, r := range []rxRule{
		{"filter", f.Filter, []rxField{rxTitle, rxDesc}, false},
		{"filter_title", f.FilterTitle, []rxField{rxTitle}, false},
		{"filter_description", f.FilterDescription, []rxField{rxDesc}, false},
		{"filter_author", f.FilterAuthor, []rxField{rxAuthor}, false},
		{"filter_category", f.FilterCategory, []rxField{rxCategory}, false},
		{"filterout", f.Filterout, []rxField{rxTitle, rxDesc}, true},
		{"filterout_title", f.FilteroutTitle, []rxField{rxTitle}, true},
		{"filterout_description", f.FilteroutDescription, []rxField{rxDesc}, true},
		{"filterout_author", f.FilteroutAuthor, []rxField{rxAuthor}, true},
		{"filterout_category", f.FilteroutCategory, []rxField{rxCategory}, true},
	} {
		if r.expr != "" {
			out = append(out, r)
		}
	}
	return out
}

// pattern is the expression as compiled, with RSSHub's case flag.
func (f *RSSHubFilters) pattern(expr string) string {
	if f.CaseInsensitive {
		return "(?i)" + expr
	}
	return expr
}
