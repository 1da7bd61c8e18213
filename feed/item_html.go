package feed

import (
	"encoding/xml"
	"html"
	"html/template"
	"strconv"
	"strings"
)

// itemHTML is the description a person reads in a feed reader. All
// values pass through html/template, so upstream text can never break
// out of its element or attribute.
var itemHTML = template.Must(template.New("item").Funcs(template.FuncMap{
	"authors": authorsLine,
	"paras":   paras,
}).Parse(strings.Join([]string{
	`{{if .Thumbnail}}<p><a href="{{.Link}}"><img src="{{.Thumbnail}}" alt="" style="max-width:100%"></a></p>{{end}}`,
	`<p>`,
	`{{if .OnHF}}<strong>▲ {{.Upvotes}}</strong> upvote{{if ne .Upvotes 1}}s{{end}} · {{.Comments}} comment{{if ne .Comments 1}}s{{end}}{{end}}`,
	`{{if .Org.Display}}{{if .OnHF}} · {{end}}<a href="{{.Org.URL}}">{{.Org.Display}}</a>{{end}}`,
	`{{if .Categories}}{{if or .OnHF .Org.Display}} · {{end}}{{range $i, $c := .Categories}}{{if $i}}, {{end}}{{$c}}{{end}}{{end}}`,
	`{{if .AnnounceType}} · arXiv {{.AnnounceType}}{{end}}`,
	`</p>`,
	`{{if .Authors}}<p><em>{{authors .Authors}}</em></p>{{end}}`,
	`{{if .AISummary}}<p><strong>TL;DR:</strong> {{.AISummary}}</p>{{end}}`,
	`{{range paras .Abstract}}<p>{{.}}</p>{{end}}`,
	`{{if .FromCards}}<p><small>Abstract not available: read from the listing cards.</small></p>{{end}}`,
	`<p>`,
	`{{if .OnHF}}<a href="{{.HFURL}}">Hugging Face</a> · {{end}}`,
	`<a href="{{.AbsURL}}">arXiv</a> · <a href="{{.PDFURL}}">PDF</a>`,
	`{{with .Code}} · <a href="{{.}}">Code</a>{{end}}{{if .GitHubStars}} ★ {{.GitHubStars}}{{end}}`,
	`{{with .ProjectPage}} · <a href="{{.}}">Project page</a>{{end}}`,
	`{{with .DOI}} · <a href="https://doi.org/{{.}}">DOI</a>{{end}}`,
	`</p>`,
	`{{with .JournalRef}}<p><small>{{.}}</small></p>{{end}}`,
	`{{if .AIKeywords}}<p><small>{{range $i, $k := .AIKeywords}}{{if $i}} · {{end}}{{$k}}{{end}}</small></p>{{end}}`,
}, "")))

// maxAuthorsShown bounds the author line: some papers have 500+ authors.
const maxAuthorsShown = 12

func authorsLine(a []string) string {
	if len(a) <= maxAuthorsShown {
		return strings.Join(a, ", ")
	}
	return strings.Join(a[:maxAuthorsShown-1], ", ") + ", … " + a[len(a)-1] + " (" + strconv.Itoa(len(a)) + " authors)"
}

func paras(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n\n")
}

// DescriptionXML is the item HTML of a paper escaped as XML text. Papers
// of a store view carry it rendered once (it is most of a feed's bytes);
// others render it here.
func DescriptionXML(p *Paper) string {
	if p.descXML != "" {
		return p.descXML
	}
	return escapeXML(Description(p))
}

func escapeXML(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// DescriptionHTML is the item HTML of a paper: the store view's escaped
// copy unescaped (the exact inverse, and much cheaper than rendering the
// template again), else rendered here.
func DescriptionHTML(p *Paper) string {
	if p.descXML != "" {
		return html.UnescapeString(p.descXML)
	}
	return Description(p)
}

// Description renders the item HTML for a paper.
func Description(p *Paper) string {
	var b strings.Builder
	b.Grow(1024 + len(p.Abstract))
	if err := itemHTML.Execute(&b, p); err != nil {
		// Only a template bug can fail here; show the abstract rather than nothing.
		return template.HTMLEscapeString(p.Abstract)
	}
	return b.String()
}
