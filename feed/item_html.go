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
	"authors":   authorsLine,
	"paras":     paras,
	"venue":     VenueLine,
	"revised":   RevisedLine,
	"artifacts": artifactGroups,
}).Parse(strings.Join([]string{
	`{{if and .Thumbs .Thumbnail}}<p><a href="{{.Link}}"><img src="{{.Thumbnail}}" alt="" style="max-width:100%"></a></p>{{end}}`,
	`<p>`,
	`{{if .OnHF}}<strong>▲ {{.Upvotes}}</strong> upvote{{if ne .Upvotes 1}}s{{end}} · {{.Comments}} comment{{if ne .Comments 1}}s{{end}}{{end}}`,
	`{{if .Org.Display}}{{if .OnHF}} · {{end}}<a href="{{.Org.URL}}">{{.Org.Display}}</a>{{end}}`,
	`{{if .Categories}}{{if or .OnHF .Org.Display}} · {{end}}{{range $i, $c := .Categories}}{{if $i}}, {{end}}{{$c}}{{end}}{{end}}`,
	`{{if .AnnounceType}} · arXiv {{.AnnounceType}}{{end}}`,
	`{{with revised .Paper}} · {{.}}{{end}}`,
	`</p>`,
	`{{with venue .Venue}}<p><strong>{{.}}</strong></p>{{end}}`,
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
	`{{with artifacts .Artifacts}}<p>Linked on Hugging Face: {{range $i, $g := .}}{{if $i}} · {{end}}{{$g.Label}}{{range $j, $l := $g.Links}}{{if $j}},{{else}}:{{end}} <a href="{{$l.URL}}">{{$l.Name}}</a>{{end}}{{if $g.More}} and {{$g.More}} more{{end}}{{end}}</p>{{end}}`,
	`{{with .JournalRef}}<p><small>{{.}}</small></p>{{end}}`,
	`{{with .ArxivComment}}<p><small>Comment: {{.}}</small></p>{{end}}`,
	`{{if .AIKeywords}}<p><small>{{range $i, $k := .AIKeywords}}{{if $i}} · {{end}}{{$k}}{{end}}</small></p>{{end}}`,
}, "")))

// VenueLine is the venue as an item's line says it: "Accepted at
// NeurIPS 2025 (Oral)", "Published in TMLR 2025", "Submitted to ICLR
// 2026".
func VenueLine(v Venue) string {
	switch v.Status {
	case VenueAccepted:
		return "Accepted at " + v.String()
	case VenuePublished:
		return "Published in " + v.String()
	case VenueSubmitted:
		return "Submitted to " + strings.TrimPrefix(v.String(), "submitted to ")
	}
	return ""
}

// RevisedLine is a later version as an item says it: "v3, revised 2 Dec
// 2026" ("" for a first version).
func RevisedLine(p *Paper) string {
	if p.Version <= 1 {
		return ""
	}
	s := "v" + strconv.Itoa(p.Version)
	if !p.Updated.IsZero() {
		s += ", revised " + p.Updated.UTC().Format("2 Jan 2006")
	}
	return s
}

// artifactGroup is one kind of linked artifact as an item lists it.
type artifactGroup struct {
	Label string // "2 models"
	Links []artifactLink
	More  int
}

type artifactLink struct{ Name, URL string }

// artifactGroups are the linked models, datasets and Spaces, the first
// few by name.
func artifactGroups(a Artifacts) []artifactGroup {
	var out []artifactGroup
	add := func(n int, one, many, path string, ids []string) {
		if n == 0 {
			return
		}
		g := artifactGroup{Label: strconv.Itoa(n) + " " + one}
		if n != 1 {
			g.Label = strconv.Itoa(n) + " " + many
		}
		for _, id := range ids {
			g.Links = append(g.Links, artifactLink{Name: id, URL: "https://huggingface.co/" + path + id})
		}
		if len(g.Links) > 0 {
			g.More = n - len(g.Links)
		}
		out = append(out, g)
	}
	add(a.Models, "model", "models", "", a.ModelIDs)
	add(a.Datasets, "dataset", "datasets", "datasets/", a.DatasetIDs)
	add(a.Spaces, "Space", "Spaces", "spaces/", a.SpaceIDs)
	return out
}

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

// DescriptionXML is the item HTML of a paper escaped as XML text, with
// its thumbnail or without (thumbs). A paper of a store view renders it
// the first time a feed needs it and keeps it (it is most of a feed's
// bytes; most papers of a large window are never shown); others render
// it here.
func DescriptionXML(p *Paper, thumbs bool) string {
	if c := p.frags; c != nil {
		slot := &c.desc[descSlot(thumbs)]
		if d := slot.Load(); d != nil {
			return *d
		}
		d := escapeXML(Description(p, thumbs))
		slot.Store(&d)
		return d
	}
	return escapeXML(Description(p, thumbs))
}

// descSlot is where a fragment cache keeps the description with or
// without its thumbnail.
func descSlot(thumbs bool) int {
	if thumbs {
		return 0
	}
	return 1
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
func DescriptionHTML(p *Paper, thumbs bool) string {
	if p.frags != nil {
		return html.UnescapeString(DescriptionXML(p, thumbs))
	}
	return Description(p, thumbs)
}

// descData is what the item template reads: the paper, and whether its
// thumbnail is shown.
type descData struct {
	*Paper
	Thumbs bool
}

// Description renders the item HTML for a paper; thumbs shows its
// thumbnail (an image from Hugging Face's servers), when it has one.
func Description(p *Paper, thumbs bool) string {
	var b strings.Builder
	b.Grow(1024 + len(p.Abstract))
	if err := itemHTML.Execute(&b, descData{Paper: p, Thumbs: thumbs}); err != nil {
		// Only a template bug can fail here; show the abstract rather than nothing.
		return template.HTMLEscapeString(p.Abstract)
	}
	return b.String()
}
