package notify

import (
	"net/url"
	"strings"
	"testing"
)

// An address from the sign-up form: accepted only as one address, kept
// in one form (lower-case, no line breaks, a header value as it is).
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"ann@example.org", " Ann@Example.ORG ", "Ann <ann@example.org>", "a@b.org\r\nBcc: x@y.org",
		`"quoted local"@example.org`, "ann@[127.0.0.1]", "", "@", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Address(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(a, "\r\n<>,") && !strings.HasPrefix(a, `"`) || len(a) > 254 || a != strings.ToLower(a) {
			t.Fatalf("Address(%q) = %q", s, a)
		}
		if again, err := Address(a); err != nil || again != a {
			t.Fatalf("Address(%q) = %q, which reads again as %q %v", s, a, again, err)
		}
	})
}

// A notify file's line: an error, or a subscription whose name, channel
// and filter are what the line says.
func FuzzReadLines(f *testing.F) {
	for _, s := range []string{"agents: webhook https://h.example/in q=agents&min_upvotes=20", "reader: email a@b.org q=model OR models",
		"x: telegram $BOT:-100 digest=week", "x: slack $UNSET", "bad name: webhook https://h/x", "x:", "# comment\n\nx: email a@b.org ?q=%zz"} {
		f.Add(s)
	}
	e := env(map[string]string{"BOT": "1:tok"})
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := ReadLines(strings.NewReader(s), "f", e, nil)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Err != nil {
				continue
			}
			if l.Sub.Name != l.Name || !subName.MatchString(l.Name) {
				t.Fatalf("%q: name %q", s, l.Sub.Name)
			}
			if _, err := url.ParseQuery(l.Sub.Query); err != nil {
				t.Fatalf("%q: query %q: %v", s, l.Sub.Query, err)
			}
		}
	})
}
