package filter

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"paperfeed/feed"
)

// Index holds papers with their text folded and an inverted index of
// their words, so a keyword query looks words up instead of scanning
// text. Build one per store view and share it: it is read-only after
// NewIndex.
type Index struct {
	papers []*feed.Paper
	docs   []doc
	fields [numFields]fieldIndex
	rx     rxState        // regex filters' texts and results, made on demand
	hist   [][]feed.Point // recorded counts by position (see rising.go)
	sim    simState       // similarity vectors, made on demand (similar.go)
	// abstracts are the folded abstracts, made on demand: only a phrase
	// searched in abstracts reads them (its words narrow the papers
	// first), and they are the largest text an index would hold.
	abstracts struct {
		once sync.Once
		text []string
	}
}

// Searchable fields, as named by the in parameter.
const (
	fTitle = iota
	fAbstract
	fKeywords
	fAuthors
	numFields
)

var fieldByName = map[string]int{"title": fTitle, "abstract": fAbstract, "keywords": fKeywords, "authors": fAuthors}

// fieldIndex is one field's inverted index, flattened: the papers of
// vocab[i] are post[offs[i]:offs[i+1]], ascending. Flat slices instead of
// a map of slices keep the garbage collector's work small.
type fieldIndex struct {
	vocab []string // sorted
	offs  []uint32
	post  []uint32
}

// lookup returns the papers having word w.
func (fi *fieldIndex) lookup(w string) []uint32 {
	i, ok := slices.BinarySearch(fi.vocab, w)
	if !ok {
		return nil
	}
	return fi.post[fi.offs[i]:fi.offs[i+1]]
}

type doc struct {
	text       [numFields]string // folded, space-padded; fAbstract's is not kept (see Index.text)
	authors    []string          // folded, each author
	org        string            // folded name and full name
	categories []string          // lower case
	day        int64             // Paper.Day() as Unix seconds
	onHF       bool              // the paper's sources, read here rather than
	onArxiv    bool              // through its pointer in the hot loop
}

// NewIndex folds the papers' searchable text and indexes its words. The
// order of papers is kept.
func NewIndex(papers []*feed.Paper) *Index {
	ix := &Index{papers: papers, docs: make([]doc, len(papers))}
	var postings [numFields]map[string][]uint32
	for f := range postings {
		postings[f] = map[string][]uint32{}
	}
	for i, p := range papers {
		d := &ix.docs[i]
		d.text[fTitle] = fold(p.Title)
		d.text[fKeywords] = fold(strings.Join(p.AIKeywords, " , "))
		d.authors = make([]string, len(p.Authors))
		for j, a := range p.Authors {
			d.authors[j] = fold(a)
		}
		d.text[fAuthors] = " " + strings.Join(d.authors, " ") + " "
		d.org = fold(p.Org.Name + " , " + p.Org.FullName)
		d.day = p.Day().Unix()
		d.onHF, d.onArxiv = p.OnHF, p.OnArxiv
		d.categories = make([]string, len(p.Categories))
		for j, c := range p.Categories {
			d.categories[j] = strings.ToLower(c)
		}
		for f := range numFields {
			text := d.text[f]
			if f == fAbstract {
				text = foldAbstract(p) // indexed, then let go
			}
			post := postings[f]
			for w := range strings.FieldsSeq(text) {
				l, seen := post[w]
				if !seen {
					w = strings.Clone(w) // not a window on the whole text
				}
				if n := len(l); n == 0 || l[n-1] != uint32(i) {
					post[w] = append(l, uint32(i))
				}
			}
		}
	}
	for f := range ix.fields {
		fi := &ix.fields[f]
		fi.vocab = make([]string, 0, len(postings[f]))
		n := 0
		for w, l := range postings[f] {
			fi.vocab = append(fi.vocab, w)
			n += len(l)
		}
		slices.Sort(fi.vocab)
		fi.offs = make([]uint32, 0, len(fi.vocab)+1)
		fi.post = make([]uint32, 0, n)
		for _, w := range fi.vocab {
			fi.offs = append(fi.offs, uint32(len(fi.post)))
			fi.post = append(fi.post, postings[f][w]...)
		}
		fi.offs = append(fi.offs, uint32(len(fi.post)))
	}
	return ix
}

