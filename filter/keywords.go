package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Keywords is a parsed q parameter: all clauses must match, and none of
// the excluded terms may.
type Keywords struct {
	Clauses  [][]term // AND of ORs
	Excluded []term
}

// term is one word, phrase or prefix, folded.
type term struct {
	words  []string
	phrase bool // written in quotes
	prefix bool // last word ends with *
	// pattern is what must occur in folded text (" w1 w2 " or " pre").
	pattern string
}

func newTerm(raw string, phrase, prefix bool) (term, bool) {
	w := foldWords(raw)
	if len(w) == 0 {
		return term{}, false
	}
	t := term{words: w, phrase: phrase || len(w) > 1, prefix: prefix}
	t.pattern = " " + strings.Join(w, " ")
	if !prefix {
		t.pattern += " "
	}
	return t, true
}

func (t term) String() string {
	s := strings.Join(t.words, " ")
	if t.prefix {
		s += "*"
	}
	if t.phrase {
		return `"` + s + `"`
	}
	return s
}

func (t term) match(text string) bool { return strings.Contains(text, t.pattern) }

const (
	maxQLen   = 500
	maxQTerms = 32
)

// parseKeywords parses the q language: words (all must match),
// "exact phrases", -excluded words and -"phrases", OR between terms, and
// prefix* terms.
func parseKeywords(q string) (Keywords, error) {
	var k Keywords
	if utf8.RuneCountInString(q) > maxQLen {
		return k, fmt.Errorf("must be at most %d characters", maxQLen)
	}
	toks, err := lexKeywords(q)
	if err != nil {
		return k, err
	}
	if len(toks) > maxQTerms*2 {
		return k, fmt.Errorf("at most %d terms are allowed", maxQTerms)
	}
	var group []term
	wantTerm := false // after OR
	for i, tok := range toks {
		if tok.or {
			if len(group) == 0 || wantTerm {
				return k, fmt.Errorf("OR must stand between two terms")
			}
			wantTerm = true
			continue
		}
		if tok.neg {
			if wantTerm || (i+1 < len(toks) && toks[i+1].or) {
				return k, fmt.Errorf("an excluded term (-%s) cannot be part of OR", tok.t)
			}
			k.Excluded = append(k.Excluded, tok.t)
			continue
		}
		if wantTerm {
			group = append(group, tok.t)
			wantTerm = false
			continue
		}
		if len(group) > 0 {
			k.Clauses = append(k.Clauses, group)
		}
		group = []term{tok.t}
	}
	if wantTerm {
		return k, fmt.Errorf("OR must stand between two terms")
	}
	if len(group) > 0 {
		k.Clauses = append(k.Clauses, group)
	}
	if len(k.Clauses)+len(k.Excluded) > maxQTerms {
		return k, fmt.Errorf("at most %d terms are allowed", maxQTerms)
	}
	return k, nil
}

type kwToken struct {
	t   term
	neg bool
	or  bool
}

func lexKeywords(q string) ([]kwToken, error) {
	var out []kwToken
	for i := 0; i < len(q); {
		c := q[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '+' {
			i++
			continue
		}
		neg := false
		if c == '-' && i+1 < len(q) && q[i+1] != ' ' {
			neg = true
			i++
			c = q[i]
		}
		var raw string
		phrase := false
		if c == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", q[i:])
			}
			raw, phrase = q[i+1:i+1+end], true
			i += end + 2
		} else {
			end := strings.IndexAny(q[i:], " \t\n\r+\"")
			if end < 0 {
				end = len(q) - i
			}
			raw = q[i : i+end]
			i += end
		}
		if !neg && !phrase && raw == "OR" {
			out = append(out, kwToken{or: true})
			continue
		}
		prefix := strings.HasSuffix(raw, "*")
		raw = strings.TrimRight(raw, "*")
		if strings.Contains(raw, "*") {
			return nil, fmt.Errorf("* is only allowed at the end of a word, as in diffus*: %q", raw+"*")
		}
		t, ok := newTerm(raw, phrase, prefix)
		if !ok {
			if phrase && strings.TrimSpace(raw) == "" {
				return nil, fmt.Errorf("empty phrase \"\"")
			}
			return nil, fmt.Errorf("%q has no letters or digits to search for", raw)
		}
		out = append(out, kwToken{t: t, neg: neg})
	}
	return out, nil
}

// String is the canonical form: folded terms, clauses in order.
func (k Keywords) String() string {
	var parts []string
	for _, g := range k.Clauses {
		s := make([]string, len(g))
		for i, t := range g {
			s[i] = t.String()
		}
		parts = append(parts, strings.Join(s, " OR "))
	}
	for _, t := range k.Excluded {
		parts = append(parts, "-"+t.String())
	}
	return strings.Join(parts, " ")
}

// Empty reports whether there is nothing to match.
func (k Keywords) Empty() bool { return len(k.Clauses) == 0 && len(k.Excluded) == 0 }
