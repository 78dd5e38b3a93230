package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func init() {
	register(command{
		Name:    "serve",
		Summary: "run the screening API with embedded NATS JetStream (see serve --help)",
		Run:     runServe,
	})
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	out := stderr
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			out = stdout // asked-for help is output, not an error
		}
	}
	cfg, fs, err := LoadConfig(args, os.Getenv, out)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "modgate:", err)
		return 2
	}
	if p := fs.Lookup("print-config"); p != nil && p.Value.String() == "true" {
		if err := printConfig(stdout, cfg); err != nil {
			fmt.Fprintln(stderr, "modgate:", err)
			return 1
		}
		return 0
	}
	log, err := NewLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "modgate:", err)
		return 2
	}
	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		log.Error("modgate failed to start", "err", err)
		return 1
	}
	<-ctx.Done()
	log.Info("shutting down: draining requests and flushing publishes")
	if err := m.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}
