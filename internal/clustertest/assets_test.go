package clustertest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// assetSpec is one row of the docs' NATS assets table, parsed.
type assetSpec struct {
	Name       string
	Kind       string // stream | consumer | kv | object
	Stream     string // for consumers
	Subjects   []string
	Retention  string        // limits | workqueue | interest ("" = not stated)
	MaxAge     time.Duration // streams
	Duplicates time.Duration // streams
	TTL        time.Duration // KV (0 with "no TTL")
	AckWait    time.Duration // consumers
	MaxDeliver int           // consumers (0 = not stated)
	PerSubject int64         // streams: messages kept per subject (0 = no limit stated)
	NoDelete   bool
	NoPurge    bool
	Memory     bool // memory storage (default file)
	Line       int
}

var durationRe = regexp.MustCompile(`^(\d+) (days|h|min|s)$`)

func parseDocDuration(s string) (time.Duration, error) {
	m := durationRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("duration %q: want N days|h|min|s", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"days": 24 * time.Hour, "h": time.Hour, "min": time.Minute, "s": time.Second}[m[2]]
	return time.Duration(n) * unit, nil
}

// parseAssetRow reads the Kind, Subjects and Retention cells.
func parseAssetRow(row map[string]string, line int) (assetSpec, error) {
	a := assetSpec{Name: code(row["Asset"]), Subjects: codeSpans(row["Subjects"]), Line: line}
	kind := row["Kind"]
	switch {
	case kind == "stream":
		a.Kind = "stream"
	case kind == "KV":
		a.Kind = "kv"
	case kind == "object store":
		a.Kind = "object"
	case strings.HasPrefix(kind, "consumer on "):
		a.Kind, a.Stream = "consumer", code(kind)
	default:
		return a, fmt.Errorf("line %d: kind %q: want stream, KV, object store or consumer on `STREAM`", line, kind)
	}
	for _, part := range strings.Split(row["Retention"], ",") {
		part = strings.TrimSpace(part)
		var err error
		switch {
		case part == "limits" || part == "workqueue" || part == "interest":
			a.Retention = part
		case strings.HasPrefix(part, "max age "):
			a.MaxAge, err = parseDocDuration(strings.TrimPrefix(part, "max age "))
		case strings.HasPrefix(part, "duplicate window "):
			a.Duplicates, err = parseDocDuration(strings.TrimPrefix(part, "duplicate window "))
		case strings.HasPrefix(part, "TTL "):
			a.TTL, err = parseDocDuration(strings.TrimPrefix(part, "TTL "))
		case part == "no TTL":
		case strings.HasPrefix(part, "ack wait "):
			a.AckWait, err = parseDocDuration(strings.TrimPrefix(part, "ack wait "))
		case strings.HasPrefix(part, "max deliver "):
			a.MaxDeliver, err = strconv.Atoi(strings.TrimPrefix(part, "max deliver "))
		case strings.HasPrefix(part, "max ") && strings.HasSuffix(part, " per subject"):
			a.PerSubject, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(part, "max "), " per subject"), 10, 64)
		case part == "memory":
			a.Memory = true
		case part == "no delete":
			a.NoDelete = true
		case part == "no purge":
			a.NoPurge = true
		default:
			err = fmt.Errorf("unknown retention term %q", part)
		}
		if err != nil {
			return a, fmt.Errorf("line %d: %s: %w", line, a.Name, err)
		}
	}
	return a, nil
}

