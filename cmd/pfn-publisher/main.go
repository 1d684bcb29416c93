// Command pfn-publisher is a reference plugin publisher: it speaks the
// publisher side of docs/protocol.md as a JavaScript publisher of the
// original network does, so that the node's end-to-end tests can run a real
// publisher process. Run it with -help for its flags and catalog rules.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long in-flight requests may run after SIGTERM.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pfn-publisher:", err)
		stop()
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own arguments,
// environment and context.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotateKey(args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	key, created, err := loadKey(cfg.KeyFile)
	if err != nil {
		return err
	}
	if created {
		log.Info("created key file", "path", cfg.KeyFile)
	}
	if cfg.PrintPublicKey {
		text, err := publicKeyPEM(key.Public().(ed25519.PublicKey))
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, text)
		return err
	}
	keys := Keys{Plugin: key, Challenge: key}
	if cfg.ChallengeKeyFile != "" {
		if keys.Challenge, created, err = loadKey(cfg.ChallengeKeyFile); err != nil {
			return fmt.Errorf("challenge key: %w", err)
		}
		if created {
			log.Info("created challenge key file", "path", cfg.ChallengeKeyFile)
		}
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (set -listen or PFNPUB_LISTEN): %w", cfg.Listen, err)
	}
	defer ln.Close()
	base := baseURL(ln.Addr())
	if cfg.AssetDomain == "" {
		cfg.AssetDomain = base
	}
	previous, err := loadPreviousKey(cfg.KeyFile)
	if err != nil {
		return err
	}
	var announce *keyRotation
	if previous != nil {
		instance := cfg.InstanceURL
		if instance == "" {
			instance = base
		}
		if announce, err = announceKey(previous, key, instance, cfg.Username); err != nil {
			return fmt.Errorf("announce the rotated key: %w", err)
		}
	}
	pub, err := NewPublisher(Options{
		KeyRotation:  announce,
		Username:     cfg.Username,
		NamingScheme: cfg.NamingScheme,
		AssetDomain:  cfg.AssetDomain,
		PluginSize:   cfg.PluginSize,
		WithSHA256:   cfg.WithSHA256,
		Admin:        cfg.Admin,
	}, keys, generatePlugins(cfg.Plugins))
	if err != nil {
		return err
	}
	// The two lines a test reads to find the publisher; os.Stdout is not
	// buffered, so they are out as soon as this returns.
	if _, err := fmt.Fprintf(stdout, "listening on %s\npublic key: %s\n", base, rawPublicKey(key)); err != nil {
		return err
	}
	return serve(ctx, ln, withRequestLog(log, pub), log)
}

// serve answers on ln until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// baseURL is the publisher's own URL. A wildcard listener (":8090") is
// reached through the loopback address, which is what a test on the same
// machine dials.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
