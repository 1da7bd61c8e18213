package filter

import (
	"net/url"
	"strings"
)

// ParseRawQuery splits a raw query string as url.ParseQuery does, but a
// malformed pair (a bad %-escape, a ';' separator) is an *Error naming
// that pair instead of a pair silently dropped.
func ParseRawQuery(raw string) (url.Values, error) {
	v := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		if strings.Contains(pair, ";") {
			return nil, errf(pairName(k), val,
				"contains ';', which does not separate parameters; separate them with '&' (write a literal ';' as %%3B)")
		}
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errf(pairName(k), "", "malformed %%-escape in the parameter name: write %% as %%25, and other escapes as %%XX with two hex digits")
		}
		value, err := url.QueryUnescape(val)
		if err != nil {
			return nil, errf(key, val, "malformed %%-escape in the value: write %% as %%25, and other escapes as %%XX with two hex digits")
		}
		v[key] = append(v[key], value)
	}
	return v, nil
}

// pairName is a readable name for a malformed pair.
func pairName(k string) string {
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	if k == "" {
		return "(no name)"
	}
	return k
}
