package filter

import (
	"fmt"
	"strings"
)

// Error is an invalid query parameter. Its message names the parameter,
// repeats the offending value and says what is accepted.
type Error struct {
	Param  string // parameter name as written ("limit")
	Value  string // offending value
	Reason string // what is wrong and what is accepted
}

func (e *Error) Error() string {
	if e.Value == "" && e.Param != "" {
		return fmt.Sprintf("%s: %s", e.Param, e.Reason)
	}
	return fmt.Sprintf("%s=%s: %s", e.Param, e.Value, e.Reason)
}

func errf(param, value, format string, args ...any) *Error {
	if len(value) > 200 {
		value = value[:200] + "…"
	}
	return &Error{Param: param, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// unknownParam lists what is accepted, so a typo is easy to fix.
func unknownParam(name, value string, accepted []string) *Error {
	msg := "unknown parameter; accepted: " + strings.Join(accepted, ", ")
	if s := suggest(name, accepted); s != "" {
		msg = fmt.Sprintf("unknown parameter (did you mean %s?); accepted: %s", s, strings.Join(accepted, ", "))
	}
	return errf(name, value, "%s", msg)
}

// suggest returns the accepted name closest to a typo, if close enough.
func suggest(name string, accepted []string) string {
	best, bestD := "", 3
	for _, a := range accepted {
		if d := distance(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
