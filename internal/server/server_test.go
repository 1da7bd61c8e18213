package server

import "testing"

func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{"example.org": true, "127.0.0.1:8080": true, "[::1]:80": true, "": false,
		"evil.org/<script>": false, "a b": false, `x"y`: false} {
		if validHost(h) != want {
			t.Errorf("validHost(%q) = %v", h, !want)
		}
	}
}
