package personalweb

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"paperfeed/feed"
	"paperfeed/internal/personal"
	"paperfeed/internal/server/pagekit"
)

// VoteLinks decorates a personal feed's items with their signed links.
func (s *Routes) VoteLinks(base string, f *personal.Feed) (func([]feed.Item), error) {
	sg, err := s.Side.sign()
	if err != nil {
		return nil, err
	}
	return func(items []feed.Item) {
		for i := range items {
			p := items[i].Paper
			if p == nil {
				continue
			}
			items[i].Votes = &feed.VoteLinks{More: voteURL(base, sg, f.Token, p.ID, personal.More), Less: voteURL(base, sg, f.Token, p.ID, personal.Less)}
		}
	}, nil
}

func voteURL(base string, sg personal.Signer, token, id, dir string) string {
	return base + "/f/" + token + "/vote?" + url.Values{"id": {id}, "dir": {dir}, "sig": {sg.Sign(token, id, dir)}}.Encode()
}

// voteForm reads and checks a vote's id, dir and signature.
func (s *Routes) voteForm(r *http.Request, f *personal.Feed) (id, dir string, err error) {
	id, dir, sig := r.Form.Get("id"), r.Form.Get("dir"), r.Form.Get("sig")
	if dir != personal.More && dir != personal.Less && dir != "undo" {
		return "", "", fmt.Errorf("dir=%q: must be more, less or undo", dir)
	}
	if _, _, ok := feed.ParseArxivID(id); !ok {
		return "", "", fmt.Errorf("id=%q: not an arXiv ID", id)
	}
	sg, err := s.Side.sign()
	if err != nil {
		return "", "", err
	}
	if !sg.Valid(f.Token, id, dir, sig) {
		return "", "", errors.New("this vote link is not one this feed issued (changed, or copied from another feed)")
	}
	return id, dir, nil
}

// Vote serves /f/{token}/vote: GET confirms, POST records.
func (s *Routes) Vote(w http.ResponseWriter, r *http.Request) {
	f, err := s.Side.load(r.PathValue("token"))
	if err != nil {
		s.personalMissing(w, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		s.Fail(w, http.StatusMethodNotAllowed, "a vote link is opened (GET) and confirmed (POST)")
		return
	}
	if r.Method == http.MethodPost {
		if err := s.sameSite(r); err != nil {
			s.Fail(w, http.StatusForbidden, err.Error())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
	}
	if !s.KnownParams(w, r, "a vote link", "id", "dir", "sig") {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.Fail(w, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	id, dir, err := s.voteForm(r, f)
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		s.Fail(w, http.StatusBadRequest, err.Error())
		return
	}
	id, _, _ = feed.ParseArxivID(id)
	if r.Method != http.MethodPost {
		s.voteConfirmPage(w, r, f, id, dir)
		return
	}
	if err := s.recordVote(f, id, dir); err != nil {
		s.personalMissing(w, err)
		return
	}
	http.Redirect(w, r, pagekit.BasePath(s.BaseURL(r))+"/f/"+f.Token+"?voted="+url.QueryEscape(dir)+"#votes", http.StatusSeeOther)
}

// recordVote stores a vote (undo removes it); a feed at MaxVotes lets
// its oldest vote go, in the same step as the write (see state).
func (s *Routes) recordVote(f *personal.Feed, id, dir string) error {
	if dir == "undo" {
		return s.Side.Store.PersonalVote(f.Token, id, "", 0)
	}
	return s.Side.Store.PersonalVote(f.Token, id, personal.EncodeVote(personal.Vote{Dir: dir, At: s.Engine.Now().UTC()}), personal.MaxVotes)
}
