package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// bbolt reads its file through a memory mapping. A file cut short (a
// copy interrupted, a full disk at the wrong moment, a careless
// truncate) maps pages past its end, and touching one of them is a
// SIGBUS that recover cannot catch: the process dies at every start.
// Two defences, in this order:
//
//  1. Before bbolt opens a file, checkLength reads its two meta pages
//     the way bbolt does (magic, version, checksum; the newer valid
//     one wins) and refuses a file shorter than the pages that meta
//     says it holds (its high-water mark times the page size). That
//     catches every truncation below the data's end, wherever it cuts.
//  2. Every access to the mapping runs with debug.SetPanicOnFault, so
//     a fault on a damaged or missing page becomes a panic the access
//     recovers from and reports as a damaged file (errCorrupt), which
//     the service answers by moving the file aside.

// Layout of a bbolt meta page (go.etcd.io/bbolt/internal/common): a
// 16-byte page header, then magic, version, page size, flags (4 bytes
// each), the root bucket (root page, sequence), the freelist page, the
// high-water mark, the transaction ID and the checksum (8 bytes each);
// the checksum is FNV-1a 64 over the meta up to itself. Values are in
// the machine's byte order.
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	pageHeaderSize  = 16
	metaSize        = 64
	metaChecksumOff = 56
)

type boltMeta struct {
	pageSize uint32
	highMark uint64 // pages the file holds
	txid     uint64
}

// parseBoltMeta reads the meta of the page at the start of b.
func parseBoltMeta(b []byte) (boltMeta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return boltMeta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	ne := binary.NativeEndian
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumOff])
	if h.Sum64() != ne.Uint64(m[metaChecksumOff:]) {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: ne.Uint32(m[8:]), highMark: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, true
}

// checkLength refuses (errCorrupt) a state file shorter than its valid
// meta pages say it is. A file without a valid meta page is left to
// bbolt, which refuses it in its own words.
func checkLength(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return err
	}
	read := func(off int64) []byte {
		b := make([]byte, pageHeaderSize+metaSize)
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil
		}
		return b
	}
	m0, ok0 := parseBoltMeta(read(0))
	second := int64(os.Getpagesize())
	if ok0 {
		second = int64(m0.pageSize)
	}
	m1, ok1 := parseBoltMeta(read(second))
	var m boltMeta
	switch {
	case ok0 && ok1:
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
	case ok0:
		m = m0
	case ok1:
		m = m1
	default:
		return nil
	}
	if m.pageSize == 0 || m.highMark > 1<<40 {
		return errCorrupt{fmt.Errorf("meta page holds page size %d and %d pages", m.pageSize, m.highMark)}
	}
	if need := int64(m.highMark) * int64(m.pageSize); fi.Size() < need {
		return errCorrupt{fmt.Errorf("file cut short: %d bytes, its pages need %d", fi.Size(), need)}
	}
	return nil
}

// guarded runs an access to the mapped file, turning a fault on a
// damaged page (or a panic of bbolt over one) into errCorrupt. what
// names the access for the error.
func guarded(what string, f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = errCorrupt{fmt.Errorf("damaged page met while %s: %v", what, p)}
		}
	}()
	return f()
}
