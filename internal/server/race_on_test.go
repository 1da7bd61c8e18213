//go:build race

package server

// raceEnabled: the race detector slows the simulated reader tenfold; it
// runs without it (.ci/run).
const raceEnabled = true
