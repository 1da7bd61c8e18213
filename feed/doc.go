// Package feed holds the paper model, the in-memory store of upstream
// snapshots and the renderers for RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//
// Identity rules:
//
//   - A paper is identified by its version-free arXiv ID ("2407.21783",
//     "hep-th/9901001"). Every source (Hugging Face listings, arXiv feeds,
//     the arXiv API) is reduced to that ID before anything else happens.
//   - The item GUID is derived from the ID alone (GUID), so it never
//     changes whichever source or listing day a paper is seen on, and a
//     replaced (v2, v3, ...) paper keeps the GUID of its first version.
//   - When two sources describe one paper, Merge keeps Hugging Face's
//     community data (upvotes, comments, code, AI fields) and arXiv's
//     bibliographic data (categories, announce type, DOI).
//
// Rendering never reads the clock: every date in a feed comes from its
// items, so identical data renders identical bytes.
//
// This package imports nothing else of paperfeed; scrape and filter use it.
package feed
