package filter

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var opts = Options{Today: day("2026-11-27"), Earliest: day("2023-05-04"), Oldest: day("2026-11-19"), MaxDays: 7}

func papers() []*feed.Paper {
	return []*feed.Paper{
		{ID: "2611.00001", OnHF: true, Title: "Retrieval-Augmented Generation (RAG) for Agents", Abstract: "We study storage of worlds.",
			Upvotes: 50, Comments: 4, GitHubRepo: "https://github.com/a/rag", GitHubStars: 120, ListedOn: day("2026-11-27"),
			AIKeywords: []string{"RAG", "LLM agents"}, Authors: []string{"José Núñez", "Ann Lee"}, Org: feed.Org{Name: "google", FullName: "Google"},
			Categories: []string{"cs.CL", "cs.AI"}},
		{ID: "2611.00002", OnHF: true, Title: "Diffusion Models Beat GANs on World Modelling", Abstract: "A diffusion-based world model for RL.",
			Upvotes: 10, Comments: 0, ListedOn: day("2026-11-27"), AIKeywords: []string{"diffusion models"}, Authors: []string{"Bo Chen"},
			Categories: []string{"cs.CV"}},
		{ID: "2611.00003", OnHF: true, OnArxiv: true, Title: "Self-Supervised Reinforcement Learning", Abstract: "Storage and retrieval without RL rewards.",
			Upvotes: 25, Comments: 9, CodeURL: "https://gitlab.com/x/y", ListedOn: day("2026-11-26"), Announced: day("2026-11-26"),
			AnnounceType: "new", Categories: []string{"cs.LG", "stat.ML"}, Authors: []string{"Ann Leeds"}},
		{ID: "2611.00004", OnArxiv: true, Title: "A Survey of Agents", Abstract: "Agents everywhere.", Announced: day("2026-11-25"),
			AnnounceType: "cross", Categories: []string{"cs.AI"}, Authors: []string{"Zoë Ångström"}},
		{ID: "2611.00005", OnArxiv: true, Title: "Quantum Agents", Abstract: "Replaced version.", Announced: day("2026-11-20"),
			AnnounceType: "replace-cross", Categories: []string{"quant-ph", "cs.AI"}},
	}
}

func itemPapers(items []feed.Item) []*feed.Paper {
	out := make([]*feed.Paper, len(items))
	for i := range items {
		out[i] = items[i].Paper
	}
	return out
}

func ids(ps []*feed.Paper) string {
	var s []string
	for _, p := range ps {
		s = append(s, strings.TrimPrefix(p.ID, "2611.0000"))
	}
	return strings.Join(s, ",")
}

