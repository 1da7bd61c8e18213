// Package command is paperfeed's command line: its settings (every flag
// with an environment default, validated, read into server.Config), the
// server's run (Serve: listeners, the service, graceful shutdown) and
// the subcommands (Export, Healthcheck, Notify). Package main only
// dispatches to it.
package command
