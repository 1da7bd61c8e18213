package state

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// In Redis, a personal feed is one hash, paperfeed:personal:TOKEN, with
// the field "def" and a field "v/ID" per vote (HSET writes a vote on its
// own); the set paperfeed:personal counts them; the secret is made with
// SETNX so that replicas racing to make it agree on one. Any replica
// writes them: they are the readers', not the refreshed data the leader
// alone writes.

func (r *Redis) personalKey(token string) string { return r.k("personal:" + token) }

// PersonalGet reads a feed.
func (r *Redis) PersonalGet(token string) (PersonalRecord, error) {
	ctx, cancel := ctxT()
	defer cancel()
	m, err := r.c.HGetAll(ctx, r.personalKey(token)).Result()
	if err != nil {
		return PersonalRecord{}, err
	}
	def, ok := m["def"]
	if !ok {
		return PersonalRecord{}, ErrNoPersonal
	}
	rec := PersonalRecord{Def: []byte(def), Votes: map[string]string{}}
	for k, v := range m {
		if id, ok := strings.CutPrefix(k, "v/"); ok && id != "" {
			rec.Votes[id] = v
		}
	}
	return rec, nil
}

// PersonalPut creates or redefines a feed.
func (r *Redis) PersonalPut(token string, def []byte) error {
	ctx, cancel := ctxT()
	defer cancel()
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, r.personalKey(token), "def", def)
		p.SAdd(ctx, r.k("personal"), token)
		return nil
	})
	return err
}

// votePut sets a vote field only while the hash has its definition (a
// deleted feed takes no votes).
var votePut = redis.NewScript(`
if redis.call("HEXISTS", KEYS[1], "def") == 0 then return 0 end
if ARGV[2] == "" then redis.call("HDEL", KEYS[1], ARGV[1]) else redis.call("HSET", KEYS[1], ARGV[1], ARGV[2]) end
return 1`)

// PersonalVote records or removes a vote of an existing feed.
func (r *Redis) PersonalVote(token, id, vote string) error {
	ctx, cancel := ctxT()
	defer cancel()
	n, err := votePut.Run(ctx, r.c, []string{r.personalKey(token)}, "v/"+id, vote).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNoPersonal
	}
	return nil
}

// PersonalDelete deletes a feed and its votes.
func (r *Redis) PersonalDelete(token string) error {
	ctx, cancel := ctxT()
	defer cancel()
	var del *redis.IntCmd
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, r.personalKey(token))
		p.SRem(ctx, r.k("personal"), token)
		return nil
	})
	if err != nil {
		return err
	}
	if del.Val() == 0 {
		return ErrNoPersonal
	}
	return nil
}

// PersonalCount counts the feeds.
func (r *Redis) PersonalCount() (int, error) {
	ctx, cancel := ctxT()
	defer cancel()
	n, err := r.c.SCard(ctx, r.k("personal")).Result()
	return int(n), err
}

// PersonalSecret reads the shared secret, making it on first use.
func (r *Redis) PersonalSecret() ([]byte, error) {
	ctx, cancel := ctxT()
	defer cancel()
	key := r.k("personal-secret")
	s, err := r.c.Get(ctx, key).Bytes()
	if err == nil && len(s) > 0 {
		return s, nil
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	fresh, err := newSecret()
	if err != nil {
		return nil, err
	}
	if err := r.c.SetNX(ctx, key, fresh, 0).Err(); err != nil {
		return nil, err
	}
	return r.c.Get(ctx, key).Bytes() // ours, or the one another replica set first
}

var _ Backend = (*Redis)(nil)
