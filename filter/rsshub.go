package filter

import "strings"

// RSSHubFilters are RSSHub's generic filter parameters: RE2 regular
// expressions over an item's title, description, author and category.
// filter and filterout look at the title and the description together.
// How their cost is bounded is in regex.go.
type RSSHubFilters struct {
	exprs           map[string]string // by parameter (rssHubParams)
	CaseInsensitive bool
}

// rssHubParam is one of RSSHub's regex parameters: its name, the fields
// it reads and whether it keeps or drops what matches.
type rssHubParam struct {
	name   string
	fields []rxField
	out    bool
}

// rssHubParams are RSSHub's regex parameters, in a fixed order: the one
// list of their names.
var rssHubParams = []rssHubParam{
	{"filter", []rxField{rxTitle, rxDesc}, false},
	{"filter_title", []rxField{rxTitle}, false},
	{"filter_description", []rxField{rxDesc}, false},
	{"filter_author", []rxField{rxAuthor}, false},
	{"filter_category", []rxField{rxCategory}, false},
	{"filterout", []rxField{rxTitle, rxDesc}, true},
	{"filterout_title", []rxField{rxTitle}, true},
	{"filterout_description", []rxField{rxDesc}, true},
	{"filterout_author", []rxField{rxAuthor}, true},
	{"filterout_category", []rxField{rxCategory}, true},
}

// label is a regex parameter's field label on the builder page, e.g.
// "Title or abstract matches".
func (p rssHubParam) label() string {
	names := map[rxField]string{rxTitle: "Title", rxDesc: "abstract", rxAuthor: "An author", rxCategory: "A category"}
	var parts []string
	for _, f := range p.fields {
		parts = append(parts, names[f])
	}
	subject := strings.Join(parts, " or ")
	if p.fields[0] == rxDesc {
		subject = "Abstract"
	}
	if p.out {
		return subject + " does not match"
	}
	return subject + " matches"
}

func (f *RSSHubFilters) set(key, val string) {
	if f.exprs == nil {
		f.exprs = map[string]string{}
	}
	f.exprs[key] = val
}

// active reports whether any regex filter is set.
func (f *RSSHubFilters) active() bool { return len(f.exprs) > 0 }

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
	for _, p := range rssHubParams {
		if expr := f.exprs[p.name]; expr != "" {
			out = append(out, rxRule{param: p.name, expr: expr, fields: p.fields, out: p.out})
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
