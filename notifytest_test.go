package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"paperfeed/internal/command"
	"paperfeed/internal/smtptest"
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
	if err := command.Notify(t.Context(), []string{"test", "agents"}, env, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "webhook http://127.0.0.1") || !strings.Contains(out.String(), "204 No Content") || strings.Contains(out.String(), "SECRET") {
		t.Errorf("answer printed: %q", out.String())
	}
	if !strings.Contains(string(got), "test message") {
		t.Errorf("the receiver got %s", got)
	}
	// The webhook's test carries a sample paper, as a real delivery's
	// JSON Feed items do.
	var payload struct {
		Feed struct {
			Items []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
				URL   string `json:"url"`
			} `json:"items"`
		} `json:"feed"`
	}
	if err := json.Unmarshal(got, &payload); err != nil || len(payload.Feed.Items) != 1 ||
		payload.Feed.Items[0].ID != "https://arxiv.org/abs/1706.03762" || !strings.Contains(payload.Feed.Items[0].Title, "Attention Is All You Need") {
		t.Errorf("the webhook's test payload carries no sample paper: %v %s", err, got)
	}
	err := command.Notify(t.Context(), []string{"test", "nope"}, env, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "it has agents, mail") {
		t.Errorf("unknown subscription: %v", err)
	}
	if err := command.Notify(t.Context(), []string{"send"}, env, &out, &errs); err == nil || !strings.Contains(err.Error(), "usage: paperfeed notify test NAME") {
		t.Errorf("a wrong subcommand: %v", err)
	}
}

// `paperfeed notify test mail` tests the line it names: another line
// that could not work (a webhook without its signing key, a variable
// not set) neither stops it nor hides what is wrong with that line.
func TestNotifyTestTriesTheNamedLine(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	file := filepath.Join(t.TempDir(), "notify.txt")
	lines := "hook: webhook https://hooks.example.org/in q=agents\n" +
		"mail: email ann@example.org q=model OR models\n" +
		"chat: slack $UNSET_HOOK\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PAPERFEED_NOTIFY": file, "PAPERFEED_DATA_DIR": "", "PAPERFEED_SMTP_HOST": srv.Host(),
		"PAPERFEED_SMTP_PORT": strconv.Itoa(srv.Port()), "PAPERFEED_SMTP_FROM": "pf@example.org", "PAPERFEED_SMTP_TLS": "none"}
	env := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	var out, errs bytes.Buffer
	if err := command.Notify(t.Context(), []string{"test", "mail"}, env, &out, &errs); err != nil {
		t.Fatalf("notify test mail, with a webhook line that lacks its key: %v", err)
	}
	mails := srv.Wait(1, 5*time.Second)
	if len(mails) != 1 || mails[0].To[0] != "ann@example.org" || !strings.Contains(mails[0].Text, "Attention Is All You Need") {
		t.Fatalf("the SMTP server received %d mails: %+v", len(mails), mails)
	}
	if !strings.Contains(out.String(), "accepted by 127.0.0.1") {
		t.Errorf("answer printed: %q", out.String())
	}
	for name, want := range map[string]string{"hook": "PAPERFEED_WEBHOOK_SECRET", "chat": "UNSET_HOOK is not set"} {
		err := command.Notify(t.Context(), []string{"test", name}, env, &out, &errs)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("notify test %s: %v, want it to say %q", name, err, want)
		}
	}
}
