//go:build !linux

package swapdir

import "errors"

// exchange is not available here: files are replaced one by one.
func exchange(a, b string) error {
	return errors.New("no atomic exchange of directories on this system")
}
