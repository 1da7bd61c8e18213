package filter

import (
	"context"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// The RSSHub filters take regular expressions from anyone who can write
// a URL, and run them over thousands of abstracts. RE2 rules out
// exponential blow-up, but its cost still grows with the size of the
// compiled program times the bytes it reads, so the work is bounded in
// three ways:
//
//   - when parsed: an expression has at most maxRegexLen characters,
//     counted repetitions ({n,m}) of at most maxRepeat, and a compiled
//     program of at most maxRegexInsts instructions;
//   - when applied: the papers an expression would read are first
//     narrowed by literal text every match must contain (a fast
//     substring test), and what is left to read, program size × bytes
//     over the papers the other conditions kept, must fit
//     maxRegexWork; a filter over that is an *Error saying so, before
//     any of it runs. The request's deadline is checked while matching;
//   - what an expression matched is remembered by the Index (one data
//     version), so the same filter asked again reads nothing.
const (
	maxRegexLen   = 256
	maxRepeat     = 100
	maxRegexInsts = 200
	// maxRegexWork is instructions × bytes per request. Go's regexp
	// engine needs at worst about 10 ns per unit (a program of dots and
	// stars over text that never matches), so this keeps one request
	// near a tenth of a second of CPU (BenchmarkRegexWorstAdmitted5k).
	maxRegexWork = 10_000_000
	// maxMemos bounds the expressions an Index remembers; it forgets all
	// of them when full.
	maxMemos = 512
)

// checkRegex validates an expression and bounds its size.
func checkRegex(key, val string) error {
	if utf8.RuneCountInString(val) > maxRegexLen {
		return errf(key, val, "regular expression must be at most %d characters", maxRegexLen)
	}
	re, err := syntax.Parse(val, syntax.Perl)
	if err != nil {
		return errf(key, val, "not a valid regular expression (RE2 syntax): %v", unwrapRegexErr(err))
	}
	if n := largestRepeat(re); n > maxRepeat {
		return errf(key, val, "repetition count %d is too large: counted repetitions ({n} or {n,m}) may be at most %d", n, maxRepeat)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return errf(key, val, "not a valid regular expression (RE2 syntax): %v", unwrapRegexErr(err))
	}
	if n := len(prog.Inst); n > maxRegexInsts {
		return errf(key, val, "regular expression is too complex (%d steps compiled, at most %d): use fewer repetitions and alternatives, or q for words", n, maxRegexInsts)
	}
	return nil
}

func unwrapRegexErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func largestRepeat(re *syntax.Regexp) int {
	n := 0
	if re.Op == syntax.OpRepeat {
		n = max(re.Min, re.Max)
	}
	for _, s := range re.Sub {
		n = max(n, largestRepeat(s))
	}
	return n
}

// matcher is a compiled expression with its cost and its prefilter.
type matcher struct {
	re    *regexp.Regexp
	insts int
	// need: every match contains one of these (folded with lowerText);
	// nil when nothing is known.
	need []string
}

func newMatcher(pattern string) (*matcher, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	sre, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	sre = sre.Simplify()
	prog, err := syntax.Compile(sre)
	if err != nil {
		return nil, err
	}
	m := &matcher{re: re, insts: len(prog.Inst)}
	if need, ok := required(sre); ok {
		m.need = need
	}
	return m, nil
}

// mayMatch is the prefilter: false means s (folded by lowerText) holds
// none of the literals every match needs.
func (m *matcher) mayMatch(lower string) bool {
	if m.need == nil {
		return true
	}
	for _, n := range m.need {
		if strings.Contains(lower, n) {
			return true
		}
	}
	return false
}

const maxNeed = 16

// required returns literals one of which every match of re contains,
// folded with lowerText. ok is false when no such set is known.
func required(re *syntax.Regexp) (need []string, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 && !isASCII(s) {
			return nil, false // Unicode case folding is wider than lowering
		}
		return []string{lowerText(s)}, s != ""
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		// The child whose shortest literal is longest narrows most.
		best, bestLen := []string(nil), 0
		for _, s := range re.Sub {
			if n, ok := required(s); ok {
				if l := shortest(n); l > bestLen {
					best, bestLen = n, l
				}
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			n, ok := required(s)
			if !ok {
				return nil, false
			}
			all = append(all, n...)
		}
		return all, len(all) <= maxNeed
	}
	return nil, false
}

func shortest(list []string) int {
	n := -1
	for _, s := range list {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// lowerText maps every case variant of a letter to one rune, so that a
// literal found in a text (in any case, under RE2's case folding of
// ASCII letters) is found in lowerText(text) as lowerText(literal).
func lowerText(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case 'ſ': // folds with s
			return 's'
		case 'K': // Kelvin sign, folds with k
			return 'k'
		}
		return unicode.ToLower(r)
	}, s)
}

// rxField is the part of a paper a regex filter reads.
type rxField int

const (
	rxTitle    rxField = iota
	rxDesc             // abstract and AI summary
	rxAuthor           // authors, comma-separated
	rxCategory         // each category on its own
	numRxFields
)

// rxTexts are the papers' texts as the regex filters read them, raw
// and folded for the prefilter, made per field on first use.
type rxTexts struct {
	once  [numRxFields]sync.Once
	raw   [numRxFields][][]string
	lower [numRxFields][][]string
}

