package standin

import (
	"net/http"
	"strings"
	"sync"
)

// recorder is what every replay keeps of its traffic: the requests each
// path received and the faults set on path prefixes.
type recorder struct {
	recMu  sync.Mutex
	faults map[string]Fault
	hits   map[string]int
}

func newRecorder() recorder {
	return recorder{faults: map[string]Fault{}, hits: map[string]int{}}
}

// SetFault makes requests whose path (with query) starts with prefix
// misbehave; a zero Fault clears it.
func (rc *recorder) SetFault(prefix string, f Fault) {
	rc.recMu.Lock()
	defer rc.recMu.Unlock()
	if f == (Fault{}) {
		delete(rc.faults, prefix)
		return
	}
	rc.faults[prefix] = f
}

// Hits returns how many requests each path received.
func (rc *recorder) Hits() map[string]int {
	rc.recMu.Lock()
	defer rc.recMu.Unlock()
	out := make(map[string]int, len(rc.hits))
	for k, v := range rc.hits {
		out[k] = v
	}
	return out
}

// record counts a request and returns the fault set for it: the one of
// the longest matching prefix, or none.
func (rc *recorder) record(r *http.Request) Fault {
	uri := r.URL.RequestURI()
	rc.recMu.Lock()
	defer rc.recMu.Unlock()
	rc.hits[r.URL.Path]++
	var fault Fault
	best := -1
	for prefix, f := range rc.faults {
		if strings.HasPrefix(uri, prefix) && len(prefix) > best {
			fault, best = f, len(prefix)
		}
	}
	return fault
}
