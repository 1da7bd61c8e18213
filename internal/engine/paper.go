package engine

import (
	"context"
	"errors"

	"paperfeed/feed"
	"paperfeed/internal/refresh"
)

// ErrNoPaper means arXiv has no paper with the ID asked for.
var ErrNoPaper = errors.New("arXiv has no paper with this ID")

// Paper is one paper for its page and citations: held in the window, or
// else looked up on arXiv like a seed of like= (kept, within the same
// budgets), so a citation link in an old feed item keeps working after
// its paper left the window. client names the requester, for the
// per-client budget.
func (e *Engine) Paper(ctx context.Context, id, client string) (*feed.Paper, error) {
	if p := e.store.View().ByID[id]; p != nil {
		return p, nil
	}
	ps, err := e.refresh.Seeds(refresh.WithClient(ctx, client), []string{id})
	var unknown *refresh.ErrUnknownPapers
	switch {
	case errors.As(err, &unknown):
		return nil, ErrNoPaper
	case err != nil:
		return nil, err
	case len(ps) == 0:
		return nil, ErrNoPaper
	}
	return ps[0], nil
}
