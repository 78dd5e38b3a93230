package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modgate/modgate/internal/review"
	"golang.org/x/term"
)

func init() {
	register(command{
		Name:    "user",
		Summary: "manage reviewer accounts: user add|passwd|remove|list --users FILE",
		Run:     runUser,
	})
}

const userUsage = `Usage:
  modgate user add NAME --role reviewer|lead|admin [--users FILE] [--password-stdin]
  modgate user passwd NAME [--role ROLE] [--users FILE] [--password-stdin]
  modgate user remove NAME [--users FILE]
  modgate user list [--users FILE]

The users file holds bcrypt hashes (JSON, or YAML when it ends in .yaml/.yml)
and is rewritten atomically; a running server picks changes up at the next
login. On a terminal the password is asked for twice without echo; with
--password-stdin it is the first line of stdin (for scripts:
modgate user add bob --role reviewer --password-stdin < password-file).
--users defaults to $MODGATE_USERS, then users.yaml.
`

func runUser(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, userUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	defUsers := os.Getenv("MODGATE_USERS")
	if defUsers == "" {
		defUsers = "users.yaml"
	}
	path := fs.String("users", defUsers, "users file")
	role := fs.String("role", "", "role: reviewer, lead or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of asking on the terminal")
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	// Accept the name before or after the flags.
	var name string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if fs.NArg() > 1 || (name != "" && fs.NArg() > 0 && fs.Arg(0) != name) {
		fmt.Fprintf(stderr, "modgate user %s: unexpected arguments %q\n", sub, fs.Args())
		return 2
	}
	users, err := review.OpenUsers(*path)
	if err != nil {
		fmt.Fprintf(stderr, "modgate user: %v\n", err)
		return 1
	}
	needName := func() bool {
		if name == "" {
			fmt.Fprintf(stderr, "modgate user %s: NAME is required\n\n%s", sub, userUsage)
			return false
		}
		return true
	}
	switch sub {
	case "list":
		for _, u := range users.List() {
			fmt.Fprintf(stdout, "%s\t%s\n", u.Name, u.Role)
		}
		return 0
	case "add":
		if !needName() {
			return 2
		}
		if *role == "" {
			fmt.Fprintln(stderr, "modgate user add: --role is required (reviewer, lead or admin)")
			return 2
		}
		pw, err := readPassword(stdin, stderr, *fromStdin)
		if err != nil {
			fmt.Fprintf(stderr, "modgate user add: %v\n", err)
			return passwordExit(err)
		}
		if err := users.AddUser(name, *role, pw); err != nil {
			fmt.Fprintf(stderr, "modgate user add: %s: %v\n", *path, err)
			return 1
		}
		fmt.Fprintf(stdout, "added %s (%s) to %s\n", name, *role, *path)
	case "passwd":
		if !needName() {
			return 2
		}
		pw, err := readPassword(stdin, stderr, *fromStdin)
		if err != nil {
			fmt.Fprintf(stderr, "modgate user passwd: %v\n", err)
			return passwordExit(err)
		}
		if err := users.SetPassword(name, *role, pw); err != nil {
			fmt.Fprintf(stderr, "modgate user passwd: %s: %v\n", *path, err)
			return 1
		}
		fmt.Fprintf(stdout, "changed the password of %s in %s\n", name, *path)
	case "remove":
		if !needName() {
			return 2
		}
		if err := users.RemoveUser(name); err != nil {
			fmt.Fprintf(stderr, "modgate user remove: %s: %v\n", *path, err)
			return 1
		}
		fmt.Fprintf(stdout, "removed %s from %s (their sessions end at the next request)\n", name, *path)
	default:
		fmt.Fprintf(stderr, "modgate user: unknown subcommand %q\n\n%s", sub, userUsage)
		return 2
	}
	return 0
}

// errNoTerminal: without --password-stdin the password is typed on a
// terminal, so a script cannot pass one by accident through a pipe.
var errNoTerminal = errors.New("stdin is not a terminal: pass --password-stdin to read the password from it")

// passwordExit is 2 for a usage error (no terminal, no flag), 1 otherwise.
func passwordExit(err error) int {
	if errors.Is(err, errNoTerminal) {
		return 2
	}
	return 1
}

// readPassword asks twice without echo on a terminal, or reads the first
// line of stdin with --password-stdin.
func readPassword(stdin io.Reader, stderr io.Writer, fromStdin bool) (string, error) {
	f, isFile := stdin.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	if !fromStdin {
		if !tty {
			return "", errNoTerminal
		}
		fmt.Fprint(stderr, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}
