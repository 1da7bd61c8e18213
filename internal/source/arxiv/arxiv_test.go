package arxiv

import (
	"testing"
	"time"
)

func TestExpectedDay(t *testing.T) {
	for in, want := range map[string]string{
		"2026-08-24T15:00:00Z": "2026-08-24", // Monday
		"2026-08-25T02:00:00Z": "2026-08-25", // Monday 22:00 Eastern: Tuesday's mailing is out
		"2026-08-22T12:00:00Z": "2026-08-21", // Saturday: Friday's
		"2026-08-23T12:00:00Z": "2026-08-21", // Sunday
		"2026-08-24T02:00:00Z": "2026-08-24", // Sunday 22:00 Eastern: Monday's is out
	} {
		ts, _ := time.Parse(time.RFC3339, in)
		if got := expectedDay(ts).Format(time.DateOnly); got != want {
			t.Errorf("expectedDay(%s) = %s, want %s", in, got, want)
		}
	}
}
