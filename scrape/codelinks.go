package scrape

import (
	"regexp"
	"strings"
)

// codeHosts are the places a paper's code is published, with the number
// of path segments that name a repository there.
var codeHosts = []struct {
	host     string
	segments int
}{
	{"github.com", 2},
	{"gitlab.com", 2},
	{"codeberg.org", 2},
	{"bitbucket.org", 2},
	{"huggingface.co/spaces", 2},
	{"gitee.com", 2},
	{"git.sr.ht", 2},
	{"sourceforge.net/projects", 1},
}

var codeURLRe = regexp.MustCompile(`(?i)(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|codeberg\.org|bitbucket\.org|huggingface\.co/spaces|gitee\.com|git\.sr\.ht|sourceforge\.net/projects)/[^\s<>"'{}|\\^` + "`" + `]+`)

// FindCodeURL returns the first code repository link in text (an
// abstract or an arXiv comment), normalised to https and stripped of
// trailing punctuation, or "" when there is none. A link to a host
// without a repository path (github.com/owner alone) does not count.
func FindCodeURL(text string) string {
	for _, m := range codeURLRe.FindAllStringSubmatchIndex(text, -1) {
		raw := text[m[0]:m[1]]
		host := strings.ToLower(text[m[2]:m[3]])
		if u := normaliseCodeURL(raw, host); u != "" {
			return u
		}
	}
	return ""
}

func normaliseCodeURL(raw, host string) string {
	// Cut at the host so scheme and www are dropped, then trim what a
	// sentence puts after a link.
	i := strings.Index(strings.ToLower(raw), host)
	path := raw[i+len(host):]
	path = strings.TrimRight(path, ".,;:!?)]}*'\"")
	for strings.Count(path, "(") < strings.Count(path, ")") && strings.HasSuffix(path, ")") {
		path = strings.TrimSuffix(path, ")")
	}
	segs := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	want := 0
	for _, h := range codeHosts {
		if h.host == host {
			want = h.segments
		}
	}
	if len(segs) < want {
		return ""
	}
	segs = segs[:want]
	last := strings.TrimSuffix(segs[want-1], ".git")
	if last == "" || strings.ContainsAny(last, "?#") {
		last = strings.SplitN(strings.SplitN(last, "?", 2)[0], "#", 2)[0]
	}
	if last == "" {
		return ""
	}
	segs[want-1] = last
	return "https://" + host + "/" + strings.Join(segs, "/")
}
