// Package personal is the model of personal feeds: a filter and seed
// papers kept under an unguessable token (/f/TOKEN), which learn from
// their reader's "more / less like this" votes, and the reading of a
// reader's library (BibTeX, RIS, a plain list) into seeds.
//
// The rules:
//
//   - A token is 128 random bits, written as 26 lowercase base32
//     characters. Whoever has it owns the feed: it is the only key.
//   - The ranking reads the seeds and the votes alike: liked seeds and
//     "more" votes are the positives of like=, unliked seeds and "less"
//     votes the negatives of unlike= (filter's Rocchio blend). A later
//     vote on a paper replaces the earlier one.
//   - A vote link names one feed, one paper and one direction, and is
//     signed with the service's shared secret (HMAC-SHA256): a link
//     copied into another feed, or edited to another paper, is refused.
//     A GET on it only shows a confirmation page (feed readers and mail
//     scanners fetch links ahead of the reader); the page's POST records.
//   - Bounds: at most MaxSeeds liked and MaxSeeds unliked seeds, MaxVotes
//     votes per feed (the oldest give way), a name of MaxName characters
//     on one line, MaxFilter bytes of filter, seeds and votes on
//     version-free arXiv IDs, MaxStoredBytes in all (Feed.Check holds
//     them all, for the form and an import alike).
//   - An export read back (ReadExport) is as hostile as a form: every
//     seed and vote key must be one arXiv ID, every vote more or less and
//     dated before now.
package personal
