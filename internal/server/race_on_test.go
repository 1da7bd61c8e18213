//go:build race

package server

// raceEnabled: the race detector slows the simulated reader tenfold; it
// reads fewer queries there.
const raceEnabled = true