// foldAbstract is the text searched as a paper's abstract: its abstract
// and AI summary, folded.
func foldAbstract(p *feed.Paper) string { return fold(p.Abstract + "\n\n" + p.AISummary) }

// text is paper i's folded text of field f.
func (ix *Index) text(i, f int) string {
	if f != fAbstract {
		return ix.docs[i].text[f]
	}
	a := &ix.abstracts
	a.once.Do(func() {
		a.text = make([]string, len(ix.papers))
		for j, p := range ix.papers {
			a.text[j] = foldAbstract(p)
		}
	})
	return a.text[i]
}

// Mask is a part of an index's papers, for a query to keep to (Within):
// a listing whose papers the index holds among others, without an index
// of its own.
type Mask struct {
	ix  *Index
	set bitset
}

// Mask is the part of the index's papers that keep accepts.
func (ix *Index) Mask(keep func(p *feed.Paper) bool) *Mask {
	m := &Mask{ix: ix, set: newBitset(len(ix.papers))}
	for i, p := range ix.papers {
		if keep(p) {
			m.set.add(uint32(i))
		}
	}
	return m
}

// Within is the query kept to the papers of a mask, on the mask's index.
func (q Query) Within(m *Mask) Query {
	q.within = m
	return q
}

// bitset is a set of paper positions.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) add(i uint32)   { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}
func (b bitset) addAll(l []uint32) {
	for _, i := range l {
		b.add(i)
	}
}
func (b bitset) fill(n int) bitset {
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = (1 << r) - 1
	}
	return b
}

// wordSet is the set of papers having word w (or, for a prefix, a word
// starting with w) in one of the fields.
func (ix *Index) wordSet(w string, prefix bool, fields []int) bitset {
	set := newBitset(len(ix.papers))
	for _, f := range fields {
		fi := &ix.fields[f]
		if !prefix {
			set.addAll(fi.lookup(w))
			continue
		}
		start, _ := slices.BinarySearch(fi.vocab, w)
		for i := start; i < len(fi.vocab) && strings.HasPrefix(fi.vocab[i], w); i++ {
			set.addAll(fi.post[fi.offs[i]:fi.offs[i+1]])
		}
	}
	return set
}

// termSet is the set of papers matching a term in one of the fields.
// Phrases are narrowed by their words, then checked in the text.
func (ix *Index) termSet(t term, fields []int) bitset {
	var set bitset
	for i, w := range t.words {
		s := ix.wordSet(w, t.prefix && i == len(t.words)-1, fields)
		if set == nil {
			set = s
		} else {
			set.and(s)
		}
	}
	if len(t.words) == 1 {
		return set
	}
	for wi, w := range set {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			w &^= 1 << b
			i := wi*64 + b
			ok := false
			for _, f := range fields {
				if t.match(ix.text(i, f)) {
					ok = true
					break
				}
			}
			if !ok {
				set[wi] &^= 1 << b
			}
		}
	}
	return set
}

// keywordSet evaluates a keyword query over the index.
func (ix *Index) keywordSet(k Keywords, fields []int) bitset {
	set := newBitset(len(ix.papers)).fill(len(ix.papers))
	for _, g := range k.Clauses {
		any := newBitset(len(ix.papers))
		for _, t := range g {
			any.or(ix.termSet(t, fields))
		}
		set.and(any)
	}
	for _, t := range k.Excluded {
		set.andNot(ix.termSet(t, fields))
	}
	return set
}

// oldestDay is the oldest listing day of the papers (Unix seconds), or
// the smallest value when there are none.
func (ix *Index) oldestDay() int64 {
	if len(ix.docs) == 0 {
		return math.MinInt64
	}
	d := ix.docs[0].day
	for i := range ix.docs {
		d = min(d, ix.docs[i].day)
	}
	return d
}

// ints reuses the position lists of queries: one per query, as long as
// the index, garbage right after.
var ints sync.Pool

func getInts(n int) []int {
	if p, ok := ints.Get().(*[]int); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]int, 0, n)
}

func putInts(s []int) {
	if cap(s) >= 1024 {
		s = s[:0]
		ints.Put(&s)
	}
}
