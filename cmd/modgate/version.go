package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

func init() {
	register(command{
		Name:    "version",
		Summary: "print the module version, VCS revision and Go version of this binary",
		Run:     runVersion,
	})
}

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(stdout, "Usage: modgate version\n\nPrints the build information Go recorded in the binary.")
			return 0
		}
		fmt.Fprintf(stderr, "modgate version: unexpected argument %q\n", args[0])
		return 2
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "modgate version: the binary carries no build information")
		return 1
	}
	fmt.Fprint(stdout, versionText(bi))
	return 0
}

// versionText is the module version (or "(devel)" for a source build), the
// VCS revision with a "+dirty" mark for uncommitted changes, its time, and
// the Go version.
func versionText(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	out := fmt.Sprintf("modgate %s\n", bi.Main.Version)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += "+dirty"
		}
		out += fmt.Sprintf("revision %s\n", rev)
	}
	if t := settings["vcs.time"]; t != "" {
		out += fmt.Sprintf("built from a commit of %s\n", t)
	}
	return out + fmt.Sprintf("go %s\n", bi.GoVersion)
}
