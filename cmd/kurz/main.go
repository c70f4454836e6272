// Command kurz is the kurz server and its tools. It only wires things together: read the
// config, open the app, run the subcommand.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"kurz/internal/app"
	"kurz/internal/config"
	"kurz/internal/policy"
	"kurz/internal/recsys/offline"
	"kurz/internal/recsys/simulate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kurz:", err)
		os.Exit(1)
	}
}

const usage = `kurz — a self-hostable short-video platform

Usage:
  kurz serve          run the server (SQLite under ./data unless --database-url is set)
  kurz migrate        apply database migrations and exit
  kurz user create    create an account, e.g. the first administrator
  kurz audit verify   check the access transparency log and print its latest checkpoint
  kurz keys rotate    re-wrap every personal-data key under a new master key
  kurz recsys offline evaluate the recommender (and baselines) on interaction files
  kurz recsys simulate  let simulated viewers swipe For You, Trending and random videos on a real server
  kurz version        print the version

Run "kurz serve --help" to see every setting.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New(`unknown user command; try "kurz user create --username NAME --role admin"`)
		}
		return userCreate(ctx, args[2:], stdin, stdout, stderr)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			return errors.New(`unknown audit command; try "kurz audit verify"`)
		}
		return auditVerify(ctx, args[2:], stdout, stderr)
	case "recsys":
		if len(args) >= 2 && args[1] == "simulate" {
			return simulate.RunCommand(ctx, args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "offline" {
			return errors.New(`unknown recsys command; try "kurz recsys offline --help" or "kurz recsys simulate --help"`)
		}
		return offline.RunOffline(ctx, args[2:], stdout)
	case "keys":
		if len(args) < 2 || args[1] != "rotate" {
			return errors.New(`unknown keys command; try "kurz keys rotate"`)
		}
		return keysRotate(ctx, args[2:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "kurz", app.Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// load parses the shared settings plus any command flags registered by extra.
func load(command, summary string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (*config.Config, *slog.Logger, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cmdFlags := flag.NewFlagSet(command, flag.ContinueOnError)
	if extra != nil {
		extra(fs)
		// The same flags, without the settings, for the help text.
		fs.VisitAll(func(f *flag.Flag) { cmdFlags.Var(f.Value, f.Name, f.Usage) })
	}
	settings := config.Register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var shown *flag.FlagSet
			if extra != nil {
				shown = cmdFlags
			}
			config.Usage(stderr, command, summary, shown)
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w (see kurz %s --help)", err, command)
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q (see kurz %s --help)", fs.Arg(0), command)
	}
	cfg, err := config.Load(settings, config.Getenv)
	if err != nil {
		return nil, nil, err
	}
	return cfg, newLogger(cfg, stderr), nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, log, err := load("serve", "Runs the kurz server.", args, stderr, nil)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("kurz is listening", "url", cfg.PublicURL(), "addr", ln.Addr().String(), "engine", a.DB.Dialect,
		"data_dir", cfg.DataDir, "version", a.Version)
	// Background work (processing jobs, sweeps) runs until the server stops.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	background := make(chan struct{})
	go func() { a.Run(bgCtx); close(background) }()
	defer func() {
		stopBackground()
		select { // running jobs may finish; the ones cut off resume elsewhere when their lease ends
		case <-background:
		case <-time.After(cfg.ShutdownTimeout):
			log.Warn("background jobs still running at exit; they will be retried")
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop taking connections; requests in flight get ShutdownTimeout to finish.
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, log, err := load("migrate", "Applies database migrations and exits.", args, stderr, nil)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log) // opening migrates
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database (%s) is at schema version %d\n", a.DB.Dialect, v)
	return nil
}

func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var username, role *string
	var pwStdin *bool
	cfg, log, err := load("user create", "Creates an account; use it to make the first administrator.", args, stderr, func(fs *flag.FlagSet) {
		username = fs.String("username", "", "username of the new account (required)")
		role = fs.String("role", "admin", "user, moderator or admin")
		pwStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input (otherwise one is generated and printed)")
	})
	if err != nil {
		return err
	}
	if *username == "" {
		return errors.New("--username is required")
	}
	password := ""
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	acc, err := a.Auth.CreateAccount(ctx, *username, password, policy.Role(*role))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (id %s)\n", acc.Role, acc.Username, acc.ID)
	if !*pwStdin {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}
