package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python runs a Python 3 script with the Debian modules the reference
// checks use (python3-feedparser, the Universal Feed Parser; and
// python3-pybtex and python3-bibtexparser, two BibTeX parsers), input on stdin, and returns its
// output. $PYTHON names the interpreter, else Debian's /usr/bin/python3.
// CI installs them (.ci/install-deps) and fails without them; elsewhere
// the test is skipped.
func Python(t testing.TB, script string, input []byte, modules ...string) string {
	t.Helper()
	py := os.Getenv("PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	check := "import " + strings.Join(append([]string{"sys"}, modules...), ", ")
	if err := exec.Command(py, "-c", check).Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s cannot %q (%v); .ci/install-deps installs python3-feedparser, python3-pybtex and python3-bibtexparser", py, check, err)
		}
		t.Skipf("%s cannot %q; apt-get install python3-feedparser python3-pybtex python3-bibtexparser (CI runs this test)", py, check)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, errb.String())
	}
	return out.String()
}
