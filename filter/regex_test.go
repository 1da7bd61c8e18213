package filter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
)

func TestRequiredLiterals(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string // nil: nothing known
	}{
		{"agent", []string{"agent"}},
		{"(?i)Agent", []string{"agent"}},
		{"(?i)(agents?|LLM) (reason|plan)", []string{"plan", "reason"}}, // the longer shortest literal
		{"(?i)(agents?|LLM) (reasoning|planning)", []string{"planning", "reasoning"}},
		{"diffusion|transformer", []string{"diffusion", "transformer"}},
		{"a.*bcd", []string{"bcd"}},
		{"(foo)+bar", []string{"foo"}},
		{"x{2,5}", []string{"x"}},
		{"(x)?y", []string{"y"}},
		{"(?i)straße", nil}, // non-ASCII under case folding
		{"Straße", []string{"straße"}},
		{".{10}", nil},
		{"a*", nil},
		{"a|.", nil},
		{"^$", nil},
		{"(?i)[a-z]+", nil},
	} {
		re, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := required(re.Simplify())
		if !ok {
			got = nil
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("required(%q) = %q, want %q", c.expr, got, want)
		}
	}
}

// The prefilter may only rule out texts the expression cannot match.
func FuzzRegexPrefilter(f *testing.F) {
	for _, s := range [][2]string{
		{"(?i)agents?|llm", "LLM Agents"}, {"(?i)s", "ſ"}, {"(?i)k", "\u212a"}, {"Straße", "STRASSE Straße"},
		{"a.*bcd", "xxabcd"}, {"(?i)(reason|plan)ning", "Planning"}, {"[a-z]+ing", "testing"}, {"ö", "Ö"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, expr, text string) {
		if checkRegex("filter", expr) != nil {
			return
		}
		m, err := newMatcher(expr)
		if err != nil {
			t.Fatalf("checked expression %q does not compile: %v", expr, err)
		}
		if !m.mayMatch(lowerText(text)) && m.re.MatchString(text) {
			t.Fatalf("prefilter %q of %q ruled out %q, which matches", m.need, expr, text)
		}
	})
}

// bigIndex is n papers with abstracts of about 1,500 bytes of words.
func bigIndex(n int) *Index {
	words := strings.Fields("we propose a novel method for large language model agents reasoning diffusion transformer training data " +
		"benchmark results show that our approach improves performance across tasks evaluation vision multimodal")
	ps := make([]*feed.Paper, n)
	for i := range ps {
		var b strings.Builder
		for j := 0; b.Len() < 1500; j++ {
			b.WriteString(words[(i*7+j*13)%len(words)])
			b.WriteByte(' ')
		}
		ps[i] = &feed.Paper{ID: fmt.Sprintf("2611.%05d", i), OnHF: true, Title: fmt.Sprintf("Paper %d on %s", i, words[i%len(words)]),
			Abstract: b.String(), ListedOn: day("2026-11-27").AddDate(0, 0, -(i % 7)), Upvotes: i % 100,
			Categories: []string{"cs.LG", "cs.CL"}[i%2 : i%2+1]}
	}
	feed.SortPapers(ps)
	return NewIndex(ps)
}

func apply(t testing.TB, ix *Index, raw string) ([]*feed.Paper, error) {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(v, Options{Today: day("2026-11-27"), Earliest: day("2023-05-04"), MaxDays: 7})
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	items, err := q.Apply(context.Background(), ix, time.Now())
	return itemPapers(items), err
}

// An expression with nothing to narrow by, over thousands of abstracts,
// is refused before it runs; narrowing the feed first lets it run.
func TestRegexWorkBudget(t *testing.T) {
	ix := bigIndex(5000)
	_, err := apply(t, ix, "filter_description="+url.QueryEscape("[a-z]{20}[0-9]"))
	var fe *Error
	if !errors.As(err, &fe) || fe.Param != "filter_description" || !strings.Contains(fe.Reason, "would read too much text") {
		t.Fatalf("err = %v, want a work-budget *Error on filter_description", err)
	}
	if n := ix.rx.runs.Load(); n != 0 {
		t.Errorf("the refused expression ran %d times", n)
	}
	// The same expression over the titles alone fits.
	if _, err := apply(t, ix, "filter_title="+url.QueryEscape("[a-z]{20}[0-9]")); err != nil {
		t.Errorf("over titles: %v", err)
	}
	// A literal every match needs narrows the text to read.
	got, err := apply(t, ix, "filter_description="+url.QueryEscape("zebra.{20}")+"&limit=500")
	if err != nil || len(got) != 0 {
		t.Errorf("literal-narrowed expression: %d papers, %v", len(got), err)
	}
	// So does a narrower feed.
	if _, err := apply(t, ix, "filter_description="+url.QueryEscape("[a-z]{20}[0-9]")+"&min_upvotes=99"); err != nil {
		t.Errorf("narrowed feed: %v", err)
	}
}

// What an expression matched is remembered per index: asking again runs
// nothing, and the answer is the same.
func TestRegexResultsRemembered(t *testing.T) {
	ix := bigIndex(300)
	raw := "filter=" + url.QueryEscape("(?i)agents? .* reasoning") + "&limit=500"
	first, err := apply(t, ix, raw)
	if err != nil {
		t.Fatal(err)
	}
	runs := ix.rx.runs.Load()
	if runs == 0 || len(first) == 0 {
		t.Fatalf("first apply: %d runs, %d papers", runs, len(first))
	}
	again, err := apply(t, ix, raw)
	if err != nil {
		t.Fatal(err)
	}
	if ix.rx.runs.Load() != runs {
		t.Errorf("second apply ran the expression %d more times", ix.rx.runs.Load()-runs)
	}
	if ids(first) != ids(again) {
		t.Error("remembered results differ")
	}
	// The answer agrees with regexp run directly.
	re := regexp.MustCompile("(?i)agents? .* reasoning")
	n := 0
	for _, p := range ix.papers {
		if re.MatchString(p.Title) || re.MatchString(p.Abstract+"\n"+p.AISummary) {
			n++
		}
	}
	if n != len(first) {
		t.Errorf("filter kept %d papers, regexp matches %d", len(first), n)
	}
}

func TestRegexStopsAtDeadline(t *testing.T) {
	ix := bigIndex(300)
	v := url.Values{"filter_title": {"[a-z]+ [0-9]+"}}
	q, err := Parse(v, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Apply(ctx, ix, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// The worst expressions the bounds admit over ~5,000 papers, each on a
// new data version (nothing remembered): a costly program without
// literals over every title, and the same over as many abstracts as
// the work budget allows (min_upvotes keeps 100 of the 5,000).
func BenchmarkRegexWorstAdmitted5k(b *testing.B) {
	worst := url.QueryEscape("(.*.*.*.*.*){4}[0-9]{3}$")
	for _, c := range []struct{ name, query string }{
		{"titles", "filter_title=" + worst},
		{"abstracts", "filter_description=" + worst + "&min_upvotes=98"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ix := bigIndex(5000)
				b.StartTimer()
				if _, err := apply(b, ix, c.query); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
