package refresh

import "time"

// Observer receives what the refresh side measures, for metrics. The
// service's Prometheus metrics implement it; Nop discards everything.
type Observer interface {
	// Fetch counts one upstream request of a source ("hf", "arxiv",
	// "arxiv_api") and its outcome: nil, or the error.
	Fetch(source string, err error)
	// NotModified counts a conditional request answered 304.
	NotModified(source string)
	// Held is the number of papers a source holds now.
	Held(source string, n int)
	// Listing counts one HF period fetched, by the view that served it
	// ("page+api", "page", "api", "none").
	Listing(view string)
	// StateWrite is one write to the state store: how long it took, the
	// store's size after it, and its error.
	StateWrite(d time.Duration, size int64, err error)
}

// Nop is an Observer that keeps nothing.
type Nop struct{}

func (Nop) Fetch(string, error) {}
func (Nop) NotModified(string)  {}
func (Nop) Held(string, int)    {}

func (Nop) StateWrite(time.Duration, int64, error) {}

func (Nop) Listing(string) {}
