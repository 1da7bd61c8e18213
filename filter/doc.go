// Package filter is the query-string language of paperfeed's feed URLs.
//
// Parse turns URL parameters into a validated Query; every mistake is an
// *Error naming the parameter, the offending value and what is accepted.
// Nothing is silently ignored except utm_* tracking parameters. A Query
// has one canonical form (Canonical), whatever the order or case the URL
// was written in; it is also the render-cache key.
//
// Matching is a pure function of (papers, query): Apply keeps the papers
// that pass every condition, in this order:
//
//  1. source (hf, arxiv, all) and announce type;
//  2. time: days, since/until, date, filter_time;
//  3. numbers: min_upvotes, min_stars, min_comments, has_code;
//  4. lists: category, author, org (any entry of a list may match);
//  5. keywords (q, in) on whole, accent- and case-folded words;
//  6. RSSHub's regex filters (filter*, filterout*);
//
// then sorts (sort) and truncates (limit).
package filter