func run(t *testing.T, raw string) string {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(v, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	ix := NewIndex(papers())
	got, err := q.Apply(context.Background(), ix, day("2026-11-27").Add(12*time.Hour))
	if err != nil {
		t.Fatalf("Apply(%q): %v", raw, err)
	}
	return ids(itemPapers(got))
}

func TestApply(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{"", "1,2,3"},
		{"source=all", "1,2,3,4,5"},
		{"source=arxiv", "3,4,5"},
		// Whole words: rag is not "storage", rl is not "world".
		{"q=rag", "1"},
		{"q=rl", "2,3"},
		{"q=RAG", "1"},
		{"q=world", "2"},
		{"q=worlds", "1"},
		{"q=diffus*", "2"},
		{"q=agent*&source=all", "1,4,5"},
		{"q=agents&source=all", "1,4,5"},
		{`q="world model"`, "2"},
		{`q="model world"`, ""},
		{"q=self-supervised", "3"},
		{"q=self supervised", "3"},
		{"q=agents -quantum&source=all", "1,4"},
		{`q=agents -"a survey"&source=all`, "1,5"},
		{"q=diffusion OR reinforcement", "2,3"},
		{"q=diffusion OR reinforcement learning", "3"},
		{"q=jose&in=authors", "1"},
		{"q=nunez&in=authors", "1"},
		{"q=agents&in=title", "1"},
		{"q=llm&in=keywords", "1"},
		{"q=llm&in=title", ""},
		{"q=%C3%85NGSTR%C3%96M&in=authors&source=all", "4"},
		{"min_upvotes=20", "1,3"},
		{"min_upvotes=0", "1,2,3"},
		{"min_stars=100", "1"},
		{"min_comments=5", "3"},
		{"has_code=1", "1,3"},
		{"has_code=yes", "1,3"},
		{"has_code=TRUE", "1,3"},
		{"has_code=no", "2"},
		{"has_code=0", "2"},
		{"category=cs.CL", "1"},
		{"category=CS.cl", "1"},
		{"category=cs&source=all", "1,2,3,4,5"},
		{"category=stat", "3"},
		{"category=quant-ph&source=all", "5"},
		{"category=cs.CV,stat.ML", "2,3"},
		{"author=ann lee", "1,3"},
		{"author=nunez,chen", "1,2"},
		{"author=ZOE&source=all", "4"},
		{"org=google", "1"},
		{"org=GOOG", "1"},
		{"announce=new&source=all", "3"},
		{"announce=cross,replace-cross&source=all", "4,5"},
		{"days=1", "1,2"},
		{"days=2&source=all", "1,2,3"},
		{"since=2026-11-26", "1,2,3"},
		{"until=2026-11-26&source=all", "3,4,5"},
		{"date=2026-11-26", "3"},
		{"week=2026-W48&source=all", "1,2,3,4"},
		{"month=2026-11&source=all", "1,2,3,4,5"},
		{"sort=upvotes", "1,3,2"},
		{"sort=stars", "1,2,3"},
		{"sort=comments", "3,1,2"},
		{"limit=1", "1"},
		{"limit=2&sort=upvotes", "1,3"},
		{"filter=Agents", "1"},
		{"filter=agents", ""},
		{"filter=agents&filter_case_sensitive=false", "1"},
		{"filter_title=^Diffusion", "2"},
		{"filter_description=storage", "1"},
		{"filter_description=storage&filter_case_sensitive=false", "1,3"},
		{"filter_author=Bo", "2"},
		{"filter_category=^cs\\.L", "3"},
		{"filterout=GAN", "1,3"},
		{"filterout_title=Self", "1,2"},
		{"filterout_description=storage", "2,3"},
		{"filterout_author=Ann", "2"},
		{"filterout_category=cs.CV", "1,3"},
		{"filter_time=86400", "1,2,3"},
		{"filter_time=3600", "1,2"},
		{"utm_source=newsletter&min_upvotes=20", "1,3"},
		{"q=&min_upvotes=&has_code=", "1,2,3"},
		{"Q=rag&MIN_UPVOTES=1", "1"},
		{"q=nothingmatchesthis", ""},
		{"category=cs.CV&category=stat.ML", "2,3"},
		{"announce=new&announce=cross&source=all", "3,4"},
		{"in=title&in=keywords&q=llm", "1"},
	} {
		if got := run(t, c.query); got != c.want {
			t.Errorf("%s: got [%s], want [%s]", c.query, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{"limit=0", "limit=0: must be between 1 and 500 (default 100)"},
		{"limit=501", "limit=501: must be between 1 and 500 (default 100)"},
		{"limit=ten", "limit=ten: must be between 1 and 500 (default 100)"},
		{"min_upvotes=-1", "min_upvotes=-1: must be a whole number from 0 to 1000000000"},
		{"min_stars=1.5", "min_stars=1.5: must be a whole number from 0 to 1000000000"},
		{"min_comments=x", "min_comments=x: must be a whole number from 0 to 1000000000"},
		{"has_code=maybe", "has_code=maybe: must be 1, true, yes or on (has code) or 0, false, no or off (has none)"},
		{"source=twitter", "source=twitter: must be one of hf, arxiv, all"},
		{"sort=random", "sort=random: must be one of date, upvotes, stars, comments"},
		{"format=xml", "format=xml: must be one of rss, atom, json"},
		{"announce=new,old", `announce=new,old: "old" is not accepted; use a comma-separated list of new, cross, replace, replace-cross`},
		{"in=body", `in=body: "body" is not accepted; use a comma-separated list of title, abstract, keywords, authors`},
		{"category=cs.CL,biology", `category=cs.CL,biology: "biology" is not an arXiv category; write archive.SUBJECT like cs.CL or stat.ML, or a whole archive like cs`},
		{"category=,", "category=,: must be a comma-separated list with at least one entry"},
		{"days=0", "days=0: must be a whole number from 1 to 7 (the listing days this service holds)"},
		{"days=8", "days=8: must be a whole number from 1 to 7"},
		{"date=2026-13-01", "date=2026-13-01: must be a date written YYYY-MM-DD, e.g. 2026-11-27"},
		{"date=27.11.2026", "date=27.11.2026: must be a date written YYYY-MM-DD"},
		{"date=2020-01-01", "date=2020-01-01: is before the first Hugging Face Daily Papers listing (2023-05-04)"},
		{"date=0001-01-01", "date=0001-01-01: is before the first Hugging Face Daily Papers listing (2023-05-04)"},
		{"since=0001-01-01", "since=0001-01-01: is before the first Hugging Face Daily Papers listing"},
		{"until=2023-05-03", "until=2023-05-03: is before the first Hugging Face Daily Papers listing"},
		{"date=2026-11-28", "date=2026-11-28: must be between 2023-05-04 and 2026-11-27"},
		{"since=2026-11-01", "since=2026-11-01: must be between 2026-11-19 and 2026-11-27 (the days this service holds"},
		{"until=2027-01-01", "until=2027-01-01: must be between 2026-11-19 and 2026-11-27"},
		{"since=2026-11-25&until=2026-11-20", "until=2026-11-20: must not be before since=2026-11-25"},
		{"week=2026-48", "week=2026-48: must be an ISO week written YYYY-Www, from 2023-W18 to 2026-W48"},
		{"week=2025-W53", "week=2025-W53: must be an ISO week written YYYY-Www"},
		{"week=2026-W53", "week=2026-W53: must be an ISO week written YYYY-Www"}, // later than today
		{"week=2027-W01", "week=2027-W01: must be an ISO week"},
		{"month=2026-13", "month=2026-13: must be a month written YYYY-MM, from 2023-05 to 2026-11"},
		{"month=2022-12", "month=2022-12: must be a month written YYYY-MM"},
		{"date=2026-11-26&week=2026-W48", "date: date, week and month each choose a whole period"},
		{"days=2&month=2026-11", "date: date, week and month each choose a whole period"},
		{"q=agents OR", "q=agents OR: OR must stand between two terms"},
		{"q=OR agents", "q=OR agents: OR must stand between two terms"},
		{`q="unterminated`, `q="unterminated: unterminated quote`},
		{`q=""`, `q="": empty phrase`},
		{"q=!!!", `q=!!!: "!!!" has no letters or digits to search for`},
		{"q=a*b", `q=a*b: * is only allowed at the end of a word`},
		{"q=a OR -b", "q=a OR -b: an excluded term (-b) cannot be part of OR"},
		{"q=" + strings.Repeat("a ", 300), "must be at most 500 characters"},
		{"filter=(", "filter=(: not a valid regular expression (RE2 syntax): missing closing )"},
		{"filter_title=(?=x)", "filter_title=(?=x): not a valid regular expression (RE2 syntax)"},
		{"filterout=" + strings.Repeat("a", 257), "regular expression must be at most 256 characters"},
		{"filter=(.*.*.*.*.*.*.*.*.*.*){20}x1$", "filter=(.*.*.*.*.*.*.*.*.*.*){20}x1$: regular expression is too complex (445 steps compiled, at most 200)"},
		{"filter_description=.{500}.{500}.{500}zzz", "repetition count 500 is too large: counted repetitions ({n} or {n,m}) may be at most 100"},
		{"filterout_title=a{101}", "repetition count 101 is too large"},
		{"filter_case_sensitive=perhaps", "filter_case_sensitive=perhaps: must be 1, true, yes or on; 0, false, no or off"},
		{"filter_time=-5", "filter_time=-5: must be a number of seconds from 1 to"},
		{"gain_hours=72", "gain_hours=72: changes nothing without sort=trending or min_gain=N"},
		{"digest_size=5", "digest_size=5: changes nothing without digest=day, week or month"},
		{"filter_case_sensitive=false", "filter_case_sensitive=false: changes nothing without one of RSSHub's regex filters"},
		{"author=" + strings.Repeat("x", 101), "each entry must be at most 100 characters"},
		{"org=---", `org=---: "---" has no letters or digits to search for`},
		{"min_upvote=20", "min_upvote=20: unknown parameter (did you mean min_upvotes?); accepted: q, in, min_upvotes"},
		{"keyword=agents", "keyword=agents: unknown parameter; accepted: q, in, min_upvotes, min_stars"},
		{"min_upvotes=5&MIN_UPVOTES=10", "min_upvotes=10,5: given more than once"},
		{"q=a&q=b", "q=a,b: given more than once; give it once (lists are comma-separated)"},
		{"q=a&Q=b", "given more than once"},
		{"gain_hours=0", "gain_hours=0: must be a whole number of hours from 1 to 168 (default 24)"},
		{"gain_hours=169", "gain_hours=169: must be a whole number of hours from 1 to 168"},
		{"min_gain=-3", "min_gain=-3: must be a whole number of upvotes gained"},
		{"digest=year", "digest=year: must be one of day, week, month (one item per closed period)"},
		{"digest_size=51", "digest_size=51: must be a whole number of papers per digest from 1 to 50 (default 10)"},
		{"date_by=x", "date_by=x: must be listed (the listing day) or qualified (when the paper met the feed's conditions)"},
		{"sort=rising", "sort=rising: must be one of date, upvotes, stars, comments, trending"},
		{"digest=week&date=2026-11-20", "digest=week: a digest covers the closed periods held"},
		{"like=2601.00001,notanid", `"notanid" is not an arXiv ID; write IDs like 2501.01234`},
		{"like=2601.123", `"2601.123" is not an arXiv ID`},
		{"like=2601.10001,2601.10002,2601.10003,2601.10004,2601.10005,2601.10006,2601.10007,2601.10008,2601.10009,2601.10010,2601.10011,2601.10012,2601.10013,2601.10014,2601.10015,2601.10016,2601.10017,2601.10018,2601.10019,2601.10020,2601.10021,2601.10022,2601.10023,2601.10024,2601.10025,2601.10026,2601.10027,2601.10028,2601.10029,2601.10030,2601.10031,2601.10032,2601.10033,2601.10034,2601.10035,2601.10036,2601.10037,2601.10038,2601.10039,2601.10040,2601.10041,2601.10042,2601.10043,2601.10044,2601.10045,2601.10046,2601.10047,2601.10048,2601.10049,2601.10050,2601.10051", "names 51 papers; at most 50"},
		{"like=2601.00001&min_similarity=2", "min_similarity=2: must be a number from 0 to 1 (default 0.04"},
		{"like=2601.00001&min_similarity=NaN", "min_similarity=NaN: must be a number from 0 to 1"},
		{"min_similarity=0.5", "min_similarity=0.5: needs like=ID,..."},
		{"unlike=2601.00001", "unlike=2601.00001: needs like=ID,..."},
		{"venue=neurps", `venue=neurps: "neurps" is not accepted; use a comma-separated list of neurips, icml, iclr`},
		{"accepted=maybe", "accepted=maybe: must be 1, true, yes or on"},
		{"has_model=2", "has_model=2: must be"},
		{"min_models=-1", "min_models=-1: must be a whole number of linked models"},
		{"revised=sometime", "revised=sometime: must be"},
		{"like=2601.00001&unlike=2601.00001v2", "2601.00001 is in like= too"},
		{"like=2601.00001&unlike=nope", `unlike=nope: "nope" is not an arXiv ID`},
		{"sort=similarity", "sort=similarity: sort=similarity needs like=ID,..."},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(v, opts)
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want *Error", c.query, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got  %s\n want %s", c.query, err, c.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	parse := func(raw string) Query {
		v, _ := url.ParseQuery(raw)
		q, err := Parse(v, opts)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return q
	}
	same := [][]string{
		{"q=Agents&min_upvotes=20&has_code=1", "has_code=yes&min_upvotes=20&q=agents", "HAS_CODE=TRUE&Q=AGENTS&Min_Upvotes=20&utm_medium=x"},
		{"category=cs.CL,cs.AI", "category=CS.ai,cs.cl", "category=cs.AI,cs.CL,cs.AI"},
		{"", "source=hf&sort=date&limit=100&in=title,abstract,keywords&filter_case_sensitive=true&q=&min_upvotes=0"},
		{"author=José", "author=jose", "author=JOSE,jose"},
		{"q=diffusion  OR   rl", "q=Diffusion OR RL"},
		// date_by where it says the default is the same feed.
		{"min_upvotes=5", "min_upvotes=5&date_by=qualified"},
		{"q=agents", "q=agents&date_by=listed", "q=agents&date_by=qualified"},
		{"min_upvotes=5&date_by=listed", "date_by=LISTED&min_upvotes=5"},
		// A companion's default without its companion is harmless.
		{"", "gain_hours=24&digest_size=10"},
	}
	for _, group := range same {
		want := parse(group[0]).Canonical()
		for _, raw := range group[1:] {
			if got := parse(raw).Canonical(); got != want {
				t.Errorf("%q canonical %q, want %q (as %q)", raw, got, want, group[0])
			}
		}
	}
	if got := parse("q=Agents&min_upvotes=20&has_code=1").Canonical(); got != "has_code=true&min_upvotes=20&q=agents" {
		t.Errorf("canonical = %q", got)
	}
}

func TestTitle(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                    "Daily Papers",
		"q=agents&min_upvotes=20&has_code=1":  "Daily Papers: agents, 20+ upvotes, with code",
		"source=arxiv&category=cs.CL":         "arXiv papers: cs.CL",
		"source=all&org=google&week=2026-W47": "Daily Papers + arXiv: from google, week 2026-W47",
		"has_code=0&author=ann":               "Daily Papers: without code, by ann",
		"venue=neurips,iclr&has_model=1":      "Daily Papers: accepted at ICLR or NeurIPS, with a model",
		"accepted=1&has_demo=0&min_models=3":  "Daily Papers: accepted, without a demo, 3+ models",
		"revised=1":                           "Daily Papers: new versions",
		// Every filter says what it does.
		"q=agents&in=authors":                         "Daily Papers: agents, searched in authors",
		"filter_title=LLM&filterout=survey":           "Daily Papers: title matches “LLM”, title or abstract does not match “survey”",
		"filter_author=chen&filter_case_sensitive=0":  "Daily Papers: an author matches “chen”, ignoring case",
		"filter_time=86400":                           "Daily Papers: listed in the last 1 day",
		"filter_time=7200&min_upvotes=3":              "Daily Papers: 3+ upvotes, listed in the last 2 h",
		"like=2611.00001&min_similarity=0.2&q=agents": "Daily Papers: more like 2611.00001, agents, similarity 0.2+",
	} {
		v, _ := url.ParseQuery(raw)
		q, err := Parse(v, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Title(); got != want {
			t.Errorf("%q: title %q, want %q", raw, got, want)
		}
	}
}

func TestApplyDoesNotModifyInput(t *testing.T) {
	ps := papers()
	before := ids(ps)
	q, err := Parse(url.Values{"sort": {"upvotes"}, "source": {"all"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Apply(context.Background(), NewIndex(ps), time.Now()); err != nil {
		t.Fatal(err)
	}
	if ids(ps) != before {
		t.Error("Apply reordered its input")
	}
}

func TestWeekStart(t *testing.T) {
	for _, c := range []struct {
		y, w int
		want string
		ok   bool
	}{{2026, 1, "2025-12-29", true}, {2026, 48, "2026-11-23", true}, {2025, 53, "", false}, {2026, 53, "2026-12-28", true}, {2020, 53, "2020-12-28", true}, {2026, 0, "", false}} {
		got, ok := WeekStart(c.y, c.w)
		if ok != c.ok || (ok && got.Format(time.DateOnly) != c.want) {
			t.Errorf("WeekStart(%d, %d) = %v %v", c.y, c.w, got, ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"q=agents&min_upvotes=20&has_code=1", `q="world model" -gan OR diffus*`, "category=cs,stat.ML&author=José",
		"week=2026-W48", "filter=(a|b)&filter_case_sensitive=false", "q=a OR b c -d", "limit=5&sort=stars", "q=%FF",
		"sorted=false&brief=150&tgiv=ab12&guid=feed", "mode=fulltext&sort=upvotes&sorted=0", "key=x&scihub=1"} {
		f.Add(s)
	}
	route := opts
	route.RSSHubRoute = true // RSSHub's routes take more (rsshub_params.go)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, o := range []Options{opts, route} {
			fuzzParse(t, raw, o)
		}
	})
}

// fuzzParse checks one parse: an error names its parameter and reason;
// a query's canonical form parses to itself; Apply never fails without
// saying why.
func fuzzParse(t *testing.T, raw string, o Options) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return
	}
	q, err := Parse(v, o)
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) || fe.Param == "" || fe.Reason == "" {
			t.Fatalf("error without parameter or reason: %v", err)
		}
		return
	}
	canon := q.Canonical()
	v2, err := url.ParseQuery(canon)
	if err != nil {
		t.Fatalf("canonical %q does not parse as a query: %v", canon, err)
	}
	q2, err := Parse(v2, o)
	if err != nil {
		t.Fatalf("canonical %q of %q is rejected: %v", canon, raw, err)
	}
	if q2.Canonical() != canon {
		t.Fatalf("canonical form is not stable: %q -> %q", canon, q2.Canonical())
	}
	if _, err := q.Apply(context.Background(), NewIndex(papers()), time.Now()); err != nil {
		var fe *Error
		if !errors.As(err, &fe) || fe.Param == "" || fe.Reason == "" {
			t.Fatalf("Apply: error without parameter or reason: %v", err)
		}
	}
	_ = q.Title()
	if !slices.Contains([]string{SourceHF, SourceArxiv, SourceAll}, q.Source) {
		t.Fatalf("source %q", q.Source)
	}
}

func TestParseRawQuery(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"min_upvotes=50;has_code=1", "min_upvotes=50;has_code=1: contains ';'"},
		{"q=agents%zz", "q=agents%zz: malformed %-escape in the value"},
		{"limit=1%", "limit=1%: malformed %-escape in the value"},
		{"min_upvotes=%G0", "min_upvotes=%G0: malformed %-escape"},
		{"q%zz=1", "q%zz: malformed %-escape in the parameter name"},
	} {
		_, err := ParseRawQuery(c.raw)
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseRawQuery(%q) = %v, want an *Error containing %q", c.raw, err, c.want)
		}
	}
	for _, raw := range []string{"", "q=a+b&q=c", "q=%C3%A9t%C3%A9&&limit=5", "=x", "flag", "q=a=b"} {
		got, err := ParseRawQuery(raw)
		want, werr := url.ParseQuery(raw)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseRawQuery(%q) = %v, %v; url.ParseQuery gives %v, %v", raw, got, err, want, werr)
		}
	}
}
