package state

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// In Redis, a personal feed is one hash, paperfeed:personal:TOKEN, with
// the field "def" and a field "v/ID" per vote (HSET writes a vote on its
// own); the set paperfeed:personal counts them; a client's creation time
// is paperfeed:personal-creates:CLIENT (milliseconds, expiring when its
// budget is whole again). Every write with its bounds is one script, so
// it is one atomic step whichever replica runs it. Any replica writes
// them: they are the readers', not the refreshed data the leader alone
// writes.

func (r *redisPersonal) personalKey(token string) string { return r.k("personal:" + token) }

// redisPersonal are the Redis store's personal feeds, and what a Redis
// handle remembers of them: the last secret it read, to write back if
// the store lost it.
type redisPersonal struct {
	*redisConn
	secretMu sync.Mutex
	secret   []byte
}

// PersonalGet reads a feed.
func (r *redisPersonal) PersonalGet(token string) (PersonalRecord, error) {
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

// createScript makes a feed within its bounds. KEYS: the feed's hash,
// the set of tokens, the client's creation time. ARGV: token, feeds at
// most, now, interval and tolerance (ms), the definition, then vote
// fields and values. It answers {1}, {0} (the token is taken), {-1}
// (full) or {-2, wait ms}.
var createScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return {0} end
if redis.call("SCARD", KEYS[2]) >= tonumber(ARGV[2]) then return {-1} end
local now, every, tol = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local tat = tonumber(redis.call("GET", KEYS[3]) or "0") or 0
if tat < now then tat = now end
if tat - now > tol then return {-2, tat - now - tol} end
redis.call("SET", KEYS[3], tostring(tat + every), "PX", tat + every - now)
redis.call("HSET", KEYS[1], "def", ARGV[6])
for i = 7, #ARGV, 2 do redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call("SADD", KEYS[2], ARGV[1])
return {1}`)

// PersonalCreate writes a new feed, its count and its client's budget
// checked in the same script.
func (r *redisPersonal) PersonalCreate(token string, rec PersonalRecord, client string, lim Limits) error {
	ctx, cancel := ctxT()
	defer cancel()
	args := []any{token, lim.Feeds, lim.Now.UnixMilli(), lim.Every.Milliseconds(), lim.tolerance().Milliseconds(), rec.Def}
	for id, v := range rec.Votes {
		args = append(args, "v/"+id, v)
	}
	res, err := createScript.Run(ctx, r.c, []string{r.personalKey(token), r.k("personal"), r.k("personal-creates:" + client)}, args...).Int64Slice()
	switch {
	case err != nil:
		return err
	case len(res) == 0:
		return errors.New("personal feed create: an empty answer")
	case res[0] == 0:
		return fmt.Errorf("personal feed %s exists already", token)
	case res[0] == -1:
		return ErrPersonalFull
	case res[0] == -2 && len(res) == 2:
		return &CreateLimitError{Retry: msDuration(res[1])}
	}
	return nil
}

// putScript redefines a feed that exists.
var putScript = redis.NewScript(`
if redis.call("HEXISTS", KEYS[1], "def") == 0 then return 0 end
redis.call("HSET", KEYS[1], "def", ARGV[1])
return 1`)

// PersonalPut redefines an existing feed.
func (r *redisPersonal) PersonalPut(token string, def []byte) error {
	ctx, cancel := ctxT()
	defer cancel()
	n, err := putScript.Run(ctx, r.c, []string{r.personalKey(token)}, def).Int()
	if err == nil && n == 0 {
		err = ErrNoPersonal
	}
	return err
}

// voteScript sets a vote field only while the hash has its definition
// (a deleted feed takes no votes); a new vote on a feed holding ARGV[3]
// votes first removes the oldest (see voteAge) until it fits.
var voteScript = redis.NewScript(`
if redis.call("HEXISTS", KEYS[1], "def") == 0 then return 0 end
if ARGV[2] == "" then redis.call("HDEL", KEYS[1], ARGV[1]) return 1 end
local max = tonumber(ARGV[3])
if max > 0 and redis.call("HEXISTS", KEYS[1], ARGV[1]) == 0 then
  local all, votes = redis.call("HGETALL", KEYS[1]), {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == "v/" then
      local at = string.match(all[i + 1], "^[^ ]* (.*)$") or ""
      votes[#votes + 1] = {at, all[i]}
    end
  end
  if #votes >= max then
    table.sort(votes, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
    for i = 1, #votes - max + 1 do redis.call("HDEL", KEYS[1], votes[i][2]) end
  end
end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return 1`)

// PersonalVote records or removes a vote of an existing feed.
func (r *redisPersonal) PersonalVote(token, id, vote string, maxVotes int) error {
	ctx, cancel := ctxT()
	defer cancel()
	n, err := voteScript.Run(ctx, r.c, []string{r.personalKey(token)}, "v/"+id, vote, maxVotes).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNoPersonal
	}
	return nil
}

// PersonalDelete deletes a feed and its votes.
func (r *redisPersonal) PersonalDelete(token string) error {
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
func (r *redisPersonal) PersonalCount() (int, error) {
	ctx, cancel := ctxT()
	defer cancel()
	n, err := r.c.SCard(ctx, r.k("personal")).Result()
	return int(n), err
}

// PersonalSecret reads the shared secret. When Redis holds none (first
// use, or its data was lost under running replicas) it writes, unless
// another replica wrote one first, the one this handle last read, else a
// fresh one, and reads back the one that won: every replica signs with
// what Redis holds.
func (r *redisPersonal) PersonalSecret() ([]byte, error) {
	ctx, cancel := ctxT()
	defer cancel()
	key := r.k("personal-secret")
	s, err := r.c.Get(ctx, key).Bytes()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	if len(s) == 0 {
		r.secretMu.Lock()
		known := r.secret
		r.secretMu.Unlock()
		if known == nil {
			if known, err = newSecret(); err != nil {
				return nil, err
			}
		}
		if err := r.c.SetNX(ctx, key, known, 0).Err(); err != nil {
			return nil, err
		}
		if s, err = r.c.Get(ctx, key).Bytes(); err != nil {
			return nil, err
		}
	}
	r.secretMu.Lock()
	r.secret = s
	r.secretMu.Unlock()
	return s, nil
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

var _ Backend = (*Redis)(nil)
