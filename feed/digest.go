package feed

import (
	"html"
	"strings"
	"unicode/utf8"
)

// DigestEntry is one paper of a digest, with its gain when the feed
// reads gains.
type DigestEntry struct {
	Paper           *Paper
	Gain, GainHours int
}

// DigestHTML is the compact list of a digest item: per paper its title
// linked, upvotes (and gain), code link and stars, organization, and a
// one-line TL;DR (the AI summary, else the abstract's first sentence);
// then a line saying where the period's papers came from.
func DigestHTML(entries []DigestEntry, from string) string {
	var b strings.Builder
	b.WriteString("<ol>")
	for _, e := range entries {
		p := e.Paper
		b.WriteString(`<li><a href="` + html.EscapeString(p.Link()) + `"><strong>` + html.EscapeString(p.Title) + `</strong></a>`)
		var meta []string
		if p.OnHF {
			up := "▲ " + itoa(p.Upvotes)
			if e.GainHours > 0 {
				up += ", " + GainWords(p.Upvotes, e.Gain, e.GainHours)
			}
			meta = append(meta, up)
		}
		if c := p.Code(); c != "" {
			code := `<a href="` + html.EscapeString(c) + `">code</a>`
			if p.GitHubStars > 0 {
				code += " ★ " + itoa(p.GitHubStars)
			}
			meta = append(meta, code)
		}
		if o := p.Org.Display(); o != "" {
			meta = append(meta, html.EscapeString(o))
		}
		if len(meta) > 0 {
			b.WriteString(" · " + strings.Join(meta, " · "))
		}
		if tldr := oneLine(p); tldr != "" {
			b.WriteString("<br><small>" + html.EscapeString(tldr) + "</small>")
		}
		b.WriteString("</li>")
	}
	b.WriteString("</ol>")
	if from != "" {
		b.WriteString("<p><small>" + html.EscapeString(from) + "</small></p>")
	}
	return b.String()
}

// oneLine is a paper's AI summary, else its abstract's first sentence.
func oneLine(p *Paper) string {
	if p.AISummary != "" {
		return p.AISummary
	}
	a := p.Abstract
	for i := 0; i+1 < len(a); i++ {
		if a[i] == '.' && a[i+1] == ' ' && i > 20 {
			return a[:i+1]
		}
	}
	if len(a) > 300 {
		n := 300
		for n > 0 && !utf8.RuneStart(a[n]) {
			n--
		}
		return a[:n] + "…"
	}
	return a
}
