package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold lowercases s, strips accents and turns every run of characters
// that are not letters or digits into one space. The result is padded
// with a space on both ends, so a whole word w matches as " w ".
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	space := true
	ascii := isASCII(s)
	if !ascii {
		s = norm.NFD.String(s)
	}
	for i := 0; i < len(s); {
		var r rune
		if c := s[i]; c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
			if unicode.Is(unicode.Mn, r) {
				continue // combining accent
			}
		}
		switch {
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			b.WriteRune(r)
			space = false
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
			space = false
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(foldRune(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// foldRune maps letters without a decomposition to their base letter.
func foldRune(r rune) rune {
	switch r {
	case 'ß':
		return 's'
	case 'ø', 'Ø':
		return 'o'
	case 'ł', 'Ł':
		return 'l'
	case 'đ', 'Đ':
		return 'd'
	case 'ı':
		return 'i'
	}
	return unicode.ToLower(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldWords folds s and returns its words.
func foldWords(s string) []string { return strings.Fields(fold(s)) }
