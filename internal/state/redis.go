package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"paperfeed/feed"
)

// Redis is the state store replicas share: the same data as the bolt
// file, in Redis keys, plus what replicas coordinate with:
//
//   - a leader lease (SET NX PX with a random token, renewed well before
//     it expires, released on shutdown): only the leader talks to the
//     upstreams;
//   - every write is fenced by the token: a transaction that WATCHes the
//     lease and writes only while it still holds this replica's token, so
//     a leader that lost its lease (paused, cut off) cannot overwrite its
//     successor's data;
//   - after each write the leader increments a version and publishes it;
//     followers reload on the message, or when their poll of the version
//     sees it moved (a message lost while a connection was down);
//   - followers queue what they need fetched (a past listing, a seed
//     paper) for the leader.
type Redis struct {
	*redisConn
	redisRecords  // named records (named_records.go)
	redisPersonal // personal feeds (personal_redis.go)
	redisCluster  // the lease, announcements, requests (redis_cluster.go)
}

// redisConn is what every part of the Redis store shares: the client,
// the key prefix, this replica's lease token, and the figures /status
// shows.
type redisConn struct {
	c      *redis.Client
	prefix string
	token  string
	lease  time.Duration
	url    string // without the password, for /status

	mu      sync.Mutex
	stats   Stats
	leading bool
}

func newRedis(conn *redisConn) *Redis {
	return &Redis{redisConn: conn, redisRecords: redisRecords{conn}, redisPersonal: redisPersonal{redisConn: conn}, redisCluster: redisCluster{conn}}
}

// ErrNotLeader means a write was refused because this replica does not
// hold the lease.
var ErrNotLeader = errors.New("not the leader: the lease is held by another replica or has expired")

// OpenRedis connects to the Redis at rawURL (redis:// or rediss://, with
// password and database in the URL). A malformed URL or refused
// credentials are errors; Redis being down is not (replicas keep serving
// and reconnect).
func OpenRedis(ctx context.Context, rawURL, password string, lease time.Duration, log *slog.Logger) (*Redis, error) {
	driverLogger.Store(log)
	setDriverLog.Do(func() { redis.SetLogger(driverLog{}) }) // the driver's logger is global: set once, before any client dials
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// The driver's message may quote the URL: only the redacted one
		// is shown.
		return nil, fmt.Errorf("not a Redis URL (redis://[:password@]host:port[/db] or rediss://): %s", feed.RedactURL(rawURL))
	}
	if password != "" {
		opts.Password = password
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	opts.MaxRetries = 1
	c := redis.NewClient(opts)
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	r := newRedis(&redisConn{c: c, prefix: "paperfeed:", token: hex.EncodeToString(tok), lease: lease, url: feed.RedactURL(rawURL)})
	r.stats = Stats{Kind: "redis", Path: r.url}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		msg := strings.ToLower(err.Error())
		if strings.Contains(msg, "wrongpass") || strings.Contains(msg, "noauth") || strings.Contains(msg, "auth") ||
			strings.Contains(msg, "db index") || strings.Contains(msg, "invalid db") {
			c.Close()
			return nil, fmt.Errorf("the Redis server refused the connection (check the password and database in the URL): %w", err)
		}
		r.fail(err) // unreachable for now: reconnects later
		return r, nil
	}
	if v, err := c.Get(pctx, r.k("format")).Result(); err == nil {
		if n, _ := strconv.Atoi(v); n > FormatVersion {
			c.Close()
			return nil, fmt.Errorf("%w: Redis holds format %d, this paperfeed reads up to %d", ErrNewerFormat, n, FormatVersion)
		}
	}
	return r, nil
}

// driverLog takes the Redis driver's own lines (one per failed dial,
// many a second while Redis is down) into the service's log, at debug
// level: what an operator needs is the replica's one line per change of
// state.
type driverLog struct{}

// driverLogger is where driverLog writes: the logger of the newest
// OpenRedis (one per process outside tests).
var (
	driverLogger atomic.Pointer[slog.Logger]
	setDriverLog sync.Once
)

func (driverLog) Printf(ctx context.Context, format string, v ...any) {
	driverLogger.Load().Log(ctx, slog.LevelDebug, "redis driver: "+feed.RedactURL(fmt.Sprintf(format, v...)))
}

func (r *redisConn) k(name string) string { return r.prefix + name }

func (r *redisConn) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Errors++
	r.stats.LastError = err.Error()
	r.stats.ErrorAt = time.Now()
}

func (r *redisConn) ok(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Writes++
	r.stats.LastWrite = time.Now()
	r.stats.LastError = ""
	r.stats.Duration = d
}

