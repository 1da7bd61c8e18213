package server

import "strings"

// What of a request may be written to a log. A personal feed's token
// (/f/TOKEN...) and its vote links' signatures (sig=) are keys: whoever
// reads the logs would hold every feed. They are masked with "…", as
// credentials in URLs are (feed.RedactURL): any run of 26 base32
// letters and digits in the path (a token, in any case: a mistyped one
// is still someone's), and every sig= value. The route, the format, the
// paper and the direction stay.

// logPath is a request path as logged.
func logPath(p string) string {
	if !strings.Contains(p, "/") || len(p) < 26 {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && isAlnum(p[j]) {
			j++
		}
		if j == i {
			b.WriteByte(p[i])
			i++
			continue
		}
		if run := p[i:j]; len(run) == 26 && isBase32(run) {
			b.WriteString("…")
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

// logQuery is a raw query as logged: sig= values masked, and tokens as
// in paths.
func logQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, kv := range parts {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "sig") {
			parts[i] = k + "=…"
		}
	}
	return logPath(strings.Join(parts, "&"))
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}
