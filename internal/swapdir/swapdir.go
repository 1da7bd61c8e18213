// Package swapdir replaces a directory's content whole: the new files
// are written into a fresh directory beside it, then the two are
// exchanged in one step (renameat2 RENAME_EXCHANGE), so a web server
// reading the directory sees the previous content or the new one, never
// half of each; a write that fails leaves the previous content as it
// was. Nothing is written through a link: the new tree is made from
// scratch, and a directory that is itself a symbolic link is refused.
// Where the exchange is not possible (the directory is a mount point,
// another file system, a system without renameat2), each file is
// replaced by a rename of its own, and the log says so.
package swapdir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Write writes files (by slash path) as the whole content of dir.
func Write(dir string, files map[string][]byte, log *slog.Logger) error {
	dir = filepath.Clean(dir)
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; name the directory itself (nothing is written through links)", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after the exchange: the previous content
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fillTree(tmp, files); err != nil {
		return err
	}
	if fi == nil { // no previous content
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		return nil
	}
	if err := exchange(tmp, dir); err == nil {
		return nil
	} else {
		log.Warn("could not swap the directory whole; replacing its files one by one", "dir", dir, "reason", err)
	}
	return replaceFiles(dir, files)
}

// fillTree writes files into an empty directory.
func fillTree(root string, files map[string][]byte) error {
	for name, body := range files {
		path, err := inside(root, name)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// inside is name's path under root; a name that would leave root is an
// error.
func inside(root, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("%q is not a path inside the directory", name)
	}
	return filepath.Join(root, filepath.FromSlash(name)), nil
}

// replaceFiles puts each file in place with a rename of its own: a
// rename replaces a link in dir, never what it points to. Directories
// on the way must be real directories.
func replaceFiles(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path, err := inside(dir, name)
		if err != nil {
			return err
		}
		for d := filepath.Dir(path); d != dir && strings.HasPrefix(d, dir); d = filepath.Dir(d) {
			if fi, err := os.Lstat(d); err == nil && !fi.IsDir() {
				return fmt.Errorf("swapdir: %s is not a directory (a link?); nothing is written through links", d)
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
		if err != nil {
			return err
		}
		_, werr := f.Write(files[name])
		cerr := f.Close()
		if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
			os.Remove(f.Name())
			return err
		}
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return err
		}
	}
	return nil
}
