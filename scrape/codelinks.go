package scrape

import (
	"strings"
)

// codeHosts are the places a paper's code is published, with the number
// of path segments that name a repository there.
var codeHosts = []struct {
	host     string
	segments int
}{
	{"github.com/", 2},
	{"gitlab.com/", 2},
	{"codeberg.org/", 2},
	{"bitbucket.org/", 2},
	{"huggingface.co/spaces/", 2},
	{"gitee.com/", 2},
	{"git.sr.ht/", 2},
	{"sourceforge.net/projects/", 1},
}

// FindCodeURL returns the first code repository link in text (an
// abstract or an arXiv comment), normalised to https and stripped of
// trailing punctuation, or "" when there is none. A link to a host
// without a repository path (github.com/owner alone) does not count.
func FindCodeURL(text string) string {
	lower := strings.ToLower(text)
	best, bestAt := "", len(text)
	for _, h := range codeHosts {
		from := 0
		for from < bestAt {
			i := strings.Index(lower[from:], h.host)
			if i < 0 {
				break
			}
			at := from + i
			from = at + len(h.host)
			// The host must start a word (or follow "//" or "www.").
			if at > 0 && !hostBoundary(lower[:at]) {
				continue
			}
			end := from
			for end < len(text) && urlChar(text[end]) {
				end++
			}
			if u := repoURL(strings.TrimSuffix(h.host, "/"), text[from:end], h.segments); u != "" && at < bestAt {
				best, bestAt = u, at
				break
			}
		}
	}
	return best
}

func hostBoundary(before string) bool {
	before = strings.TrimSuffix(before, "www.")
	if before == "" {
		return true
	}
	c := before[len(before)-1]
	return c == '/' || c == ' ' || c == '\n' || c == '\t' || c == '(' || c == '[' || c == '{' || c == '<' || c == '"' || c == '\'' || c == ':' || c == ','
}

func urlChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`<>"'{}|\^`+"`", rune(c))
}

// repoURL keeps the repository part of a path after a code host.
func repoURL(host, path string, segments int) string {
	path = strings.TrimRight(path, ".,;:!?)]}*")
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	if len(segs) < segments {
		return ""
	}
	segs = segs[:segments]
	segs[segments-1] = strings.TrimSuffix(segs[segments-1], ".git")
	for _, s := range segs {
		if s == "" || strings.Trim(s, ".") == "" {
			return ""
		}
	}
	return "https://" + host + "/" + strings.Join(segs, "/")
}