func ctxT() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// Keys lists the entry keys.
func (r *Redis) Keys() ([]string, error) {
	ctx, cancel := ctxT()
	defer cancel()
	keys, err := r.c.HKeys(ctx, r.k("refs")).Result()
	if err != nil {
		r.fail(err)
		return nil, err
	}
	return keys, nil
}

// Load reads the state, as Bolt.Load does.
func (r *Redis) Load(want func(key string) bool) (*Snapshot, error) {
	ctx, cancel := ctxT()
	defer cancel()
	snap := newSnapshot()
	pipe := r.c.Pipeline()
	written := pipe.Get(ctx, r.k("written"))
	refs := pipe.HKeys(ctx, r.k("refs"))
	fetch := pipe.HGetAll(ctx, r.k("fetch"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		r.fail(err)
		return nil, err
	}
	if v, err := written.Result(); err == nil {
		_ = snap.Written.UnmarshalText([]byte(v))
	}
	var keys []string
	for _, k := range refs.Val() {
		if want == nil || want(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		vals, err := r.c.HMGet(ctx, r.k("entries"), keys...).Result()
		if err != nil {
			r.fail(err)
			return nil, err
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				snap.decodeEntry(keys[i], strings.NewReader(s))
			}
		}
	}
	// Per-paper records of the papers the entries read hold (of every
	// paper when want is nil).
	var ids []string
	if want == nil {
		var err error
		if ids, err = r.c.HKeys(ctx, r.k("papers")).Result(); err != nil {
			r.fail(err)
			return nil, err
		}
	} else {
		ids = snap.paperIDs()
	}
	get := func(hash string) (map[string]string, error) {
		out := map[string]string{}
		for start := 0; start < len(ids); start += 1000 {
			chunk := ids[start:min(len(ids), start+1000)]
			vals, err := r.c.HMGet(ctx, r.k(hash), chunk...).Result()
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if s, ok := v.(string); ok {
					out[chunk[i]] = s
				}
			}
		}
		return out, nil
	}
	papers, err := get("papers")
	if err != nil {
		return nil, err
	}
	cats, err := get("cats")
	if err != nil {
		return nil, err
	}
	last, err := get("last")
	if err != nil {
		return nil, err
	}
	for id, v := range papers {
		snap.decodeMeta(id, []byte(v))
	}
	for id, v := range cats {
		snap.decodeLookup(id, []byte(v))
	}
	for id, v := range last {
		snap.decodeLast(id, []byte(v))
	}
	for k, v := range fetch.Val() {
		snap.Fetch[k] = []byte(v)
	}
	return snap, nil
}

// Save writes one change in one transaction, only while this replica
// holds the lease, then announces the new version.
func (r *Redis) Save(c *Change) error {
	ctx, cancel := ctxT()
	defer cancel()
	start := time.Now()
	// Entries are encoded before the transaction.
	enc := map[string][2]string{}
	for k, e := range c.Put {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(e); err != nil {
			return err
		}
		ref := refOf(e)
		rb, err := json.Marshal(ref)
		if err != nil {
			return err
		}
		enc[k] = [2]string{buf.String(), string(rb)}
	}
	var metaOld map[string]string
	if ids := changedIDs(c); len(ids) > 0 {
		vals, err := r.c.HMGet(ctx, r.k("papers"), ids...).Result()
		if err != nil {
			r.fail(err)
			return err
		}
		metaOld = map[string]string{}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				metaOld[ids[i]] = s
			}
		}
	}
	at, err := c.At.MarshalText()
	if err != nil {
		return err
	}
	leader := r.k("leader")
	err = r.c.Watch(ctx, func(tx *redis.Tx) error {
		holder, err := tx.Get(ctx, leader).Result()
		if err != nil || holder != r.token {
			return ErrNotLeader
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SetNX(ctx, r.k("format"), strconv.Itoa(FormatVersion), 0)
			for k, v := range enc {
				p.HSet(ctx, r.k("entries"), k, v[0])
				p.HSet(ctx, r.k("refs"), k, v[1])
			}
			for _, k := range c.Delete {
				p.HDel(ctx, r.k("entries"), k)
				p.HDel(ctx, r.k("refs"), k)
			}
			for id := range unionKeys(c.Changed, c.FirstSeen) {
				changed, first := c.Changed[id], c.FirstSeen[id]
				if old, ok := metaOld[id]; ok {
					oc, of, _ := parseMeta([]byte(old))
					if changed.IsZero() {
						changed = oc
					}
					if first.IsZero() {
						first = of
					}
				}
				p.HSet(ctx, r.k("papers"), id, string(metaBytes(changed, first)))
			}
			for id, cat := range c.Lookups {
				b, _ := json.Marshal(cat)
				p.HSet(ctx, r.k("cats"), id, string(b))
			}
			for id, pt := range c.Points {
				b := string(pointBytes(pt))
				p.HSet(ctx, r.k("last"), id, b)
				p.RPush(ctx, r.k("h:"+id), b)
			}
			for k, v := range c.Fetch {
				p.HSet(ctx, r.k("fetch"), k, string(v))
			}
			p.Set(ctx, r.k("written"), string(at), 0)
			p.Incr(ctx, r.k("version"))
			return nil
		})
		return err
	}, leader)
	if err != nil {
		if !errors.Is(err, ErrNotLeader) {
			r.fail(err)
		}
		return err
	}
	r.ok(time.Since(start))
	_ = r.c.Publish(ctx, r.k("updates"), "1").Err() // followers also poll the version
	return nil
}

