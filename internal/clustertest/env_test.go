package clustertest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	tenantKey = "cluster-tenant-key"
	adminKey  = "cluster-admin-key"
	// reviewText is escalated by the shipped policies (a stock-tip offer).
	reviewText = "带你炒股"
	reviewers  = 4
	password   = "correct horse battery staple"
)

// clusterEnv is the gateway environment of the compose file, pointed at the
// in-process cluster.
func clusterEnv(t *testing.T, c *natsCluster, users string) map[string]string {
	root := repoRoot(t)
	return map[string]string{
		"MODGATE_NATS_URL":           c.URLs(),
		"MODGATE_STREAM_REPLICAS":    "3",
		"MODGATE_POLICY_DIR":         filepath.Join(root, "policies"),
		"MODGATE_LEXICON_DIR":        filepath.Join(root, "lexicons"),
		"MODGATE_FAIL_MODE":          "closed",
		"MODGATE_API_KEYS":           "t1=" + tenantKey,
		"MODGATE_ADMIN_KEY":          adminKey,
		"MODGATE_USERS":              users,
		"MODGATE_PATROL_RATE":        "0", // every case below is one the test asked for
		"MODGATE_ESCALATION_TIMEOUT": "1s",
		"MODGATE_SHUTDOWN_TIMEOUT":   "5s",
	}
}

// addUsers writes a users file with the reviewers through `modgate user add`.
func addUsers(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.yaml")
	for i := range reviewers + 1 { // the last one is the chaos scenarios' own
		cmd := exec.Command(modgateBinary(t), "user", "add", reviewerName(i), "--role", "reviewer", "--users", path, "--password-stdin")
		cmd.Stdin = strings.NewReader(password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("modgate user add: %v\n%s", err, out)
		}
	}
	return path
}

// chaosReviewer is the reviewer index only chaos scenarios use.
const chaosReviewer = reviewers

func reviewerName(i int) string { return fmt.Sprintf("rev-%d", i) }
