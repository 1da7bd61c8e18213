package refresh

import (
	"errors"
	"fmt"
	"strings"

	"paperfeed/feed"
	"paperfeed/internal/state"
)

// Followers queue requests for the leader in the shared store. Whoever
// can write to that store can add to the queue, so the leader reads each
// request as strictly as a URL from the public: a known kind, a period
// key in its one written form (its days worked out from the key, never
// read from the request), canonical arXiv IDs within the count a like=
// query may name, a record of a bucket the state holds. Anything else is
// dropped and logged.

// Request kinds.
const (
	askPast       = "past"       // a past listing: one period key
	askSeeds      = "seeds"      // seed papers: IDs
	askQuarantine = "quarantine" // a record a follower could not decode
)

// maxSeedsAsked is the most IDs one request names (a like= query's
// limit).
const maxSeedsAsked = 50

// request is one parsed request.
type request struct {
	kind   string
	period feed.Period  // askPast
	ids    []string     // askSeeds
	damage state.Damage // askQuarantine
}

var errBadRequest = errors.New("malformed request")

func (r request) encode() string {
	switch r.kind {
	case askPast:
		return askPast + "\t" + r.period.Key()
	case askSeeds:
		return askSeeds + "\t" + strings.Join(r.ids, ",")
	default:
		return askQuarantine + "\t" + r.damage.Bucket + "\t" + r.damage.Key
	}
}

// parseRequest reads a queued request.
func parseRequest(s string) (request, error) {
	bad := func(why string) (request, error) {
		return request{}, fmt.Errorf("%w %.80q: %s", errBadRequest, s, why)
	}
	if len(s) > 4096 {
		return bad("too long")
	}
	parts := strings.Split(s, "\t")
	switch {
	case parts[0] == askPast && len(parts) == 2:
		per, err := feed.ParsePeriod(parts[1])
		if err != nil {
			return bad(err.Error())
		}
		return request{kind: askPast, period: per}, nil
	case parts[0] == askSeeds && len(parts) == 2:
		ids := strings.Split(parts[1], ",")
		if len(ids) > maxSeedsAsked {
			return bad(fmt.Sprintf("%d IDs, at most %d", len(ids), maxSeedsAsked))
		}
		seen := map[string]bool{}
		for _, id := range ids {
			canon, v, ok := feed.ParseArxivID(id)
			if !ok || v != 0 || canon != id || seen[id] {
				return bad("not a list of distinct version-free arXiv IDs")
			}
			seen[id] = true
		}
		return request{kind: askSeeds, ids: ids}, nil
	case parts[0] == askQuarantine && len(parts) == 3:
		d := state.Damage{Bucket: parts[1], Key: parts[2]}
		switch d.Bucket {
		case "entries":
			if !validEntryKey(d.Key) {
				return bad("not an entry key")
			}
		case "papers", "cats", "last":
			if _, v, ok := feed.ParseArxivID(d.Key); !ok || v != 0 {
				return bad("not a paper ID")
			}
		default:
			return bad("no such bucket")
		}
		return request{kind: askQuarantine, damage: d}, nil
	}
	return bad("unknown kind or wrong number of fields")
}

// validEntryKey: "hf/DAY", "arxiv/DAY", "period/PERIOD" or "seed/ID".
func validEntryKey(k string) bool {
	switch {
	case strings.HasPrefix(k, feed.KeyHF), strings.HasPrefix(k, feed.KeyArxiv):
		_, day, _ := strings.Cut(k, "/")
		_, err := feed.ParsePeriod(feed.PeriodDay + "/" + day)
		return err == nil
	case strings.HasPrefix(k, feed.KeyPeriod):
		_, err := feed.ParsePeriod(strings.TrimPrefix(k, feed.KeyPeriod))
		return err == nil
	case strings.HasPrefix(k, seedKey):
		id := strings.TrimPrefix(k, seedKey)
		canon, v, ok := feed.ParseArxivID(id)
		return ok && v == 0 && canon == id
	}
	return false
}
