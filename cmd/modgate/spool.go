package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/modgate/modgate/internal/datadir"
	"github.com/modgate/modgate/internal/spool"
)

func init() {
	register(command{
		Name:    "spool",
		Summary: "the escalation spool: `spool list` shows pending records and dead letters, `spool requeue` retries dead letters",
		Run:     runSpool,
	})
}

const spoolHelp = `Usage: modgate spool list|requeue [--data-dir DIR] [--json]

The spool (<data dir>/spool) holds review cases the gateway acknowledged
while NATS could not take them; a running gateway replays them. A record NATS
can never take (over its max_payload, unreadable) is moved to the spool's
dead-letter log so the rest goes on.

Subcommands:
  list       pending records and every dead letter (time, reason, case id);
             safe while the gateway runs
  requeue    move the dead letters back into the pending spool after the
             cause was fixed (e.g. NATS max_payload raised); the gateway
             must be stopped (it holds the data directory), and replays
             them at its next start`

func runSpool(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runGroup("spool", spoolHelp, map[string]func([]string) int{
		"list":    func(a []string) int { return runSpoolList(a, stdout, stderr) },
		"requeue": func(a []string) int { return runSpoolRequeue(a, stdout, stderr) },
	}, args, stdout, stderr)
}

// spoolFlags parses --data-dir (default: MODGATE_DATA_DIR, else ./data,
// like serve) and --json.
func spoolFlags(name string, args []string, stderr io.Writer) (dir string, asJSON bool, code int) {
	fs := flag.NewFlagSet("spool "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := DefaultConfig().DataDir
	if v := os.Getenv("MODGATE_DATA_DIR"); v != "" {
		def = v
	}
	d := fs.String("data-dir", def, "the gateway's data directory (env MODGATE_DATA_DIR)")
	j := fs.Bool("json", false, "print JSON instead of text")
	fs.Usage = func() { fmt.Fprintln(stderr, spoolHelp); fs.PrintDefaults() }
	if code, ok := parseFlags(fs, args); !ok {
		return "", false, code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "modgate spool %s: unexpected argument %q\n", name, fs.Arg(0))
		return "", false, 2
	}
	return *d, *j, -1
}

// SpoolReport is `modgate spool list --json`.
type SpoolReport struct {
	Dir          string            `json:"dir"`
	Pending      int               `json:"pending"`
	PendingBytes int64             `json:"pending_bytes"`
	DeadLetters  []SpoolDeadLetter `json:"dead_letters"`
	Corrupt      []string          `json:"corrupt_segments,omitempty"`
}

// SpoolDeadLetter is one dead letter as listed.
type SpoolDeadLetter struct {
	At     string `json:"at"`
	Reason string `json:"reason"`
	CaseID string `json:"case_id,omitempty"`
	Lane   string `json:"lane,omitempty"`
	Bytes  int    `json:"bytes"`
}

func runSpoolList(args []string, stdout, stderr io.Writer) int {
	dir, asJSON, code := spoolFlags("list", args, stderr)
	if code >= 0 {
		return code
	}
	sdir := filepath.Join(dir, "spool")
	if _, err := os.Stat(sdir); err != nil {
		fmt.Fprintf(stderr, "modgate spool list: %s: %v\n", sdir, err)
		return 1
	}
	rep := SpoolReport{Dir: sdir, DeadLetters: []SpoolDeadLetter{}}
	var err error
	if rep.Pending, rep.PendingBytes, err = spool.PendingRecords(sdir); err != nil {
		fmt.Fprintf(stderr, "modgate spool list: %v\n", err)
		return 1
	}
	dls, err := spool.DeadLetters(sdir)
	if err != nil {
		fmt.Fprintf(stderr, "modgate spool list: %v\n", err)
		return 1
	}
	for _, d := range dls {
		x := SpoolDeadLetter{At: d.At.Format("2006-01-02T15:04:05Z07:00"), Reason: d.Reason, Bytes: len(d.Record)}
		var rec struct {
			MsgID string `json:"msg_id"`
			Lane  string `json:"lane"`
		}
		if json.Unmarshal(d.Record, &rec) == nil {
			x.CaseID, x.Lane = printable(rec.MsgID, 64), printable(rec.Lane, 16)
		}
		rep.DeadLetters = append(rep.DeadLetters, x)
	}
	if rep.Corrupt, err = spool.CorruptSegments(sdir); err != nil {
		fmt.Fprintf(stderr, "modgate spool list: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return 0
	}
	fmt.Fprintf(stdout, "spool %s: %d pending (%d bytes), %d dead letters\n", sdir, rep.Pending, rep.PendingBytes, len(rep.DeadLetters))
	for _, d := range rep.DeadLetters {
		fmt.Fprintf(stdout, "dead  %s  case %s  lane %s  %d bytes  %s\n", d.At, orDash(d.CaseID), orDash(d.Lane), d.Bytes, printable(d.Reason, 300))
	}
	for _, c := range rep.Corrupt {
		fmt.Fprintf(stdout, "corrupt segment kept for inspection: %s\n", c)
	}
	return 0
}

func runSpoolRequeue(args []string, stdout, stderr io.Writer) int {
	dir, _, code := spoolFlags("requeue", args, stderr)
	if code >= 0 {
		return code
	}
	lock, err := datadir.Acquire(dir)
	if err != nil {
		fmt.Fprintf(stderr, "modgate spool requeue: %v\n", err)
		return 1
	}
	defer lock.Unlock()
	s, err := spool.Open(filepath.Join(dir, "spool"))
	if err != nil {
		fmt.Fprintf(stderr, "modgate spool requeue: %v\n", err)
		return 1
	}
	defer s.Close()
	n, err := s.RequeueDeadLetters()
	fmt.Fprintf(stdout, "requeued %d dead letters; %d pending, %d dead letters left\n", n, s.Pending(), s.DeadCount())
	if err != nil {
		fmt.Fprintf(stderr, "modgate spool requeue: %v\n", err)
		return 1
	}
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable keeps hostile record content from driving the terminal: control
// characters become '?', and the result is capped.
func printable(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
