// Package source registers the sources the refresh side polls. Each one
// is a package of its own beside this file, implementing
// refresh.Source: what it fetches, on what schedule (refresh.Spec), into
// which part of the store, what it holds and its status. Adding a source
// is its package and one line in Registered; the service, /status, the
// metrics and the saved state take it from there.
package source

import (
	"paperfeed/internal/refresh"
	"paperfeed/internal/source/artifacts"
	"paperfeed/internal/source/arxiv"
	"paperfeed/internal/source/hf"
)

// Registered are the sources, in the order /status lists them and the
// service starts them.
func Registered(cfg refresh.Config, up refresh.Upstreams) []refresh.Plugin {
	return []refresh.Plugin{
		hf.Plugin(cfg, up),
		arxiv.Plugin(cfg, up),
		artifacts.Plugin(cfg, up),
	}
}
