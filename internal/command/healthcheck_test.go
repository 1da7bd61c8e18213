package command

import "testing"

// The default health check asks the instance's own address on loopback.
func TestReadyzURL(t *testing.T) {
	for in, want := range map[string]string{
		":9000":          "http://127.0.0.1:9000/readyz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/readyz",
		"127.0.0.1:8081": "http://127.0.0.1:8081/readyz",
	} {
		if got := readyzURL(in); got != want {
			t.Errorf("readyzURL(%s) = %s, want %s", in, got, want)
		}
	}
}
