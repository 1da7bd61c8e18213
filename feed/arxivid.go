package feed

import (
	"regexp"
	"strconv"
	"strings"
)

// New-style identifiers (since 2007): YYMM.NNNN or YYMM.NNNNN, optional vN.
// Old-style: archive(.subject)/YYMMNNN, optional vN.
var (
	newStyleID = regexp.MustCompile(`^(\d{4}\.\d{4,5})(?:v(\d+))?$`)
	oldStyleID = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$`)
)

// ParseArxivID reduces any common spelling of an arXiv identifier (bare,
// "arXiv:" prefixed, "oai:arXiv.org:" prefixed, or an abs/pdf URL, with or
// without a version suffix) to its version-free form and version number.
// Version is 0 when the input names none. ok is false when s is not an
// arXiv identifier.
func ParseArxivID(s string) (id string, version int, ok bool) {
	s = strings.TrimSpace(s)
	for _, p := range []string{"https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, p := range []string{"www.arxiv.org/", "export.arxiv.org/", "arxiv.org/"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, p := range []string{"abs/", "pdf/", "oai:arXiv.org:", "arXiv:", "arxiv:"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimSuffix(s, ".pdf")
	m := newStyleID.FindStringSubmatch(s)
	if m == nil {
		m = oldStyleID.FindStringSubmatch(s)
	}
	if m == nil {
		return "", 0, false
	}
	if dot := strings.IndexByte(m[1], '.'); dot == 4 && !strings.Contains(m[1], "/") {
		// From 1501 on, the sequence number has five digits; before, four.
		if (m[1][:4] >= "1501") != (len(m[1])-dot-1 == 5) {
			return "", 0, false
		}
	}
	if m[2] != "" {
		v, err := strconv.Atoi(m[2])
		if err != nil || v <= 0 {
			return "", 0, false
		}
		version = v
	}
	return m[1], version, true
}

// GUID is the permanent identifier of a paper's feed item. It depends on
// the version-free ID only, never on the source, day or configuration.
func GUID(id string) string { return "https://arxiv.org/abs/" + id }

// VersionGUID identifies the item of one version of a paper (an event
// feed of new versions): arXiv's address of that version.
func VersionGUID(id string, version int) string { return GUID(id) + "v" + strconv.Itoa(version) }
