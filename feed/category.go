package feed

import (
	"regexp"
	"slices"
	"strings"
)

var (
	// categoryWritten is a category as a reader or an operator writes it,
	// in any case: archive, or archive.subject.
	categoryWritten = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)?))?$`)
	// categoryShape is a category as arXiv's own data spells it.
	categoryShape = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?$`)
)

// ParseCategory reads a category written in any case ("CS.cl", "stat",
// "physics.optics") and returns arXiv's spelling of it: the archive in
// lower case, a two-letter subject in upper case (cs.CL, stat.ML), a
// longer one in lower case (cond-mat.mes-hall). It must be in the
// Taxonomy: a whole archive, or one of its subjects. Feed filters and
// the followed categories share this rule (CategoryHint says what exists
// instead).
func ParseCategory(s string) (string, bool) {
	m := categoryWritten.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return "", false
	}
	subjects, ok := Taxonomy[m[1]]
	if !ok {
		return "", false
	}
	if m[2] == "" {
		return m[1], true
	}
	subject := m[2]
	if len(subject) <= 2 {
		subject = strings.ToUpper(subject)
	}
	if !slices.Contains(subjects, subject) {
		return "", false
	}
	return m[1] + "." + subject, true
}

// LooksLikeCategory reports whether upstream data names a category in
// arXiv's spelling. It does not check the archive, so a new archive in
// arXiv's data is kept.
func LooksLikeCategory(s string) bool { return categoryShape.MatchString(s) }
