package filter

// The time a query covers: its period (date, week, month) or range
// (days, since, until), validated together.

import (
	"fmt"
	"strconv"
	"time"
)

// checkTime validates the time parameters together and against the
// range the service can serve.
func checkTime(q *Query, o Options) error {
	periods := 0
	for _, set := range []bool{!q.Date.IsZero(), q.Week != "", q.Month != ""} {
		if set {
			periods++
		}
	}
	rangeSet := q.Days > 0 || !q.Since.IsZero() || !q.Until.IsZero()
	if periods > 1 || (periods == 1 && rangeSet) {
		return &Error{Param: "date", Reason: "date, week and month each choose a whole period: give only one of them, and without days, since or until"}
	}
	if !q.Date.IsZero() && (q.Date.Before(o.Earliest) || q.Date.After(o.Today)) {
		return errf("date", q.Date.Format(time.DateOnly), "must be between %s and %s", o.Earliest.Format(time.DateOnly), o.Today.Format(time.DateOnly))
	}
	oldest := o.Oldest
	if oldest.IsZero() || oldest.After(o.Today) {
		oldest = o.Today
	}
	for _, c := range []struct {
		name string
		d    time.Time
	}{{"since", q.Since}, {"until", q.Until}} {
		if !c.d.IsZero() && (c.d.Before(oldest) || c.d.After(o.Today)) {
			return errf(c.name, c.d.Format(time.DateOnly), "must be between %s and %s (the days this service holds; use date, week or month for older listings)",
				oldest.Format(time.DateOnly), o.Today.Format(time.DateOnly))
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return errf("until", q.Until.Format(time.DateOnly), "must not be before since=%s", q.Since.Format(time.DateOnly))
	}
	return nil
}

// Period names the HF listing page the query asks for ("day/2024-08-01",
// "week/2026-W47", "month/2026-11"), or "" for the rolling window.
func (q Query) Period() string {
	switch {
	case !q.Date.IsZero():
		return "day/" + q.Date.Format(time.DateOnly)
	case q.Week != "":
		return "week/" + q.Week
	case q.Month != "":
		return "month/" + q.Month
	}
	return ""
}

// PeriodRange is the first and last day of the query's period.
func (q Query) PeriodRange() (from, to time.Time) {
	switch {
	case !q.Date.IsZero():
		return q.Date, q.Date
	case q.Week != "":
		var y, w int
		fmt.Sscanf(q.Week, "%d-W%d", &y, &w)
		s, _ := WeekStart(y, w)
		return s, s.AddDate(0, 0, 6)
	case q.Month != "":
		t, _ := time.Parse("2006-01", q.Month)
		return t, t.AddDate(0, 1, -1)
	}
	return time.Time{}, time.Time{}
}

// setTime parses one time parameter: days, since, until, date, week or
// month.
func setTime(q *Query, key, val string, o Options) error {
	var err error
	switch key {
	case "days":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > max(1, o.MaxDays) {
			return errf(key, val, "must be a whole number from 1 to %d (the listing days this service holds)", max(1, o.MaxDays))
		}
		q.Days = n
		q.raw.Set(key, strconv.Itoa(n))
	case "since", "until", "date":
		d, err := time.Parse(time.DateOnly, val)
		if err != nil {
			return errf(key, val, "must be a date written YYYY-MM-DD, e.g. %s", o.Today.Format(time.DateOnly))
		}
		if d.Before(o.Earliest) {
			// Also keeps 0001-01-01, the zero time, from passing as absent.
			return errf(key, val, "is before the first Hugging Face Daily Papers listing (%s); give a date from then to %s",
				o.Earliest.Format(time.DateOnly), o.Today.Format(time.DateOnly))
		}
		switch key {
		case "since":
			q.Since = d
		case "until":
			q.Until = d
		default:
			q.Date = d
		}
		q.raw.Set(key, d.Format(time.DateOnly))
	case "week":
		if q.Week, err = parseWeek(val, o); err != nil {
			return err
		}
		q.raw.Set(key, q.Week)
	case "month":
		if q.Month, err = parseMonth(val, o); err != nil {
			return err
		}
		q.raw.Set(key, q.Month)
	}
	return nil
}
