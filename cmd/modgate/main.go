// Command modgate is the content-moderation gateway: it serves the screening
// API and the review queue, and gives compliance staff offline checks.
// Each subcommand lives in its own file and registers itself in init.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. Run returns the process exit code.
type command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) { commands[c.Name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.Run(ctx, []string{"--help"}, stdin, stdout, stderr)
			}
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "modgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.Run(ctx, args[1:], stdin, stdout, stderr)
}

// parseFlags parses a subcommand's arguments. ok is false when the command
// must stop with code: 0 after -h (fset.Usage has printed the help), 2 for a
// bad flag (the flag package has said which).
func parseFlags(fset *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "modgate — content-moderation and compliance gateway")
	fmt.Fprintln(w, "\nUsage: modgate <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "  help       show this list, or `modgate help COMMAND`")
}

// runGroup runs a command group's subcommand (`lexicon lint`, `policy test`):
// help with no or a help argument (exit 2 when nothing was asked), an error
// naming the known subcommands otherwise.
func runGroup(group, help string, subs map[string]func(args []string) int, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, help)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	run, ok := subs[args[0]]
	if !ok {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(stderr, "modgate %s: unknown subcommand %q (want %s)\n", group, args[0], strings.Join(names, ", "))
		return 2
	}
	return run(args[1:])
}
