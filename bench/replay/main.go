// Command replay serves recorded Hugging Face (and arXiv) responses on a
// local port, so paperfeed can run, be load-tested and be checked in CI
// without the network:
//
//	go run ./bench/replay -addr 127.0.0.1:9090 -data testdata
//	PAPERFEED_HF_URL=http://127.0.0.1:9090 go run .
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"paperfeed/internal/upstream"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9090", "address to listen on")
	data := flag.String("data", "testdata", "directory of recorded responses")
	flag.Parse()
	mux, err := upstream.NewSite(*data, upstream.SiteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "replay: serving recorded upstreams on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
