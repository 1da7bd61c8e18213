package server

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"paperfeed/filter"
)

// knownParams answers a 400 naming the first parameter of r's query that
// what does not take (none, or those accepted), so a typo is never
// silently ignored; names are read in any case, as a feed's are, and
// are lower-cased in r for the handler. It reports whether r may go on.
func knownParams(w http.ResponseWriter, r *http.Request, what string, accepted ...string) bool {
	if r.URL.RawQuery == "" {
		return true
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, "", &filter.Error{Param: "query", Reason: "not a query string: " + err.Error()})
		return false
	}
	lower := make(url.Values, len(v))
	for _, k := range slices.Sorted(maps.Keys(v)) { // a fixed order: the same error every time
		vals := v[k]
		key := strings.ToLower(k)
		if !slices.Contains(accepted, key) {
			takes := "no parameters"
			if len(accepted) > 0 {
				takes = strings.Join(accepted, ", ")
			}
			val := strings.Join(vals, ",")
			if len(val) > 200 {
				val = strings.ToValidUTF8(val[:200], "") + "…"
			}
			badRequest(w, "", &filter.Error{Param: k, Value: val, Reason: "unknown parameter; " + what + " takes " + takes})
			return false
		}
		lower[key] = append(lower[key], vals...)
	}
	r.URL.RawQuery = lower.Encode()
	return true
}

// noParams is h refusing any query parameter (knownParams).
func noParams(what string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if knownParams(w, r, what) {
			h.ServeHTTP(w, r)
		}
	})
}
