package refresh

import (
	"strings"
	"testing"
)

// What a follower queues, and what a hostile writer to the shared store
// might queue: only well-formed requests pass.
func TestParseRequest(t *testing.T) {
	ids := make([]string, 51)
	for i := range ids {
		ids[i] = "2608." + strings.Repeat("0", 4) + string(rune('0'+i%10))
	}
	for _, c := range []struct {
		in   string
		want string // the request re-encoded, "" for a refusal
	}{
		{"past\tday/2026-08-21", "past\tday/2026-08-21"},
		{"past\tweek/2026-W34", "past\tweek/2026-W34"},
		{"past\tmonth/2026-08", "past\tmonth/2026-08"},
		{"past\tweek/../../api/whoami-v2", ""},
		{"past\tweek/2026-W34/../../api/whoami-v2", ""},
		{"past\tday/2026-8-21", ""},
		{"past\tday/2019-01-01", ""}, // before the first listing
		{"past\tweek/2026-W60", ""},
		{"past\tday/2026-08-21\t2026-08-21\t2026-08-21", ""}, // the old form carried days: never trusted
		{"past\tyear/2026", ""},
		{"seeds\t2401.01234,2312.05678", "seeds\t2401.01234,2312.05678"},
		{"seeds\t2401.01234v2", ""},
		{"seeds\t2401.01234,2401.01234", ""},
		{"seeds\t../etc/passwd", ""},
		{"seeds\t" + strings.Join(ids, ","), ""},
		{"seeds\t", ""},
		{"quarantine\tentries\thf/2026-08-21", "quarantine\tentries\thf/2026-08-21"},
		{"quarantine\tentries\tseed/2401.01234", "quarantine\tentries\tseed/2401.01234"},
		{"quarantine\tentries\tperiod/week/2026-W34", "quarantine\tentries\tperiod/week/2026-W34"},
		{"quarantine\tlast\t2401.01234", "quarantine\tlast\t2401.01234"},
		{"quarantine\tleader\tx", ""},
		{"quarantine\tentries\tformat", ""},
		{"quarantine\tpapers\t*", ""},
		{"flush\tall", ""},
		{"", ""},
		{strings.Repeat("past\t", 2000), ""},
	} {
		r, err := parseRequest(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%.60q accepted as %q", c.in, r.encode())
		case c.want != "" && err != nil:
			t.Errorf("%q refused: %v", c.in, err)
		case c.want != "" && r.encode() != c.want:
			t.Errorf("%q read as %q", c.in, r.encode())
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"past\tday/2026-08-21", "seeds\t2401.01234", "quarantine\tentries\thf/2026-08-21", "past\tweek/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRequest(s)
		if err != nil {
			return
		}
		// What passes encodes back to itself and asks for at most one
		// period or a like= query's IDs.
		if again, err := parseRequest(r.encode()); err != nil || again.encode() != r.encode() {
			t.Fatalf("%q -> %q does not read back", s, r.encode())
		}
		if len(r.ids) > maxSeedsAsked || strings.ContainsAny(r.encode(), "?#%") || strings.Contains(r.encode(), "..") {
			t.Fatalf("%q passed as %q", s, r.encode())
		}
	})
}
