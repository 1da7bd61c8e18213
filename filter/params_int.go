package filter

import (
	"strconv"
)

// intParam is a parameter that takes a whole number: its bounds, the
// value its canonical form leaves out (its default), what its error
// says, and the field it sets.
type intParam struct {
	min, max, omit int
	reason         string
	field          func(q *Query) *int
}

// entry is the parameter's entry in the table; words, when not empty,
// formats its value in the title ("%d+ upvotes") when it is above 0.
func (p intParam) entry(name, words string) Param {
	e := Param{Name: name, Set: func(q *Query, key, val string, _ Options) error { return p.set(q, key, val) }}
	if words != "" {
		e.Words = func(q *Query) []string { return countWords(*p.field(q), words) }
	}
	return e
}

// reading gives an entry what it reads.
func (e Param) reading(r func(q *Query) Reads) Param {
	e.Reads = r
	return e
}

// set sets a whole-number parameter, written in the canonical form
// unless it is the default.
func (p intParam) set(q *Query, key, val string) error {
	n, err := strconv.Atoi(val)
	if err != nil || n < p.min || n > p.max {
		return errf(key, val, "%s", p.reason)
	}
	*p.field(q) = n
	if n != p.omit {
		q.raw.Set(key, strconv.Itoa(n))
	}
	return nil
}
