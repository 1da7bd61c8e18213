// Package pagekit holds what the server's HTML pages and the personal
// feeds' pages (package personalweb) share: the links to a page's feeds,
// its meta tags, the path of the public base URL.
package pagekit

import (
	"html/template"
	"net/url"
	"strings"

	"paperfeed/feed"
)

// FeedLink is a link to a feed in one format.
type FeedLink struct {
	Label, Type, URL string
	Format           feed.Format
	Href             string // where Open leads when not URL (the static page's relative link)
}

// TypeAttr is the link's type attribute as written ("+" unescaped: some
// autodiscovery code compares it literally).
func (l FeedLink) TypeAttr() template.HTMLAttr {
	return template.HTMLAttr(`type="` + l.Format.MediaType() + `"`)
}

// MetaTag is a <meta> element of a page's head.
type MetaTag struct{ Name, Content string }

// BasePath is the path part of a base URL, without a trailing slash.
func BasePath(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}
