package server

import (
	"net/url"
	"strings"
)

// What of a request may be written to a log. A personal feed's token
// (/f/TOKEN...), a mail link's token (/mail/confirm/TOKEN,
// /mail/unsubscribe/TOKEN) and vote links' signatures (sig=) are keys:
// whoever reads the logs would hold every feed. They are masked with
// "…", as credentials in URLs are (feed.RedactURL):
//
//   - the whole path segment after /f/ and /mail/confirm/ or
//     /mail/unsubscribe/ (in any case; a mistyped token is still
//     someone's), all but a format's extension (.rss, .bib, ...);
//   - anywhere else in the path or query, any run of 20 or more letters
//     and digits (a token pasted where it does not belong);
//   - every sig= value, the key read as the server reads it (%73ig is
//     sig).
//
// The route, the format, the paper and the direction stay.

// secretRoutes are the path prefixes whose next segment is a key.
var secretRoutes = []string{"/f/", "/mail/confirm/", "/mail/unsubscribe/"}

// longRun is the shortest run of letters and digits masked anywhere:
// shorter than a token (26) or a signature, longer than any word or
// paper ID a feed URL carries.
const longRun = 20

// logPath is a request path (decoded) as logged.
func logPath(p string) string {
	lower := strings.ToLower(p)
	for _, pre := range secretRoutes {
		if strings.HasPrefix(lower, pre) {
			rest := p[len(pre):]
			seg, tail, slash := strings.Cut(rest, "/")
			masked := "…" + formatExt(seg)
			if slash {
				return p[:len(pre)] + masked + "/" + maskRuns(tail)
			}
			return p[:len(pre)] + masked
		}
	}
	return maskRuns(p)
}

// formatExt is the format extension a path segment ends with, if any.
func formatExt(seg string) string {
	i := strings.LastIndexByte(seg, '.')
	if i < 0 {
		return ""
	}
	switch ext := strings.ToLower(seg[i:]); ext {
	case ".rss", ".atom", ".json", ".bib", ".ris", ".opml", ".xml":
		return seg[i:]
	}
	return ""
}

// logQuery is a raw query as logged: each key and value decoded as the
// server reads them, sig= values masked, long runs masked as in paths,
// and written back escaped.
func logQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, kv := range parts {
		k, v, hasV := strings.Cut(kv, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			// Not readable as the server reads it: keep its shape only.
			parts[i] = maskRuns(kv)
			continue
		}
		switch {
		case strings.EqualFold(strings.TrimSpace(dk), "sig"):
			dv = "…"
		default:
			dv = maskRuns(dv)
		}
		parts[i] = url.QueryEscape(maskRuns(dk))
		if hasV {
			parts[i] += "=" + strings.ReplaceAll(url.QueryEscape(dv), "%E2%80%A6", "…")
		}
	}
	return strings.Join(parts, "&")
}

// maskRuns masks every run of longRun or more letters and digits.
func maskRuns(s string) string {
	if len(s) < longRun {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		if j-i >= longRun {
			b.WriteString("…")
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