func TestParseAssetRow(t *testing.T) {
	tests := []struct {
		name    string
		row     map[string]string
		want    assetSpec
		wantErr bool
	}{
		{name: "stream", row: map[string]string{"Asset": "`S`", "Kind": "stream", "Subjects": "`a.>`, `b.>`", "Retention": "limits, max age 30 days, duplicate window 24 h, no delete, no purge"},
			want: assetSpec{Name: "S", Kind: "stream", Subjects: []string{"a.>", "b.>"}, Retention: "limits", MaxAge: 720 * time.Hour, Duplicates: 24 * time.Hour, NoDelete: true, NoPurge: true}},
		{name: "kv", row: map[string]string{"Asset": "`B`", "Kind": "KV", "Retention": "memory, TTL 2 min"},
			want: assetSpec{Name: "B", Kind: "kv", TTL: 2 * time.Minute, Memory: true}},
		{name: "consumer", row: map[string]string{"Asset": "`c`", "Kind": "consumer on `S`", "Subjects": "`a.>`", "Retention": "ack wait 30 s, max deliver 10"},
			want: assetSpec{Name: "c", Kind: "consumer", Stream: "S", Subjects: []string{"a.>"}, AckWait: 30 * time.Second, MaxDeliver: 10}},
		{name: "object store", row: map[string]string{"Asset": "`O`", "Kind": "object store", "Retention": "no TTL"},
			want: assetSpec{Name: "O", Kind: "object"}},
		{name: "unknown term", row: map[string]string{"Asset": "`B`", "Kind": "KV", "Retention": "forever"}, wantErr: true},
		{name: "bad duration", row: map[string]string{"Asset": "`B`", "Kind": "KV", "Retention": "TTL 2 weeks"}, wantErr: true},
		{name: "bad kind", row: map[string]string{"Asset": "`B`", "Kind": "bucket"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAssetRow(tc.row, 1)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			tc.want.Line = 1
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// checkAssetsMatchDocs compares the docs' NATS assets table with the
// streams, buckets and consumers the gateways created, both ways.
func checkAssetsMatchDocs(t *testing.T, js jetstream.JetStream, replicas int) {
	t.Helper()
	table := docTableOf(t, "nats-assets")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	documented := map[string]bool{}
	for i, row := range table.Rows {
		a, err := parseAssetRow(row, table.Lines[i])
		if err != nil {
			t.Errorf("docs/production.md: %v", err)
			continue
		}
		where := fmt.Sprintf("docs/production.md:%d %s", a.Line, a.Name)
		switch a.Kind {
		case "stream", "kv", "object":
			stream := a.Name
			switch a.Kind {
			case "kv":
				stream = "KV_" + a.Name
			case "object":
				stream = "OBJ_" + a.Name
			}
			documented[stream] = true
			var info *jetstream.StreamInfo
			err := retry(ctx, func() error {
				s, err := js.Stream(ctx, stream)
				if err != nil {
					return err
				}
				info, err = s.Info(ctx)
				return err
			})
			if err != nil {
				t.Errorf("%s: stream %s: %v", where, stream, err)
				continue
			}
			c := info.Config
			if c.Replicas != replicas {
				t.Errorf("%s: %d replicas, want %d", where, c.Replicas, replicas)
			}
			wantStorage := jetstream.FileStorage
			if a.Memory {
				wantStorage = jetstream.MemoryStorage
			}
			if c.Storage != wantStorage {
				t.Errorf("%s: storage %s, docs say %s", where, c.Storage, wantStorage)
			}
			if a.Kind == "kv" || a.Kind == "object" {
				if c.MaxAge != a.TTL {
					t.Errorf("%s: TTL %s, docs say %s", where, c.MaxAge, a.TTL)
				}
				continue
			}
			got := slices.Clone(c.Subjects)
			sort.Strings(got)
			want := slices.Clone(a.Subjects)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: subjects %q, docs say %q", where, got, want)
			}
			if a.Retention != "" && strings.ToLower(strings.TrimSuffix(c.Retention.String(), "Policy")) != a.Retention {
				t.Errorf("%s: retention %s, docs say %s", where, c.Retention, a.Retention)
			}
			if c.MaxAge != a.MaxAge {
				t.Errorf("%s: max age %s, docs say %s", where, c.MaxAge, a.MaxAge)
			}
			if a.Duplicates != 0 && c.Duplicates != a.Duplicates {
				t.Errorf("%s: duplicate window %s, docs say %s", where, c.Duplicates, a.Duplicates)
			}
			if a.PerSubject != 0 && c.MaxMsgsPerSubject != a.PerSubject {
				t.Errorf("%s: %d messages per subject, docs say %d", where, c.MaxMsgsPerSubject, a.PerSubject)
			}
			if c.DenyDelete != a.NoDelete || c.DenyPurge != a.NoPurge {
				t.Errorf("%s: deny delete/purge %v/%v, docs say %v/%v", where, c.DenyDelete, c.DenyPurge, a.NoDelete, a.NoPurge)
			}
		case "consumer":
			var info *jetstream.ConsumerInfo
			err := retry(ctx, func() error {
				cons, err := js.Consumer(ctx, a.Stream, a.Name)
				if err != nil {
					return err
				}
				info, err = cons.Info(ctx)
				return err
			})
			if err != nil {
				t.Errorf("%s: consumer on %s: %v", where, a.Stream, err)
				continue
			}
			c := info.Config
			if c.Durable != a.Name {
				t.Errorf("%s: not durable (%q)", where, c.Durable)
			}
			subjects := c.FilterSubjects
			if c.FilterSubject != "" {
				subjects = append(subjects, c.FilterSubject)
			}
			if !slices.Equal(subjects, a.Subjects) {
				t.Errorf("%s: filter %q, docs say %q", where, subjects, a.Subjects)
			}
			if c.AckWait != a.AckWait {
				t.Errorf("%s: ack wait %s, docs say %s", where, c.AckWait, a.AckWait)
			}
			if a.MaxDeliver != 0 && c.MaxDeliver != a.MaxDeliver {
				t.Errorf("%s: max deliver %d, docs say %d", where, c.MaxDeliver, a.MaxDeliver)
			}
			if c.Replicas != replicas && !(c.Replicas == 0 && info.Cluster != nil && len(info.Cluster.Replicas)+1 == replicas) {
				t.Errorf("%s: %d replicas, want %d", where, c.Replicas, replicas)
			}
		}
	}
	// Every modgate stream or bucket in the cluster is documented.
	names := js.StreamNames(ctx)
	for n := range names.Name() {
		if (strings.HasPrefix(n, "MODGATE_") || strings.HasPrefix(n, "KV_MODGATE_") || strings.HasPrefix(n, "OBJ_MODGATE_")) && !documented[n] {
			t.Errorf("stream %s exists in the cluster but is not in the docs/production.md assets table", n)
		}
	}
	if err := names.Err(); err != nil {
		t.Errorf("list streams: %v", err)
	}
}