func refOf(e Entry) ref {
	r := ref{IDs: make([]string, len(e.Papers)), Fetched: e.Fetched}
	for i := range e.Papers {
		r.IDs[i] = e.Papers[i].ID
	}
	return r
}

func changedIDs(c *Change) []string {
	var ids []string
	for id := range unionKeys(c.Changed, c.FirstSeen) {
		ids = append(ids, id)
	}
	return ids
}

func unionKeys(a, b map[string]time.Time) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// History returns a paper's points, oldest first.
func (r *Redis) History(id string) ([]Point, error) {
	h, err := r.Histories([]string{id})
	return h[id], err
}

// Histories returns the points of several papers in one round trip.
func (r *Redis) Histories(ids []string) (map[string][]Point, error) {
	ctx, cancel := ctxT()
	defer cancel()
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.LRange(ctx, r.k("h:"+id), 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make(map[string][]Point, len(ids))
	for i, cmd := range cmds {
		for _, v := range cmd.Val() {
			if p, err := parsePoint([]byte(v)); err == nil { // a damaged point is left out
				out[ids[i]] = append(out[ids[i]], p)
			}
		}
	}
	return out, nil
}

// Prune applies retention as Bolt.Prune does (leader only).
func (r *Redis) Prune(now time.Time, keep func(key string, fetched time.Time) bool) (int, error) {
	ctx, cancel := ctxT()
	defer cancel()
	refs, err := r.c.HGetAll(ctx, r.k("refs")).Result()
	if err != nil {
		return 0, err
	}
	held := map[string]bool{}
	var gone []string
	unsure := false // a ref could not be read: no paper is dropped this pass
	for k, v := range refs {
		var rf ref
		if err := json.Unmarshal([]byte(v), &rf); err != nil {
			unsure = true
			continue
		}
		if !keep(k, rf.Fetched) {
			gone = append(gone, k)
			continue
		}
		for _, id := range rf.IDs {
			held[id] = true
		}
	}
	ids, err := r.c.HKeys(ctx, r.k("papers")).Result()
	if err != nil {
		return 0, err
	}
	var drop []string
	for _, id := range ids {
		if !held[id] && !unsure {
			drop = append(drop, id)
		}
	}
	hist, err := r.Histories(ids)
	if err != nil {
		return 0, err
	}
	leader := r.k("leader")
	err = r.c.Watch(ctx, func(tx *redis.Tx) error {
		if holder, err := tx.Get(ctx, leader).Result(); err != nil || holder != r.token {
			return ErrNotLeader
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if len(gone) > 0 {
				p.HDel(ctx, r.k("entries"), gone...)
				p.HDel(ctx, r.k("refs"), gone...)
			}
			for _, id := range drop {
				p.HDel(ctx, r.k("papers"), id)
				p.HDel(ctx, r.k("last"), id)
				p.HDel(ctx, r.k("cats"), id)
				p.Del(ctx, r.k("h:"+id))
			}
			for id, h := range hist {
				if !held[id] && !unsure {
					continue
				}
				if thin := Thin(h, now.Add(-thinAfter)); len(thin) < len(h) {
					p.Del(ctx, r.k("h:"+id))
					for _, pt := range thin {
						p.RPush(ctx, r.k("h:"+id), string(pointBytes(pt)))
					}
				}
			}
			return nil
		})
		return err
	}, leader)
	return len(drop), err
}

// Stats returns what /status shows.
func (r *Redis) Stats() Stats {
	r.mu.Lock()
	st := r.stats
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n, err := r.c.HLen(ctx, r.k("papers")).Result(); err == nil {
		st.Papers = int(n)
	}
	if n, err := r.c.HLen(ctx, r.k(quarantineKey)).Result(); err == nil {
		st.Quarantined = n
	}
	if info, err := r.c.Info(ctx, "memory").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				st.Size, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return st
}

// Close releases the lease, if held, and the connection.
func (r *Redis) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.Resign(ctx)
	return r.c.Close()
}
