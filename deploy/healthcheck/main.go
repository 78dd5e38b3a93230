// Command healthcheck is the container probe for the modgate image. The
// runtime image is distroless (no shell, no curl, no wget), so Docker's
// HEALTHCHECK runs this tiny static binary instead: it GETs one URL on the
// loopback interface and exits 0 on a 2xx answer, 1 otherwise.
//
// The URL is the first argument, else MODGATE_HEALTHCHECK_URL, else
// /healthz on the port of MODGATE_ADDR (default 8080).
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	url, err := target(args, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 2
	}
	// No proxy: the probe must reach this container's own listener.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}

// target picks the URL to probe.
func target(args []string, getenv func(string) string) (string, error) {
	switch {
	case len(args) > 1:
		return "", fmt.Errorf("usage: healthcheck [URL]")
	case len(args) == 1:
		return args[0], nil
	case getenv("MODGATE_HEALTHCHECK_URL") != "":
		return getenv("MODGATE_HEALTHCHECK_URL"), nil
	}
	port := "8080"
	if addr := getenv("MODGATE_ADDR"); addr != "" {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return "", fmt.Errorf("MODGATE_ADDR %q: %w", addr, err)
		}
		if p != "" && p != "0" {
			port = p
		}
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz", nil
}
