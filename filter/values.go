package filter

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"paperfeed/feed"
)

// The readers of parameter values: lists, enums, categories, IDs,
// weeks and months, each refusing what it cannot read with an *Error
// that says what is accepted.

// ParseIDList reads like and unlike, and seed lists written elsewhere
// (key names them in errors): arXiv IDs in any common spelling
// (2501.01234v2, arxiv.org/abs/..., huggingface.co/papers/...),
// version-free, sorted, at most MaxLike.
func ParseIDList(key, val string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(val, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		raw := s
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSuffix(s, "/")
		for _, p := range []string{"https://", "http://", "www.", "huggingface.co/papers/", "hf.co/papers/"} {
			s = strings.TrimPrefix(s, p)
		}
		id, _, ok := feed.ParseArxivID(s)
		if !ok {
			return nil, errf(key, val, "%q is not an arXiv ID; write IDs like 2501.01234 (or 2501.01234v2, an arxiv.org/abs/ or huggingface.co/papers/ link), comma-separated", raw)
		}
		out = append(out, id)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, errf(key, val, "must name at least one arXiv ID")
	}
	if len(out) > MaxLike {
		return nil, errf(key, val, "names %d papers; at most %d", len(out), MaxLike)
	}
	return out, nil
}

func parseBool(s string) (bool, bool) { return feed.ParseBool(s) }

// splitList splits a comma list, trimming entries and dropping empty ones.
func splitList(key, val string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(val, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errf(key, val, "must be a comma-separated list with at least one entry")
	}
	if len(out) > maxListItems {
		return nil, errf(key, val, "at most %d entries are allowed", maxListItems)
	}
	return out, nil
}

// parseEnumList parses a comma list of allowed words: sorted, deduped.
func parseEnumList(key, val string, allowed []string) ([]string, error) {
	list, err := splitList(key, val)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list {
		s = strings.ToLower(s)
		if !slices.Contains(allowed, s) {
			return nil, errf(key, val, "%q is not accepted; use a comma-separated list of %s", s, strings.Join(allowed, ", "))
		}
		out = append(out, s)
	}
	// Keep the documented order of the allowed list.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(allowed, a) - slices.Index(allowed, b) })
	return slices.Compact(out), nil
}

func parseCategories(val string) ([]string, error) {
	list, err := splitList("category", val)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list {
		c, ok := feed.ParseCategory(s)
		if !ok {
			return nil, errf("category", val, "%q is not an arXiv category; write archive.SUBJECT like cs.CL or stat.ML, or a whole archive like cs (%s)",
				s, feed.CategoryHint(s))
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func parseSubstrings(key, val string) ([]string, error) {
	list, err := splitList(key, val)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if utf8.RuneCountInString(s) > maxItemLen {
			return nil, errf(key, val, "each entry must be at most %d characters", maxItemLen)
		}
		f := strings.TrimSpace(fold(s))
		if f == "" {
			return nil, errf(key, val, "%q has no letters or digits to search for", s)
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

var weekRe = regexp.MustCompile(`^(\d{4})-[wW](\d{2})$`)

func parseWeek(val string, o Options) (string, error) {
	m := weekRe.FindStringSubmatch(val)
	bad := func() error {
		ty, tw := o.Today.ISOWeek()
		ey, ew := o.Earliest.ISOWeek()
		return errf("week", val, "must be an ISO week written YYYY-Www, from %d-W%02d to %d-W%02d", ey, ew, ty, tw)
	}
	if m == nil {
		return "", bad()
	}
	y, _ := strconv.Atoi(m[1])
	w, _ := strconv.Atoi(m[2])
	start, ok := WeekStart(y, w)
	if !ok || start.AddDate(0, 0, 6).Before(o.Earliest) || start.After(o.Today) {
		return "", bad()
	}
	return fmt.Sprintf("%04d-W%02d", y, w), nil
}

// WeekStart is the Monday of ISO week w of year y (feed.WeekStart).
func WeekStart(y, w int) (time.Time, bool) { return feed.WeekStart(y, w) }

func parseMonth(val string, o Options) (string, error) {
	t, err := time.Parse("2006-01", val)
	if err != nil || t.AddDate(0, 1, -1).Before(o.Earliest) || t.After(o.Today) {
		return "", errf("month", val, "must be a month written YYYY-MM, from %s to %s", o.Earliest.Format("2006-01"), o.Today.Format("2006-01"))
	}
	return t.Format("2006-01"), nil
}
