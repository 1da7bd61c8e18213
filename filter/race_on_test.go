//go:build race

package filter

// raceEnabled: the race detector slows the heavier measurements tenfold;
// they are left out of its runs.
const raceEnabled = true
