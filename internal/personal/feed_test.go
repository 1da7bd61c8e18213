package personal

import (
	"slices"
	"testing"
	"time"

	"paperfeed/feed"
)

func TestToken(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || !ValidToken(a) || !ValidToken(b) {
		t.Fatalf("tokens %q %q", a, b)
	}
	for _, bad := range []string{"", "short", a[:25], a + "a", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "../../../../etc/passwd....", a[:25] + "1"} {
		if ValidToken(bad) {
			t.Errorf("%q taken for a token", bad)
		}
	}
}

// Seeds and votes make the two sides of the ranking; a vote overrides a
// seed's side.
func TestSides(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := &Feed{Def: Def{Like: []string{"2501.00001", "2501.00002"}, Unlike: []string{"2501.00009"}},
		Votes: map[string]Vote{"2501.00003": {More, at}, "2501.00002": {Less, at.Add(time.Hour)}, "2501.00004": {Less, at.Add(-time.Hour)}}}
	if got, want := f.Positives(), []string{"2501.00001", "2501.00003"}; !slices.Equal(got, want) {
		t.Errorf("positives %v, want %v", got, want)
	}
	if got, want := f.Negatives(), []string{"2501.00002", "2501.00004", "2501.00009"}; !slices.Equal(got, want) {
		t.Errorf("negatives %v, want %v", got, want)
	}
	if o := f.Oldest(); o != "2501.00004" {
		t.Errorf("oldest vote %s", o)
	}
	v, ok := DecodeVote(EncodeVote(Vote{More, at}))
	if !ok || v.Dir != More || !v.At.Equal(at) {
		t.Errorf("vote round trip: %+v %v", v, ok)
	}
	if _, ok := DecodeVote("maybe 2026-01-01T00:00:00Z"); ok {
		t.Error("an unknown direction read as a vote")
	}
}

func TestSigner(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	sig := s.Sign("tok", "2501.00001", More)
	if !s.Valid("tok", "2501.00001", More, sig) {
		t.Fatal("a signature does not verify")
	}
	for _, c := range [][3]string{{"tok2", "2501.00001", More}, {"tok", "2501.00002", More}, {"tok", "2501.00001", Less}} {
		if s.Valid(c[0], c[1], c[2], sig) {
			t.Errorf("signature of tok/2501.00001/more accepted for %v", c)
		}
	}
	if NewSigner(nil).Valid("tok", "2501.00001", More, NewSigner(nil).Sign("tok", "2501.00001", More)) {
		t.Error("an empty key signs")
	}
}

func TestReadExport(t *testing.T) {
	f := &Feed{Token: "x", Def: Def{Name: "n", Filter: "q=agents", Like: []string{"2501.00001"}}, Votes: map[string]Vote{"2501.00002": {Less, time.Now().UTC()}}}
	b := EncodeDef(f.Def)
	if _, err := Decode("x", b, nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{`, `{"format":"other"}`, `{"format":"paperfeed-personal-feed/1","votes":{"2501.00001":{"dir":"sideways"}}}`} {
		if _, err := ReadExport([]byte(bad), time.Now()); err == nil {
			t.Errorf("export %s read", bad)
		}
	}
}

// Whatever an uploaded export holds, what ReadExport accepts is within
// every bound the form keeps: version-free arXiv IDs, directions, dates
// before now, the seed and vote caps, MaxStoredBytes.
func FuzzReadExport(f *testing.F) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Add([]byte(`{"format":"paperfeed-personal-feed/1","feed":{"name":"n","filter":"q=agents","like":["2501.00001v2"],"unlike":["hep-th/9711200"]},"votes":{"2501.00002":{"dir":"less","at":"2026-11-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"format":"paperfeed-personal-feed/1","feed":{"name":"<script>"},"votes":{"../../x":{"dir":"more","at":"2026-11-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"format":"paperfeed-personal-feed/1","feed":{"like":["2501.00001,junk"]},"votes":{"arxiv.org/abs/2501.00003v1":{"dir":"more","at":"2026-11-01T00:00:00Z"},"2501.00003":{"dir":"less","at":"2026-11-02T00:00:00Z"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ReadExport(b, now)
		if err != nil {
			return
		}
		fd := &Feed{Def: e.Def, Votes: e.Votes}
		if err := fd.Check(); err != nil {
			t.Fatalf("accepted an export that breaks a bound: %v", err)
		}
		for id, v := range e.Votes {
			if canon, _, ok := feed.ParseArxivID(id); !ok || canon != id || v.At.After(now.Add(time.Minute)) {
				t.Fatalf("accepted vote %q %+v", id, v)
			}
		}
		if fd.Size() > MaxStoredBytes {
			t.Fatalf("accepted %d bytes", fd.Size())
		}
	})
}
