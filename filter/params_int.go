package filter

import (
	"fmt"
	"strconv"
)

// intParam is a parameter that takes a whole number: its bounds, the
// value its canonical form leaves out (its default), what its error
// says, and the field it sets.
type intParam struct {
	min, max, omit int
	reason         string
	field          func(q *Query) *int
}

// intParams are the whole-number parameters, by name.
var intParams = map[string]intParam{
	"min_upvotes":  {0, maxCount, 0, fmt.Sprintf("must be a whole number from 0 to %d", maxCount), func(q *Query) *int { return &q.MinUpvotes }},
	"min_stars":    {0, maxCount, 0, fmt.Sprintf("must be a whole number from 0 to %d", maxCount), func(q *Query) *int { return &q.MinStars }},
	"min_comments": {0, maxCount, 0, fmt.Sprintf("must be a whole number from 0 to %d", maxCount), func(q *Query) *int { return &q.MinComments }},
	"limit": {1, MaxLimit, DefaultLimit, fmt.Sprintf("must be between 1 and %d (default %d)", MaxLimit, DefaultLimit),
		func(q *Query) *int { return &q.Limit }},
	"min_gain": {0, maxCount, 0, fmt.Sprintf("must be a whole number of upvotes gained, from 0 to %d", maxCount),
		func(q *Query) *int { return &q.MinGain }},
	"gain_hours": {1, MaxGainHours, DefaultGainHours,
		fmt.Sprintf("must be a whole number of hours from 1 to %d (default %d)", MaxGainHours, DefaultGainHours),
		func(q *Query) *int { return &q.GainHours }},
	"digest_size": {1, MaxDigestSize, DefaultDigestSize,
		fmt.Sprintf("must be a whole number of papers per digest from 1 to %d (default %d)", MaxDigestSize, DefaultDigestSize),
		func(q *Query) *int { return &q.DigestSize }},
}

// setInt sets a whole-number parameter, written in the canonical form
// unless it is the default.
func (q *Query) setInt(key, val string, p intParam) error {
	n, err := strconv.Atoi(val)
	if err != nil || n < p.min || n > p.max {
		return errf(key, val, "%s", p.reason)
	}
	*p.field(q) = n
	if n != p.omit {
		q.raw.Set(key, strconv.Itoa(n))
	}
	return nil
}
