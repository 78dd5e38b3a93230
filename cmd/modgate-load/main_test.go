package main

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBuiltInMix(t *testing.T) {
	tests := []struct {
		name  string
		share float64
		want  int
	}{
		{"default 15%", 0.15, 30},
		{"none", 0, 0},
		{"half", 0.5, 100},
	}
	flagged := map[string]bool{}
	for _, f := range flaggedTexts {
		flagged[f] = true
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			texts, err := loadTexts(options{flaggedShare: tc.share})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range texts {
				if flagged[s] {
					n++
				}
			}
			if len(texts) != 200 || n != tc.want {
				t.Fatalf("%d texts, %d flagged; want 200, %d", len(texts), n, tc.want)
			}
		})
	}
}

// TestLoadStepsAgainstEcho runs the max and fixed-rate steps briefly against
// the real echo handler on loopback.
func TestLoadStepsAgainstEcho(t *testing.T) {
	srv := httptest.NewServer(echoHandler())
	defer srv.Close()
	o := options{conns: 4, duration: 300 * time.Millisecond, warmup: 50 * time.Millisecond}
	texts, _ := loadTexts(options{flaggedShare: 0.15})
	ctx := context.Background()
	r, err := maxThroughput(ctx, o, srv.URL+"/v1/screen", texts, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests == 0 || r.errors != 0 || r.pct(99) < r.pct(50) {
		t.Fatalf("max step: %+v", r)
	}
	f, err := fixedRate(ctx, o, srv.URL+"/v1/screen", texts, 200, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 200/s for 300ms measured: about 60 requests.
	if f.requests < 30 || f.requests > 90 || f.errors != 0 {
		t.Fatalf("fixed-rate step sent %d (errors %d), want about 60", f.requests, f.errors)
	}
	// A wrong endpoint counts errors, not successes.
	if _, err := maxThroughput(ctx, o, srv.URL+"/nope", texts, 1, 0); err == nil || !strings.Contains(err.Error(), "no successful requests") {
		t.Fatalf("wrong endpoint: %v", err)
	}
}

func TestCPUAccounting(t *testing.T) {
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i % 7
	}
	_ = x
	if procCPU(os.Getpid()) <= 0 || selfCPU() <= 0 {
		t.Fatalf("no CPU time read: proc %v self %v", procCPU(os.Getpid()), selfCPU())
	}
	if procCPU(-1) != 0 || procCPU(1<<30) != 0 {
		t.Fatal("bad pid must read as 0")
	}
}
