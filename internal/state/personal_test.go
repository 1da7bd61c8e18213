package state

import (
	"errors"
	"maps"
	"testing"
	"time"

	"paperfeed/internal/redistest"
)

// checkPersonal runs the personal-feed contract over two handles on one
// store (the same one twice where there is one process: memory, a file
// reopened in between; two clients of one Redis).
func checkPersonal(t *testing.T, a, b PersonalStore, reopen func() PersonalStore) {
	t.Helper()
	if _, err := a.PersonalGet("t1"); !errors.Is(err, ErrNoPersonal) {
		t.Fatalf("get of an unknown token: %v", err)
	}
	if err := a.PersonalVote("t1", "2501.00001", "up", 0); !errors.Is(err, ErrNoPersonal) {
		t.Fatalf("a vote on no feed: %v", err)
	}
	if err := a.PersonalPut("t1", []byte(`{"name":"one"}`)); !errors.Is(err, ErrNoPersonal) {
		t.Fatalf("a redefinition of no feed: %v", err)
	}
	if err := a.PersonalCreate("t1", PersonalRecord{Def: []byte(`{"name":"one"}`)}, "c", roomy()); err != nil {
		t.Fatal(err)
	}
	if err := a.PersonalCreate("t2", PersonalRecord{Def: []byte(`{"name":"two"}`)}, "c", roomy()); err != nil {
		t.Fatal(err)
	}
	if err := b.PersonalCreate("t2", PersonalRecord{Def: []byte(`{"name":"again"}`)}, "c", roomy()); err == nil {
		t.Fatal("a feed created over an existing one")
	}
	if err := a.PersonalVote("t1", "2501.00001", "up", 0); err != nil {
		t.Fatal(err)
	}
	if err := b.PersonalVote("t1", "2501.00002", "down", 0); err != nil { // the other handle: another replica
		t.Fatal(err)
	}
	if err := a.PersonalVote("t2", "2501.00003", "up", 0); err != nil {
		t.Fatal(err)
	}
	if reopen != nil {
		a = reopen()
		b = a
	}
	r, err := b.PersonalGet("t1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"2501.00001": "up", "2501.00002": "down"}
	if string(r.Def) != `{"name":"one"}` || !maps.Equal(r.Votes, want) {
		t.Errorf("t1 read back as %s %v, want its definition and %v", r.Def, r.Votes, want)
	}
	// Redefining keeps the votes; an empty vote removes one.
	if err := a.PersonalPut("t1", []byte(`{"name":"uno"}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.PersonalVote("t1", "2501.00002", "", 0); err != nil {
		t.Fatal(err)
	}
	r, _ = b.PersonalGet("t1")
	if string(r.Def) != `{"name":"uno"}` || !maps.Equal(r.Votes, map[string]string{"2501.00001": "up"}) {
		t.Errorf("after redefining and unvoting: %s %v", r.Def, r.Votes)
	}
	if n, err := b.PersonalCount(); n != 2 || err != nil {
		t.Errorf("count %d %v, want 2", n, err)
	}
	// Deleting deletes the definition and every vote, and only that feed.
	if err := b.PersonalDelete("t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PersonalGet("t1"); !errors.Is(err, ErrNoPersonal) {
		t.Errorf("t1 after delete: %v", err)
	}
	if err := a.PersonalCreate("t1", PersonalRecord{Def: []byte(`{}`)}, "c", roomy()); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.PersonalGet("t1"); len(r.Votes) != 0 {
		t.Errorf("a feed made again under a deleted token has the old votes: %v", r.Votes)
	}
	if r, _ := a.PersonalGet("t2"); !maps.Equal(r.Votes, map[string]string{"2501.00003": "up"}) {
		t.Errorf("deleting t1 touched t2: %v", r.Votes)
	}
	if err := a.PersonalDelete("nope"); !errors.Is(err, ErrNoPersonal) {
		t.Errorf("delete of an unknown token: %v", err)
	}
	// One secret, whoever asks first.
	s1, err := a.PersonalSecret()
	if err != nil || len(s1) < 32 {
		t.Fatalf("secret %x %v", s1, err)
	}
	s2, _ := b.PersonalSecret()
	if string(s1) != string(s2) {
		t.Error("two handles on one store have different secrets")
	}
}

// roomy are limits no test of the contract reaches.
func roomy() Limits { return Limits{Feeds: 100, Burst: 100, Every: time.Second, Now: time.Now()} }

func TestPersonalMemory(t *testing.T) {
	m := NewMemory()
	checkPersonal(t, m, m, nil)
}

// The file keeps feeds, votes and the secret across a reopen, on a real
// file.
func TestPersonalBolt(t *testing.T) {
	dir := t.TempDir()
	open := func() *Bolt {
		b, err := OpenBolt(dir, quiet(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	first := open()
	var secret []byte
	checkPersonal(t, first, first, func() PersonalStore {
		first.Close()
		return open()
	})
	b2, _ := OpenBolt(t.TempDir(), quiet(), time.Now)
	defer b2.Close()
	secret, _ = b2.PersonalSecret()
	again, _ := b2.PersonalSecret()
	if string(secret) != string(again) {
		t.Error("the secret changed between two reads")
	}
}

// Two replicas on one Redis see each other's feeds and votes at once.
func TestPersonalRedis(t *testing.T) {
	srv := redistest.Start(t, "pw")
	a := openRedis(t, srv.URL("pw"), time.Second)
	b := openRedis(t, srv.URL("pw"), time.Second)
	checkPersonal(t, a, b, nil)
}
