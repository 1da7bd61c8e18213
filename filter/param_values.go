package filter

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
)

// The value readers and title words of the parameters whose entries in
// params do not come with a family of their own (periods, facts,
// similarity, RSSHub's: in their files).

func setKeywords(q *Query, key, val string, _ Options) error {
	k, err := parseKeywords(val)
	if err != nil {
		return errf(key, val, "%v; write words (all must match), \"exact phrases\", -excluded, a OR b, prefix*", err)
	}
	q.Keywords = k
	if !k.Empty() {
		q.raw.Set(key, k.String())
	}
	return nil
}

func setIn(q *Query, key, val string, _ Options) error {
	f, err := parseEnumList(key, val, fieldNames)
	if err != nil {
		return err
	}
	q.In = f
	if !slices.Equal(f, defaultFields) {
		q.raw.Set(key, strings.Join(f, ","))
	}
	return nil
}

func setHasCode(q *Query, key, val string, _ Options) error {
	b, ok := parseBool(val)
	if !ok {
		return errf(key, val, "must be 1, true, yes or on (has code) or 0, false, no or off (has none)")
	}
	q.HasCode = &b
	q.raw.Set(key, strconv.FormatBool(b))
	return nil
}

func hasCodeWords(q *Query) []string { return boolWords(q.HasCode, "with code", "without code") }

func setCategory(q *Query, key, val string, _ Options) error {
	c, err := parseCategories(val)
	if err != nil {
		return err
	}
	q.Categories = c
	q.raw.Set(key, strings.Join(c, ","))
	return nil
}

// setSubstrings reads author and org.
func setSubstrings(q *Query, key, val string, _ Options) error {
	list, err := parseSubstrings(key, val)
	if err != nil {
		return err
	}
	if key == "author" {
		q.Authors = list
	} else {
		q.Orgs = list
	}
	q.raw.Set(key, strings.Join(list, ","))
	return nil
}

func setSource(q *Query, key, val string, _ Options) error {
	s := strings.ToLower(val)
	if !slices.Contains(feed.Sources, s) {
		return errf(key, val, "must be one of %s", strings.Join(feed.Sources, ", "))
	}
	q.Source = s
	if s != SourceHF {
		q.raw.Set(key, s)
	}
	return nil
}

func setAnnounce(q *Query, key, val string, _ Options) error {
	a, err := parseEnumList(key, val, AnnounceTypes)
	if err != nil {
		return err
	}
	q.Announce = a
	q.raw.Set(key, strings.Join(a, ","))
	return nil
}

func setSort(q *Query, key, val string, _ Options) error {
	s := strings.ToLower(val)
	if !slices.Contains(sorts, s) {
		return errf(key, val, "must be one of %s", strings.Join(sorts, ", "))
	}
	q.Sort, q.sortSet = s, true
	if s != SortDate {
		q.raw.Set(key, s)
	}
	return nil
}

// setFormat reads format, which is not part of the canonical form.
func setFormat(q *Query, key, val string, _ Options) error {
	f, ok := feed.ParseFormat(strings.ToLower(val))
	if !ok {
		return errf(key, val, "must be one of %s", feed.FormatNames())
	}
	q.Format = string(f)
	return nil
}

func setDateBy(q *Query, key, val string, _ Options) error {
	d := strings.ToLower(val)
	if d != DateListed && d != DateQualified {
		return errf(key, val, "must be listed (the listing day) or qualified (when the paper met the feed's conditions)")
	}
	q.DateBy = d
	q.raw.Set(key, d)
	return nil
}

func setDigest(q *Query, key, val string, _ Options) error {
	d := strings.ToLower(val)
	if !slices.Contains(DigestPeriods, d) {
		return errf(key, val, "must be one of %s (one item per closed period)", strings.Join(DigestPeriods, ", "))
	}
	q.Digest = d
	q.raw.Set(key, d)
	return nil
}

// setRegexFilter reads one of RSSHub's regex filters.
func setRegexFilter(q *Query, key, val string, _ Options) error {
	if err := checkRegex(key, val); err != nil {
		return err
	}
	q.RSSHub.set(key, val)
	q.raw.Set(key, val)
	return nil
}

// dateWords: a listing day; days: the last N days.
func dateWords(q *Query) []string {
	return dayWords("", q.Date)
}

func daysWords(q *Query) []string {
	switch {
	case q.Days == 1:
		return []string{"last day"}
	case q.Days > 0:
		return []string{"last " + strconv.Itoa(q.Days) + " days"}
	}
	return nil
}

func dayWords(prefix string, d time.Time) []string {
	return when2(!d.IsZero(), prefix+d.Format(time.DateOnly))
}
