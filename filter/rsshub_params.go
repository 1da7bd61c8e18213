package filter

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"paperfeed/feed"
)

// RSSHub documents parameters that every route takes (its "Parameters"
// page): the regex filters, filter_case_sensitive and filter_time (every
// route of paperfeed takes them, rsshub.go), limit and format (paperfeed's
// own), and those below, which only RSSHub's routes
// (/huggingface/daily-papers...) take, so that an RSSHub URL keeps
// working when only its host changes. Where paperfeed can give RSSHub's
// meaning it does; where it has nothing to give, the parameter is a 400
// that says what paperfeed has instead. Anywhere else each is a 400 that
// names the route that takes it.
//
//   - sorted=false: RSSHub's route order, most upvoted first (its Daily
//     Papers route sorts by upvotes, RSSHub then by date unless
//     sorted=false): sort=upvotes. sorted=true is the default order.
//   - brief=N (N ≥ 100): each item's description becomes its text alone,
//     cut at N characters.
//   - tgiv=HASH: each item links Telegram's Instant View of its page,
//     https://t.me/iv?url=LINK&rhash=HASH.
//   - mode=fulltext: items already carry the whole text paperfeed has
//     (the abstract and everything else): accepted, and changes nothing.
//   - scihub, opencc, chatgpt, key, code, image_hotlink_template,
//     multimedia_hotlink_template, wrap_multimedia_in_iframe: a 400
//     naming what paperfeed has instead (arXiv's free PDF, the AI summary
//     items carry, no access control, -thumbnails=off, ...).
var rssHubRouteParams = []string{"sorted", "brief", "tgiv", "mode", "scihub", "opencc", "chatgpt", "key", "code",
	"image_hotlink_template", "multimedia_hotlink_template", "wrap_multimedia_in_iframe"}

// rssHubNone says, for RSSHub's parameters paperfeed cannot honour, what
// it has instead.
var rssHubNone = map[string]string{
	"scihub":                      "every paper here is on arXiv, free to read: each item links its PDF; drop scihub",
	"opencc":                      "papers are in English and paperfeed converts no Chinese script; drop opencc",
	"chatgpt":                     "items already carry Hugging Face's AI summary (TL;DR) where it has one; drop chatgpt",
	"key":                         "paperfeed's feeds are public and need no access key; drop key",
	"code":                        "paperfeed's feeds are public and need no access code; drop code",
	"image_hotlink_template":      "the only images are the papers' thumbnails on Hugging Face's servers; the server's -thumbnails=off leaves them out",
	"multimedia_hotlink_template": "items carry no audio or video; drop multimedia_hotlink_template",
	"wrap_multimedia_in_iframe":   "items carry no audio or video; drop wrap_multimedia_in_iframe",
}

// maxFilterTime bounds filter_time: a hundred years of seconds.
const maxFilterTime = 100 * 365 * 86400

// MinBrief is the shortest brief RSSHub allows.
const MinBrief = 100

var tgivHash = regexp.MustCompile(`^[0-9a-fA-F]{1,64}$`)

// checkRSSHubRoute rejects, off RSSHub's routes, a parameter only they
// take.
func checkRSSHubRoute(p *Param, o Options) error {
	if o.RSSHubRoute || !p.RSSHubRoute {
		return nil
	}
	key := p.Name
	hint := ""
	if key == "sorted" {
		hint = "; here write sort=upvotes for sorted=false (newest first is the default)"
	}
	return &Error{Param: key, Reason: "is one of RSSHub's parameters, taken with RSSHub's meaning on its routes (/huggingface/daily-papers, .../date, .../week, .../month)" + hint}
}

// setRSSHub reads the RSSHub parameters that are not regex filters.
func setRSSHub(q *Query, key, val string, _ Options) error {
	if reason, none := rssHubNone[key]; none {
		if key == "key" || key == "code" {
			val = "" // a secret: not repeated
		}
		return &Error{Param: key, Value: val, Reason: "RSSHub's parameter has no equivalent here: " + reason}
	}
	switch key {
	case "filter_case_sensitive":
		b, ok := parseBool(val)
		if !ok {
			return errf(key, val, "must be %s (default true, as in RSSHub)", feed.BoolWords)
		}
		q.RSSHub.CaseInsensitive = !b
		if !b {
			q.raw.Set(key, "false")
		}
	case "filter_time":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 1 || n > maxFilterTime {
			return errf(key, val, "must be a number of seconds from 1 to %d (papers listed that recently, counted in whole listing days)", maxFilterTime)
		}
		q.FilterTime = time.Duration(n) * time.Second
		q.raw.Set(key, strconv.FormatInt(n, 10))
	case "sorted":
		b, ok := parseBool(val)
		if !ok {
			return errf(key, val, "must be %s (false: RSSHub's route order, most upvoted first)", feed.BoolWords)
		}
		if !b {
			q.sortedFalse = true
		}
	case "brief":
		n, err := strconv.Atoi(val)
		if err != nil || n < MinBrief || n > 100_000 {
			return errf(key, val, "must be a number of characters from %d to 100000, as in RSSHub (each item's description becomes its text, cut there)", MinBrief)
		}
		q.Brief = n
		q.raw.Set(key, strconv.Itoa(n))
	case "tgiv":
		if !tgivHash.MatchString(val) {
			return errf(key, val, "must be the hash of a Telegram Instant View template (hexadecimal, the rhash of its link)")
		}
		q.TGIV = strings.ToLower(val)
		q.raw.Set(key, q.TGIV)
	case "mode":
		if !strings.EqualFold(val, "fulltext") {
			return errf(key, val, "must be fulltext, RSSHub's only mode (items here carry their whole text already)")
		}
	}
	return nil
}

// applySorted gives sorted=false RSSHub's meaning once sort is known.
func applySorted(q *Query) error {
	if !q.sortedFalse {
		return nil
	}
	if q.sortSet && q.Sort != SortUpvotes {
		return errf("sorted", "false", "conflicts with sort=%s: sorted=false is RSSHub's route order, most upvoted first (sort=upvotes); give one of them", q.Sort)
	}
	q.Sort, q.sortSet = SortUpvotes, true
	q.raw.Set("sort", SortUpvotes)
	return nil
}

// SetUpvotesFloor applies a minimum upvote count from a path segment
// (RSSHub's /huggingface/daily-papers/{period}/{min_upvotes}).
func (q *Query) SetUpvotesFloor(n int) {
	if n > q.MinUpvotes {
		q.MinUpvotes = n
		q.raw.Set("min_upvotes", strconv.Itoa(n))
	}
}
