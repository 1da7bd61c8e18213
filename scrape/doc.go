// Package scrape reads the upstreams: Hugging Face Daily Papers listing
// pages and arXiv's category feeds and API.
//
// Parsing and fetching are separate. Every Parse function is a pure
// function over an io.Reader that returns papers in the feed model (or a
// wrapped error); the Client types only fetch bytes politely (context,
// timeout, User-Agent, size cap, rate limit) and hand them to a parser.
//
// Hugging Face listing pages embed the whole listing as JSON in the
// data-props attribute of div[data-target="DailyPapers"]. That JSON is the
// primary source. When it is missing or unreadable, the rendered <article>
// cards are read instead; they carry less (no abstract, no author names,
// no GitHub URL), and papers read from them are marked FromCards. A page
// that yields no paper from either is ErrLayoutChanged, never an empty
// listing.
package scrape
