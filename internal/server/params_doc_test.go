package server

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"paperfeed/filter"
)

// notOnTheBuilderPage are the accepted parameters the builder page has
// no field for, and why; every other one has a field (a filter the page
// cannot show would be dropped when its form is sent).
var notOnTheBuilderPage = map[string]string{}

// The parameter table of docs/filters.md, the parser and the builder
// page say the same: every accepted parameter has a row, every row's
// names are accepted and its examples answer (no 400) through the real
// handler, and the builder page has a field for every parameter not
// named above.
func TestParameterTableDocsAndBuilderAgree(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "filters.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	var examples []string
	row := regexp.MustCompile("^\\| (`[^|]*) \\|[^|]*\\| (.*) \\|$")
	name := regexp.MustCompile("`([a-z_]+)(?:=[^`]*)?`")
	example := regexp.MustCompile("`(/feed[^` ]*)`")
	for _, line := range strings.Split(string(md), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, n := range name.FindAllStringSubmatch(m[1], -1) {
			documented[n[1]] = true
		}
		for _, e := range example.FindAllStringSubmatch(m[2], -1) {
			examples = append(examples, e[1])
		}
	}
	for _, p := range filter.Accepted {
		if !documented[p] {
			t.Errorf("%s is accepted but has no row in docs/filters.md", p)
		}
	}
	s := loadedServer(t, nil)
	for _, e := range examples {
		if code, _, body := s.get(t, e); code == 400 || code >= 500 && code != 503 {
			t.Errorf("docs/filters.md's example %s: %d %.200s", e, code, body)
		}
	}
	if len(examples) < 30 {
		t.Errorf("read %d examples from docs/filters.md; its table changed shape", len(examples))
	}
	_, _, page := s.get(t, "/")
	fields := map[string]bool{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)"`).FindAllStringSubmatch(page, -1) {
		fields[m[1]] = true
	}
	for _, p := range filter.Accepted {
		_, exempt := notOnTheBuilderPage[p]
		switch {
		case fields[p] && exempt:
			t.Errorf("%s has a field on the builder page now; take it out of notOnTheBuilderPage", p)
		case !fields[p] && !exempt:
			t.Errorf("%s is accepted but the builder page has no field for it", p)
		}
	}
	if !slices.Contains(filter.Accepted, "q") {
		t.Fatal("filter.Accepted does not hold q")
	}
}

// The builder page fills back what the URL says, so that sending its
// form keeps it: a filter the page cannot show would be dropped.
func TestBuilderPageFillsBackEveryKindOfField(t *testing.T) {
	s := loadedServer(t, nil)
	_, _, page := s.get(t, "/?like=2608.19880&unlike=2608.19881&filter_title=LLM&filterout=survey&filter_case_sensitive=false&filter_time=86400")
	for _, want := range []string{
		`name="unlike" value="2608.19881"`,
		`name="filter_title" value="LLM"`,
		`name="filterout" value="survey"`,
		`<option value="false" selected>case-insensitive</option>`,
		`name="filter_time" type="number" min="1" max="3153600000" inputmode="numeric" value="86400"`,
		`<details id="more-filters" open>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the builder page does not hold %s", want)
		}
	}
	if _, _, page := s.get(t, "/"); strings.Contains(page, `<details id="more-filters" open>`) {
		t.Error("the more filters are open with none set")
	}
}

// A form with several wrong fields marks each of them, with its own
// message, not only the first one the parser met.
func TestBuilderPageMarksEveryWrongField(t *testing.T) {
	s := loadedServer(t, nil)
	code, _, page := s.get(t, "/?min_upvotes=abc&limit=0&filter_time=x&q=agents")
	if code != 400 {
		t.Fatalf("a form with wrong fields: %d", code)
	}
	for _, c := range []struct{ field, message string }{
		{`name="min_upvotes" type="number" min="0" inputmode="numeric" value="abc" aria-invalid="true"`, "min_upvotes=abc: must be a whole number"},
		{`name="limit" type="number" min="1" max="500" value="0" placeholder="100" aria-invalid="true"`, "limit=0: must be between 1 and 500"},
		{`name="filter_time" type="number" min="1" max="3153600000" inputmode="numeric" value="x" placeholder="86400" aria-invalid="true"`, "filter_time=x: must be a number of seconds"},
	} {
		if !strings.Contains(page, c.field) {
			t.Errorf("the page does not mark %s", c.field)
		}
		if !strings.Contains(page, c.message) {
			t.Errorf("the page does not say %q", c.message)
		}
	}
	if strings.Contains(page, `name="q" type="search" value="agents" placeholder="agents -survey" autocomplete="off" aria-invalid`) {
		t.Error("a right field is marked")
	}
}
