package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// What every command's file (serve.go, migrate.go, admin.go, events.go,
// projections.go) shares: loading its configuration, its -h and its logger.

// commandConfig loads the configuration with the command's flags and
// refuses arguments left after them.
func commandConfig(getenv func(string) string, fs *flag.FlagSet, args []string, show flagGroup) (Config, error) {
	cfg, rest, err := loadConfigFlags(getenv, fs, args, show)
	if err != nil {
		return cfg, err
	}
	if len(rest) > 0 {
		return cfg, fmt.Errorf("%s: unexpected arguments %q", fs.Name(), rest)
	}
	return cfg, nil
}

// setUsage makes -h print what the command does and its own flags.
func setUsage(fs *flag.FlagSet, synopsis, what string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n\nFlags (a flag wins over the PFN_ variable named beside it):\n", synopsis, what)
		fs.PrintDefaults()
	}
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
