// Command replay serves recorded Hugging Face (and arXiv) responses on a
// local port, so paperfeed can run, be load-tested and be checked in CI
// without the network:
//
//	go run ./bench/replay -addr 127.0.0.1:9090 -data testdata
//	PAPERFEED_HF_URL=http://127.0.0.1:9090 go run .
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"

	"paperfeed/internal/standin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9090", "address to listen on")
	data := flag.String("data", "testdata", "directory of recorded responses")
	flag.Parse()
	mux, err := standin.NewSite(*data, standin.SiteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "replay: serving recorded upstreams on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, counted(mux)))
}

// counted counts every request by its path and query, and answers
// /_replay/hits with the counts (JSON), for checks of how often a
// deployment asked the upstreams.
func counted(h http.Handler) http.Handler {
	var mu sync.Mutex
	hits := map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_replay/hits" {
			mu.Lock()
			defer mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(hits)
			return
		}
		mu.Lock()
		hits[r.URL.RequestURI()]++
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
}
