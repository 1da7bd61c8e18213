package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes upstream text safe for every output format: invalid
// UTF-8 becomes U+FFFD, and characters XML 1.0 cannot carry (C0 controls
// other than tab and newline, lone surrogates, U+FFFE/U+FFFF) are dropped.
// Line breaks are kept.
func CleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			b.WriteByte('\n')
		case !xmlChar(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.ReplaceAll(b.String(), "\n\n\n", "\n\n")
}

// CleanLine is CleanText with every run of white space, line breaks
// included, folded into one space and the ends trimmed: for titles, names
// and other one-line fields.
func CleanLine(s string) string {
	s = CleanText(s)
	if !needsFold(s) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

func needsFold(s string) bool {
	prevSpace := true
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			return true
		}
		prevSpace = sp
	}
	return prevSpace && s != ""
}

func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !xmlChar(r) {
			return false
		}
		i += size
	}
	return true
}

func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r >= 0x80 && r <= 0x9f: // C1 controls: legal XML 1.0 but break readers
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= unicode.MaxRune
}

// Unwrap joins hard-wrapped lines of an abstract into paragraphs: a
// single line break becomes a space, a blank line stays a paragraph break.
func Unwrap(s string) string {
	s = strings.TrimSpace(CleanText(s))
	if s == "" {
		return ""
	}
	paras := strings.Split(s, "\n\n")
	out := paras[:0]
	for _, p := range paras {
		if p = CleanLine(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}
