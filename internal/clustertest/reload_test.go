package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
)

// copyFiles copies the files of src whose names end in one of exts into a
// new folder (the "mount" both replicas watch).
func copyFiles(t *testing.T, src string, exts ...string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() || !slices.ContainsFunc(exts, func(x string) bool { return strings.HasSuffix(e.Name(), x) }) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no %v files in %s", exts, src)
	}
	return dst
}

// writeLikeAnEditor replaces a file the way editors save: write a temporary
// file beside it, then rename it over the original.
func writeLikeAnEditor(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type revisionResponse struct {
	Policy          string  `json:"policy"`
	Lexicon         string  `json:"lexicon"`
	LastReloadError *string `json:"last_reload_error"`
}

func revisionOf(t *testing.T, c *client, g *gateway) revisionResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rr revisionResponse
	st, b, err := c.do(ctx, http.MethodGet, g.baseURL()+"/v1/admin/revision", adminKey, nil, &rr)
	if err != nil || st != http.StatusOK {
		t.Fatalf("%s revision: %d %s %v", g.name, st, b, err)
	}
	return rr
}

// waitRevisions polls every replica until ok holds for all of them.
func waitRevisions(t *testing.T, c *client, gws []*gateway, what string, ok func(revisionResponse) bool) []revisionResponse {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var revs []revisionResponse
		all := true
		for _, g := range gws {
			r := revisionOf(t, c, g)
			revs = append(revs, r)
			all = all && ok(r)
		}
		if all {
			return revs
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas did not reach %s within 45s: %+v", what, revs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func screenOn(t *testing.T, c *client, g *gateway, text string) modgate.Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v modgate.Verdict
	st, b, err := c.do(ctx, http.MethodPost, g.baseURL()+"/v1/screen", tenantKey, map[string]any{"text": text}, &v)
	if err != nil || st != http.StatusOK {
		t.Fatalf("%s screen: %d %s %v", g.name, st, b, err)
	}
	return v
}

func hasTerm(v modgate.Verdict, term string) bool {
	for _, m := range v.Matches {
		if m.Term == term {
			return true
		}
	}
	return false
}

// TestClusterHotReloadReachesEveryReplica: the compose setup mounts one
// policies folder and one lexicons folder into every replica, and each
// replica watches its mount. Editing a file must reach every replica (same
// new revision, same new verdicts); a broken file must leave every replica
// on its old engine, reporting the error.
func TestClusterHotReloadReachesEveryReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node NATS cluster and two gateway processes")
	}
	root := repoRoot(t)
	policies := copyFiles(t, filepath.Join(root, "policies"), ".rego", ".json")
	lexicons := copyFiles(t, filepath.Join(root, "lexicons"), ".txt")
	c := startNATSCluster(t)
	env := clusterEnv(t, c, "")
	env["MODGATE_POLICY_DIR"], env["MODGATE_LEXICON_DIR"] = policies, lexicons
	cl := newClient()
	var gws []*gateway
	for i := range 2 {
		g := newGateway(t, fmt.Sprintf("modgate-%d", i+1), env)
		g.start(t)
		waitReady(t, cl, g.baseURL(), 30*time.Second)
		gws = append(gws, g)
	}
	before := waitRevisions(t, cl, gws, "the same revision", func(r revisionResponse) bool { return r.Lexicon != "" && r.LastReloadError == nil })
	if before[0] != before[1] {
		t.Fatalf("replicas on one mount start on different revisions: %+v", before)
	}

	const term = "集群测试荐股群"
	const text = "欢迎加入" + term
	for _, g := range gws {
		if v := screenOn(t, cl, g, text); hasTerm(v, term) {
			t.Fatalf("%s matches %s before it was added: %+v", g.name, term, v.Matches)
		}
	}

	// 1. A new lexicon file reaches both replicas.
	writeLikeAnEditor(t, filepath.Join(lexicons, "zz_cluster.txt"),
		"# added by the cluster test\n@category finance.solicit\n@severity 2\n"+term+"\n")
	after := waitRevisions(t, cl, gws, "a new lexicon revision", func(r revisionResponse) bool {
		return r.Lexicon != before[0].Lexicon && r.LastReloadError == nil
	})
	if after[0].Lexicon != after[1].Lexicon || after[0].Policy != before[0].Policy {
		t.Fatalf("revisions after the lexicon edit: %+v (before %+v)", after, before[0])
	}
	for _, g := range gws {
		v := screenOn(t, cl, g, text)
		if !hasTerm(v, term) || v.Action == modgate.ActionAllow {
			t.Errorf("%s after reload: action %s matches %+v, want %s matched and not allowed", g.name, v.Action, v.Matches, term)
		}
		if v.Revision.Lexicon != after[0].Lexicon {
			t.Errorf("%s verdict names lexicon revision %s, serving %s", g.name, v.Revision.Lexicon, after[0].Lexicon)
		}
	}

	// 2. A broken policy file: every replica keeps the engine it had and
	// says why.
	broken := filepath.Join(policies, "zz_broken.rego")
	writeLikeAnEditor(t, broken, "package modgate.broken\n\nthis is not rego {\n")
	failed := waitRevisions(t, cl, gws, "a reported reload error", func(r revisionResponse) bool { return r.LastReloadError != nil })
	for i, r := range failed {
		if r.Policy != after[i].Policy || r.Lexicon != after[i].Lexicon {
			t.Errorf("%s changed revision on a broken file: %+v, was %+v", gws[i].name, r, after[i])
		}
		if !strings.Contains(*r.LastReloadError, "zz_broken.rego") {
			t.Errorf("%s reload error does not name the file: %s", gws[i].name, *r.LastReloadError)
		}
		if v := screenOn(t, cl, gws[i], text); !hasTerm(v, term) {
			t.Errorf("%s stopped serving the last good engine: %+v", gws[i].name, v)
		}
	}

	// 3. Removing the broken file clears the error everywhere.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	waitRevisions(t, cl, gws, "a clean reload", func(r revisionResponse) bool {
		return r.LastReloadError == nil && r.Lexicon == after[0].Lexicon
	})
}
