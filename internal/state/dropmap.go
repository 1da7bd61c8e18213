package state

import "io"

// dropEvery is how much of the file a start reads before it drops the
// pages read so far: reading a month of state then holds at most about
// this much of the file resident at once, not all of it.
const dropEvery = 4 << 20

// readDropper drops the state file's pages as records are read and
// copied out (see mapping): a large record's own pages at once, and
// every page of the mapping after each dropEvery bytes read (small
// records share pages, and the B-tree's branch pages are touched too).
// A page dropped and read again faults in from the page cache.
type readDropper struct {
	m      mapping
	anchor []byte // a slice inside the mapping, for advice on all of it
	read   int
}

// done is called once v has been decoded (nothing keeps a reference to
// it).
func (d *readDropper) done(v []byte) {
	if len(v) == 0 {
		return
	}
	if d.anchor == nil && d.m.holds(v) {
		d.anchor = v
	}
	d.m.dropPages(v)
	if d.read += len(v); d.read >= dropEvery {
		d.m.dropAll(d.anchor)
		d.read = 0
	}
}

// maxFolio is the most a page fault on the file may map: a huge page of
// the page cache's.
const maxFolio = 2 << 20

// walked counts n bytes mapped without being copied out (keys visited
// on the way), dropping every page after each dropEvery.
func (d *readDropper) walked(n int) {
	if d.read += n; d.read >= dropEvery && d.anchor != nil {
		d.m.dropAll(d.anchor)
		d.read = 0
	}
}

// start turns readahead off for the mapping, anchored on the first key
// of bucket-sized data (the meta bucket's values are not in the
// mapping: it is inline).
func (d *readDropper) start(first []byte) {
	if d.m.holds(first) {
		d.anchor = first
		d.m.noReadahead(first)
	}
}

// finish drops every page once the read is over.
func (d *readDropper) finish() { d.m.dropAll(d.anchor) }

// reader reads v, a record in the mapping, dropping its pages behind it
// a megabyte at a time (a decoder copies a large record out whole before
// decoding it, so a month's largest entries would otherwise sit mapped
// in full while they are copied).
func (d *readDropper) reader(v []byte) io.Reader { return &droppingReader{m: d.m, v: v} }

type droppingReader struct {
	m            mapping
	v            []byte
	off, dropped int
}

const dropStep = 1 << 20

func (r *droppingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.v) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), dropStep)], r.v[r.off:])
	r.off += n
	if r.off-r.dropped >= dropStep {
		r.m.dropPages(r.v[r.dropped:r.off])
		r.dropped = r.off
	}
	return n, nil
}
