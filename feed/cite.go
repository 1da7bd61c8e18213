package feed

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Citations: what reference managers import whole. A paper is cited as
// arXiv exports it (BibTeX @misc with eprint, archivePrefix and
// primaryClass), with its DOI and the venue it was accepted at when
// known; RIS as a preprint (TY PREP), a conference paper (CONF) or a
// journal article (JOUR) by its venue. Authors are each their own
// field, written "Last, First".

// CitePath is the service path of a paper's one-paper page; add ".bib"
// or ".ris" for its citation.
func CitePath(id string) string { return "/papers/" + id }

// CiteKey is a BibTeX key: the first author's surname, the year and the
// title's first significant word, in ASCII ("vaswani2017attention").
func CiteKey(p *Paper) string {
	var b strings.Builder
	if len(p.Authors) > 0 {
		last, _ := splitName(p.Authors[0])
		b.WriteString(asciiWord(last))
	}
	if y := p.Year(); y > 0 {
		b.WriteString(strconv.Itoa(y))
	}
	for _, w := range strings.Fields(p.Title) {
		if w = asciiWord(w); len(w) > 3 && !stopWord[w] {
			b.WriteString(w)
			break
		}
	}
	if b.Len() == 0 || !unicode.IsLetter(rune(b.String()[0])) {
		return "arxiv" + strings.NewReplacer(".", "_", "/", "_").Replace(p.ID)
	}
	return b.String()
}

var stopWord = map[string]bool{"with": true, "from": true, "that": true, "this": true, "towards": true, "toward": true, "when": true, "what": true, "your": true, "into": true, "over": true}

// asciiWord folds a word to lower-case ASCII letters and digits.
func asciiWord(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		}
	}
	return b.String()
}

// Year is the year the paper was first posted (else listed).
func (p *Paper) Year() int {
	switch {
	case !p.Published.IsZero():
		return p.Published.UTC().Year()
	case !p.Announced.IsZero():
		return p.Announced.Year()
	case !p.ListedOn.IsZero():
		return p.ListedOn.Year()
	}
	return 0
}

// splitName splits "First Middle Last" into "Last" and "First Middle";
// a name already written "Last, First" is kept as written, and a
// lowercase particle (van, de, von, ...) stays with the surname.
func splitName(name string) (last, first string) {
	name = strings.TrimSpace(name)
	if l, f, ok := strings.Cut(name, ","); ok {
		return strings.TrimSpace(l), strings.TrimSpace(f)
	}
	w := strings.Fields(name)
	if len(w) <= 1 {
		return name, ""
	}
	i := len(w) - 1
	for i > 1 && isParticle(w[i-1]) {
		i--
	}
	return strings.Join(w[i:], " "), strings.Join(w[:i], " ")
}

func isParticle(w string) bool {
	switch w {
	case "van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "le", "la", "dos", "das", "ter", "ten", "bin", "al":
		return true
	}
	return false
}

// bibEscape writes text for a BibTeX field: one line, TeX's special
// characters escaped, and no brace of the text left a brace. BibTeX
// counts every brace in a braced field, escaped or not (\} closes it
// like }), so a brace of the text is written \textbraceleft{} or
// \textbraceright{}: the only braces are the empty pairs the commands
// end with.
func bibEscape(s string) string {
	s = CleanLine(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\textbackslash{}`)
		case '{':
			b.WriteString(`\textbraceleft{}`)
		case '}':
			b.WriteString(`\textbraceright{}`)
		case '&', '%', '$', '#', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '~':
			b.WriteString(`\textasciitilde{}`)
		case '^':
			b.WriteString(`\textasciicircum{}`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bibNamePart is one part of a name written "Last, First": braced when
// it holds a comma, which would split the name once more.
func bibNamePart(s string) string {
	if strings.Contains(s, ",") {
		return "{" + bibEscape(s) + "}"
	}
	return bibEscape(s)
}

// BibTeXOf is the paper's BibTeX entry.
func BibTeXOf(p *Paper) string { return bibTeXEntry(p, CiteKey(p)) }

// bibTeXEntry is the paper's entry under key.
func bibTeXEntry(p *Paper, key string) string {
	var b strings.Builder
	b.WriteString("@misc{" + key + ",\n")
	field := func(name, value string) {
		if value != "" {
			b.WriteString("  " + name + strings.Repeat(" ", max(1, 14-len(name))) + "= {" + value + "},\n")
		}
	}
	field("title", bibEscape(p.Title))
	authors := make([]string, 0, len(p.Authors))
	for _, a := range p.Authors {
		last, first := splitName(a)
		switch {
		case strings.Contains(strings.ToLower(" "+CleanLine(a)+" "), " and "):
			// "and" separates authors in BibTeX: a name holding the word
			// (an organisation) is kept whole.
			authors = append(authors, "{"+bibEscape(a)+"}")
		case first != "" && last != "":
			authors = append(authors, bibNamePart(last)+", "+bibNamePart(first))
		case last+first != "":
			authors = append(authors, "{"+bibEscape(last+first)+"}") // one name: kept whole
		}
	}
	field("author", strings.Join(authors, " and "))
	if y := p.Year(); y > 0 {
		field("year", strconv.Itoa(y))
	}
	field("eprint", p.ID)
	field("archivePrefix", "arXiv")
	if len(p.Categories) > 0 {
		field("primaryClass", bibEscape(p.Categories[0]))
	}
	field("doi", bibEscape(p.DOI))
	field("url", p.AbsURL())
	note := ""
	if v := p.Venue; v.Key != "" {
		note = strings.ToUpper(v.String()[:1]) + v.String()[1:]
		if v.Status == VenueAccepted {
			note = "Accepted at " + v.String()
		}
	}
	if p.Version > 1 {
		if note != "" {
			note += "; "
		}
		note += "v" + strconv.Itoa(p.Version)
	}
	field("note", bibEscape(note))
	if p.JournalRef != "" {
		field("howpublished", bibEscape(p.JournalRef))
	}
	b.WriteString("}\n")
	return b.String()
}

// RIS is the paper's RIS record (lines end CRLF, as the format asks).
func RIS(p *Paper) string {
	var b strings.Builder
	tag := func(t, v string) {
		if v = CleanLine(v); v != "" {
			b.WriteString(t + "  - " + v + "\r\n")
		}
	}
	typ := "PREP"
	if v := p.Venue; v.Accepted() {
		typ = "CONF"
		if v.Journal() {
			typ = "JOUR"
		}
	}
	tag("TY", typ)
	tag("TI", p.Title)
	for _, a := range p.Authors {
		last, first := splitName(a)
		if first != "" {
			tag("AU", last+", "+first)
		} else {
			tag("AU", last)
		}
	}
	if y := p.Year(); y > 0 {
		tag("PY", strconv.Itoa(y))
	}
	if !p.Published.IsZero() {
		tag("DA", p.Published.UTC().Format("2006/01/02"))
	}
	if v := p.Venue; v.Accepted() {
		tag("T2", v.Name)
	}
	tag("AB", p.Abstract)
	tag("UR", p.AbsURL())
	tag("DO", p.DOI)
	tag("AN", "arXiv:"+p.ID)
	tag("DB", "arXiv")
	if p.JournalRef != "" {
		tag("N1", p.JournalRef)
	}
	for _, c := range p.Categories {
		tag("KW", c)
	}
	b.WriteString("ER  - \r\n")
	return b.String()
}
