package feed

import (
	"os"
	"regexp"
	"strings"
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

// Every category arXiv's recorded data names is in the taxonomy, and
// written in any case it reads back as arXiv spells it.
func TestTaxonomyHoldsTheRecordedCategories(t *testing.T) {
	var raw []byte
	for _, f := range []string{"rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-21_derived.xml", "rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items_trimmed_transcribed_laya-reader.xml",
		"api_query_cat-cs.LG-OR-cat-cs.AI_max20_2026-04-30_CrSamson.xml", "api_query_all-Einstein_max10_2018-02-05_ThomPijnenburg.xml"} {
		b, err := os.ReadFile("../testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	cats := regexp.MustCompile(`<category(?: domain="[^"]*")?>([^<]+)</category>|<category term="([^"]+)"`).FindAllStringSubmatch(string(raw), -1)
	if len(cats) == 0 {
		t.Fatal("no categories in the recording")
	}
	seen := map[string]bool{}
	for _, m := range cats {
		name := m[1] + m[2]
		if seen[name] || !LooksLikeCategory(name) {
			continue // ACM and MSC classes in the API's terms
		}
		seen[name] = true
		c, ok := ParseCategory(strings.ToLower(name))
		if !ok || c != name {
			t.Errorf("%s: read back as %q %v", name, c, ok)
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d categories in the recordings: %v", len(seen), seen)
	}
	for _, bad := range []string{"cs.XY", "quant-ph.QQ", "physics.optic", "xx", "cs."} {
		if c, ok := ParseCategory(bad); ok {
			t.Errorf("%s accepted as %s", bad, c)
		}
	}
}