// regexTexts returns the raw and folded texts of one field.
func (ix *Index) regexTexts(f rxField) (raw, lower [][]string) {
	t := &ix.rx.texts
	t.once[f].Do(func() {
		t.raw[f] = make([][]string, len(ix.papers))
		t.lower[f] = make([][]string, len(ix.papers))
		for i, p := range ix.papers {
			var texts []string
			switch f {
			case rxTitle:
				texts = []string{p.Title}
			case rxDesc:
				texts = []string{p.Abstract + "\n" + p.AISummary}
			case rxAuthor:
				texts = []string{strings.Join(p.Authors, ", ")}
			case rxCategory:
				texts = p.FeedCategories()
			}
			low := make([]string, len(texts))
			for j, s := range texts {
				low[j] = lowerText(s)
			}
			t.raw[f][i], t.lower[f][i] = texts, low
		}
	})
	return t.raw[f], t.lower[f]
}

// rxState is the regex side of an Index: texts and what each
// expression matched.
type rxState struct {
	texts rxTexts
	mu    sync.Mutex
	memos map[rxKey]*rxMemo
	runs  atomic.Int64 // expressions run over a text, for tests
}

type rxKey struct {
	pattern string
	field   rxField
}

// rxMemo remembers, per paper, whether one expression matched one field.
type rxMemo struct {
	m       *matcher
	mu      sync.Mutex
	checked bitset
	matched bitset
}

func (ix *Index) memo(pattern string, f rxField) (*rxMemo, error) {
	s := &ix.rx
	s.mu.Lock()
	defer s.mu.Unlock()
	k := rxKey{pattern, f}
	if me := s.memos[k]; me != nil {
		return me, nil
	}
	m, err := newMatcher(pattern)
	if err != nil {
		return nil, err
	}
	if s.memos == nil || len(s.memos) >= maxMemos {
		s.memos = map[rxKey]*rxMemo{}
	}
	me := &rxMemo{m: m, checked: newBitset(len(ix.papers)), matched: newBitset(len(ix.papers))}
	s.memos[k] = me
	return me, nil
}

// regexFilter keeps the candidates (positions in the index) that pass
// every regex rule of f. It refuses, with an *Error, work over
// maxRegexWork, and stops when ctx ends.
func (ix *Index) regexFilter(ctx context.Context, f *RSSHubFilters, cands []int) ([]int, error) {
	rules := f.rules()
	if len(rules) == 0 {
		return cands, nil
	}
	type job struct {
		memo *rxMemo
		todo []int // candidates not yet checked that pass the prefilter
	}
	jobs := map[rxKey]*job{}
	var order []rxKey
	work := 0
	for _, r := range rules {
		pattern := f.pattern(r.expr)
		for _, fld := range r.fields {
			k := rxKey{pattern, fld}
			if jobs[k] != nil {
				continue
			}
			me, err := ix.memo(pattern, fld)
			if err != nil {
				return nil, errf(r.param, r.expr, "not a valid regular expression (RE2 syntax): %v", unwrapRegexErr(err))
			}
			j := &job{memo: me}
			raw, lower := ix.regexTexts(fld)
			me.mu.Lock()
			for _, i := range cands {
				if me.checked.has(i) {
					continue
				}
				if !anyMayMatch(me.m, lower[i]) {
					me.checked.add(uint32(i)) // cannot match: settled without running
					continue
				}
				j.todo = append(j.todo, i)
				for _, s := range raw[i] {
					work += me.m.insts * len(s)
				}
			}
			me.mu.Unlock()
			if work > maxRegexWork {
				return nil, errf(r.param, r.expr, "this expression would read too much text: the %d papers the feed selects are too many for it "+
					"(work %d, limit %d, counted as program size × bytes read); narrow the feed first with q, category, days or source, "+
					"add a literal word every match must contain, or use q", len(cands), work, maxRegexWork)
			}
			jobs[k] = j
			order = append(order, k)
		}
	}
	runs := 0
	for _, k := range order {
		j := jobs[k]
		raw, _ := ix.regexTexts(k.field)
		results := make([]bool, len(j.todo))
		for n, i := range j.todo {
			if runs++; runs%8 == 0 && ctx.Err() != nil {
				return nil, fmt.Errorf("regex filter: %w", ctx.Err())
			}
			ix.rx.runs.Add(1)
			for _, s := range raw[i] {
				if j.memo.m.re.MatchString(s) {
					results[n] = true
					break
				}
			}
		}
		j.memo.mu.Lock()
		for n, i := range j.todo {
			j.memo.checked.add(uint32(i))
			if results[n] {
				j.memo.matched.add(uint32(i))
			}
		}
		j.memo.mu.Unlock()
	}
	out := cands[:0:0]
	for _, i := range cands {
		keep := true
		for _, r := range rules {
			pattern := f.pattern(r.expr)
			hit := false
			for _, fld := range r.fields {
				me := jobs[rxKey{pattern, fld}].memo
				me.mu.Lock()
				hit = me.matched.has(i)
				me.mu.Unlock()
				if hit {
					break
				}
			}
			if hit == r.out {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, i)
		}
	}
	return out, nil
}

func anyMayMatch(m *matcher, lower []string) bool {
	for _, s := range lower {
		if m.mayMatch(s) {
			return true
		}
	}
	return false
}
