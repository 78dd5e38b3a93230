package review

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
)

// TestDocsRetentionMatchesServer: the asset table in docs/review.md states
// the retentions the server configures (it once said 7 days for the
// escalations stream the gateway keeps 30).
func TestDocsRetentionMatchesServer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `MODGATE_") {
			name := strings.Trim(strings.Split(line, "|")[1], " `")
			rows[name] = line
		}
	}
	days := func(d time.Duration) string { return fmt.Sprintf("max-age %d d", int(d/(24*time.Hour))) }
	cfg := Config{}.withDefaults()
	want := map[string][]string{
		modgate.StreamEscalations: {days(natsutil.DefaultEscalationMaxAge), fmt.Sprintf("dedupe window %d h", int(natsutil.DefaultDuplicateWindow/time.Hour))},
		StreamEvents:              {days(cfg.EventsMaxAge)},
		StreamAudit:               {fmt.Sprintf("max-age **%d d**", int(cfg.AuditMaxAge/(24*time.Hour)))},
		BucketStrikes:             {days(cfg.StrikeTTL)},
		BucketSessions:            {fmt.Sprintf("%d min", int(cfg.SessionTTL/time.Minute))},
	}
	for name, parts := range want {
		row, ok := rows[name]
		if !ok {
			t.Errorf("docs/review.md has no row for %s", name)
			continue
		}
		for _, p := range parts {
			if !strings.Contains(row, p) {
				t.Errorf("docs/review.md row %s lacks %q (the server's setting):\n%s", name, p, row)
			}
		}
	}
}
