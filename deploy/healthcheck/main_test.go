package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "default", want: "http://127.0.0.1:8080/healthz"},
		{name: "argument wins", args: []string{"http://127.0.0.1:9/x"}, env: map[string]string{"MODGATE_ADDR": ":7000"}, want: "http://127.0.0.1:9/x"},
		{name: "explicit env", env: map[string]string{"MODGATE_HEALTHCHECK_URL": "http://127.0.0.1:1/readyz"}, want: "http://127.0.0.1:1/readyz"},
		{name: "port from MODGATE_ADDR", env: map[string]string{"MODGATE_ADDR": "0.0.0.0:9090"}, want: "http://127.0.0.1:9090/healthz"},
		{name: "bare port", env: map[string]string{"MODGATE_ADDR": ":8181"}, want: "http://127.0.0.1:8181/healthz"},
		{name: "bad addr", env: map[string]string{"MODGATE_ADDR": "nonsense"}, wantErr: true},
		{name: "too many args", args: []string{"a", "b"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := target(tc.args, func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("target = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			io.WriteString(w, `{"status":"ok"}`)
		default:
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	// A port nobody listens on: bind, note, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/healthz"
	l.Close()

	tests := []struct {
		name string
		url  string
		want int
	}{
		{name: "healthy", url: srv.URL + "/healthz", want: 0},
		{name: "503", url: srv.URL + "/readyz", want: 1},
		{name: "connection refused", url: closed, want: 1},
		{name: "malformed url", url: "http://[::1", want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := run([]string{tc.url}, func(string) string { return "" }, io.Discard); got != tc.want {
				t.Fatalf("run(%s) = %d, want %d", tc.url, got, tc.want)
			}
		})
	}
}
