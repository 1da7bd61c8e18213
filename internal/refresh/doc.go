// Package refresh keeps paperfeed's store filled from its upstreams,
// politely, and says how that goes. It knows nothing of HTTP serving.
//
// The sources it polls are plug-ins (Source, Spec, Plugin), each a
// package under internal/source, registered in one list there; the
// service runs every one the same way and knows none by name. Beside
// them it runs the loaders asked on demand (past listings, seed papers)
// and arXiv's record look-ups.
//
// The rules, in the order they apply:
//
//  1. Hugging Face (internal/source/hf): the newest listing page every Refresh; the whole
//     window, following each page's previous-day link (so weekends and
//     holidays are skipped and no day is fetched twice), at start, when a
//     new day appears and every RefreshPast.
//  2. arXiv (internal/source/arxiv): one combined feed of the followed categories, fetched
//     conditionally and no sooner than its Cache-Control max-age; an
//     empty weekend channel changes nothing. HF papers get their arXiv
//     categories from the API in batches, once per paper.
//  3. Past listings (a date, week or month outside the window) are
//     fetched on first demand, one fetch however many requests wait,
//     within a token bucket, kept, and refreshed in the background when
//     stale.
//  4. A failed refresh keeps the last good data and backs off, doubling
//     up to the interval; an upstream's Retry-After is honoured up to
//     RefreshPast, never longer.
//
// Each upstream's limiter (one request at a time, spaced) lives in its
// scrape client; every fetch is counted through an Observer.
package refresh
