package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `paperfeed notify test NAME` sends one sample message and prints the
// channel's answer; an unknown name says which exist.
func TestNotifyTestCommand(t *testing.T) {
	var got []byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	file := filepath.Join(t.TempDir(), "notify.txt")
	if err := os.WriteFile(file, []byte("agents: webhook $HOOK q=agents\nmail: slack $HOOK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"PAPERFEED_NOTIFY": file, "HOOK": recv.URL + "/in/SECRET", "PAPERFEED_WEBHOOK_SECRET": "k", "PAPERFEED_DATA_DIR": ""}[k]
		return v, ok
	}
	var out, errs bytes.Buffer
	if err := notifyCommand(t.Context(), []string{"test", "agents"}, env, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "webhook http://127.0.0.1") || !strings.Contains(out.String(), "204 No Content") || strings.Contains(out.String(), "SECRET") {
		t.Errorf("answer printed: %q", out.String())
	}
	if !strings.Contains(string(got), "test message") {
		t.Errorf("the receiver got %s", got)
	}
	err := notifyCommand(t.Context(), []string{"test", "nope"}, env, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "it has agents, mail") {
		t.Errorf("unknown subscription: %v", err)
	}
	if err := notifyCommand(t.Context(), []string{"send"}, env, &out, &errs); err == nil || !strings.Contains(err.Error(), "usage: paperfeed notify test NAME") {
		t.Errorf("a wrong subcommand: %v", err)
	}
}
