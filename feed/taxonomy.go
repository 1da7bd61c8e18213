package feed

import (
	"slices"
	"strings"
)

// Taxonomy is arXiv's category taxonomy (arxiv.org/category_taxonomy):
// each archive and its subjects, as arXiv spells them; an archive with
// no subject is a category by itself (gr-qc, quant-ph, ...). It is the
// one place the service knows which categories exist: the followed
// categories and the category filter are checked against it.
var Taxonomy = map[string][]string{
	"astro-ph": {"CO", "EP", "GA", "HE", "IM", "SR"},
	"cond-mat": {"dis-nn", "mes-hall", "mtrl-sci", "other", "quant-gas", "soft", "stat-mech", "str-el", "supr-con"},
	"cs": {"AI", "AR", "CC", "CE", "CG", "CL", "CR", "CV", "CY", "DB", "DC", "DL", "DM", "DS", "ET", "FL", "GL", "GR",
		"GT", "HC", "IR", "IT", "LG", "LO", "MA", "MM", "MS", "NA", "NE", "NI", "OH", "OS", "PF", "PL", "RO", "SC", "SD",
		"SE", "SI", "SY"},
	"econ":  {"EM", "GN", "TH"},
	"eess":  {"AS", "IV", "SP", "SY"},
	"gr-qc": nil, "hep-ex": nil, "hep-lat": nil, "hep-ph": nil, "hep-th": nil,
	"math": {"AC", "AG", "AP", "AT", "CA", "CO", "CT", "CV", "DG", "DS", "FA", "GM", "GN", "GR", "GT", "HO", "IT", "KT",
		"LO", "MG", "MP", "NA", "NT", "OA", "OC", "PR", "QA", "RA", "RT", "SG", "SP", "ST"},
	"math-ph": nil,
	"nlin":    {"AO", "CD", "CG", "PS", "SI"},
	"nucl-ex": nil, "nucl-th": nil,
	"physics": {"acc-ph", "ao-ph", "app-ph", "atm-clus", "atom-ph", "bio-ph", "chem-ph", "class-ph", "comp-ph", "data-an",
		"ed-ph", "flu-dyn", "gen-ph", "geo-ph", "hist-ph", "ins-det", "med-ph", "optics", "plasm-ph", "pop-ph", "soc-ph",
		"space-ph"},
	"q-bio":    {"BM", "CB", "GN", "MN", "NC", "OT", "PE", "QM", "SC", "TO"},
	"q-fin":    {"CP", "EC", "GN", "MF", "PM", "PR", "RM", "ST", "TR"},
	"quant-ph": nil,
	"stat":     {"AP", "CO", "ME", "ML", "OT", "TH"},
}

// Archives are arXiv's archives, the first part of a category name,
// sorted.
var Archives = func() []string {
	out := make([]string, 0, len(Taxonomy))
	for a := range Taxonomy {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}()

// CategoryHint says which categories exist near a name that is not one:
// an archive's subjects, or the archives.
func CategoryHint(s string) string {
	archive, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ".")
	subjects, ok := Taxonomy[archive]
	switch {
	case !ok:
		return "archives: " + strings.Join(Archives, ", ")
	case len(subjects) == 0:
		return archive + " has no subjects: write " + archive
	}
	names := make([]string, len(subjects))
	for i, sub := range subjects {
		names[i] = archive + "." + sub
	}
	return archive + " has " + strings.Join(names, ", ")
}

// ParseBool reads a yes-or-no value the one way the service reads them,
// in settings and URLs alike, in any case: 1, true, yes, on; 0, false,
// no, off.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// BoolWords is how ParseBool's words are listed in messages.
const BoolWords = "1, true, yes or on; 0, false, no or off"
