package feed

import (
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, c := range []struct {
		key      string
		from, to string // "" for a refusal
	}{
		{"day/2026-08-21", "2026-08-21", "2026-08-21"},
		{"week/2026-W34", "2026-08-17", "2026-08-23"},
		{"week/2020-W53", "", ""},                     // before the first listing
		{"week/2026-W53", "2026-12-28", "2027-01-03"}, // 2026 has 53 ISO weeks
		{"week/2025-W53", "", ""},                     // 2025 has 52
		{"week/2015-W53", "", ""},
		{"month/2026-02", "2026-02-01", "2026-02-28"},
		{"month/2023-05", "2023-05-01", "2023-05-31"},
		{"day/2023-05-03", "", ""},
		{"day/2026-08-21/../x", "", ""},
		{"week/../../api/whoami-v2", "", ""},
		{"week/2026-W4", "", ""},
		{"month/2026-8", "", ""},
		{"day/2026-02-30", "", ""},
		{"year/2026", "", ""},
		{"day", "", ""},
		{"", "", ""},
	} {
		p, err := ParsePeriod(c.key)
		if c.from == "" {
			if err == nil {
				t.Errorf("%q accepted: %+v", c.key, p)
			}
			continue
		}
		if err != nil || !p.From.Equal(d(c.from)) || !p.To.Equal(d(c.to)) || p.Key() != c.key {
			t.Errorf("%q: %+v %v", c.key, p, err)
		}
		if q := PeriodOf(p.Kind, p.To); q.Key() != c.key {
			t.Errorf("PeriodOf(%s, %s) = %s", p.Kind, c.to, q.Key())
		}
	}
}
