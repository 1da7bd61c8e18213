package feed

import "strings"

// Public addresses a paper is linked to. They are fixed, whatever
// upstream base URL the service fetches from, so items keep their links.
const (
	hfBase    = "https://huggingface.co"
	arxivBase = "https://arxiv.org"
)

// HFURL is the paper's Hugging Face page.
func (p *Paper) HFURL() string { return hfBase + "/papers/" + p.ID }

// AbsURL is the paper's arXiv abstract page (latest version).
func (p *Paper) AbsURL() string { return arxivBase + "/abs/" + p.ID }

// PDFURL is the paper's arXiv PDF (latest version).
func (p *Paper) PDFURL() string { return arxivBase + "/pdf/" + p.ID }

// Link is where a feed item points: the HF page for papers HF listed,
// else the arXiv abstract.
func (p *Paper) Link() string {
	if p.OnHF {
		return p.HFURL()
	}
	return p.AbsURL()
}

// Display is the organization's display name, else its handle.
func (o Org) Display() string {
	if o.FullName != "" {
		return o.FullName
	}
	return o.Name
}

// URL is the organization's Hugging Face page, or "".
func (o Org) URL() string {
	if o.Name == "" {
		return ""
	}
	return hfBase + "/" + o.Name
}

// RedactURL is a URL as it may be shown (logs, /status, errors): any
// user and password in its authority replaced by "…". Operators put
// credentials in upstream and Redis URLs, and a password may itself hold
// "/", ":" or "@", so everything up to the last "@" before the query is
// taken for credentials: a URL is never shown with a secret, at worst
// with less of its path.
func RedactURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		return raw[:i+3] + "…@" + rest[at+1:]
	}
	return raw
}
