package clustertest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"
)

// No Docker engine runs where the tests run, so compose.yaml is validated by
// loading it with compose-go (the library `docker compose` itself uses:
// schema validation, interpolation, merge keys, profiles, path resolution)
// and checking the loaded model against docs/production.md and the config
// files the services mount.

// testKeys stand in for the operator's keys when interpolating compose.yaml.
var testKeys = map[string]string{
	"MODGATE_API_KEYS":  "t1=test-tenant-key",
	"MODGATE_ADMIN_KEY": "test-admin-key",
}

func loadCompose(tb testing.TB, env map[string]string, profiles ...string) (*types.Project, error) {
	tb.Helper()
	root := repoRoot(tb)
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(envList), // never the test process's environment
		cli.WithProfiles(profiles),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(tb testing.TB, profiles ...string) *types.Project {
	tb.Helper()
	p, err := loadCompose(tb, testKeys, profiles...)
	if err != nil {
		tb.Fatalf("load compose.yaml: %v", err)
	}
	return p
}

func readDoc(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), "docs", "production.md"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func docTableOf(tb testing.TB, name string) docTable {
	tb.Helper()
	t, err := parseDocTable(readDoc(tb), name)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// allServices is the enabled and profile-disabled services together.
func allServices(p *types.Project) map[string]types.ServiceConfig {
	out := map[string]types.ServiceConfig{}
	for n, s := range p.Services {
		out[n] = s
	}
	for n, s := range p.DisabledServices {
		out[n] = s
	}
	return out
}

// gatewayServices are the services built from the repository's Dockerfile.
func gatewayServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, s := range allServices(p) {
		if s.Build != nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// natsServices are the services running nats-server.
func natsServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, s := range allServices(p) {
		if len(s.Command) > 0 && s.Command[0] == "nats-server" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// relSource shows a bind source relative to the repository ("./x").
func relSource(root, src string) string {
	if rel, err := filepath.Rel(root, src); err == nil && !strings.HasPrefix(rel, "..") {
		return "./" + filepath.ToSlash(rel)
	}
	return src
}

func mountStrings(root string, s types.ServiceConfig) []string {
	var out []string
	for _, v := range s.Volumes {
		src := v.Source
		if v.Type == types.VolumeTypeBind {
			src = relSource(root, src)
		}
		m := src + ":" + v.Target
		if v.ReadOnly {
			m += ":ro"
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func portStrings(s types.ServiceConfig) []string {
	var out []string
	for _, p := range s.Ports {
		ps := p.Published + ":" + strconv.Itoa(int(p.Target))
		if p.HostIP != "" {
			ps = p.HostIP + ":" + ps
		}
		out = append(out, ps)
	}
	sort.Strings(out)
	return out
}

func sortedCodes(cell string) []string {
	c := codeSpans(cell)
	sort.Strings(c)
	return c
}

// TestComposeServicesMatchDocs checks every service of compose.yaml against
// the services table of docs/production.md, both ways.
func TestComposeServicesMatchDocs(t *testing.T) {
	root := repoRoot(t)
	p := mustLoadCompose(t)
	svcs := allServices(p)
	table := docTableOf(t, "compose-services")

	documented := map[string]bool{}
	for i, row := range table.Rows {
		name := code(row["Service"])
		documented[name] = true
		t.Run(name, func(t *testing.T) {
			s, ok := svcs[name]
			if !ok {
				t.Fatalf("docs/production.md:%d documents service %q, compose.yaml has none", table.Lines[i], name)
			}
			if got, want := s.Image, code(row["Image"]); got != want {
				t.Errorf("image = %q, docs say %q", got, want)
			}
			if strings.Contains(row["Image"], "Dockerfile") {
				if s.Build == nil {
					t.Errorf("docs say built from Dockerfile, compose.yaml has no build")
				} else {
					if s.Build.Context != root {
						t.Errorf("build context = %q, want the repository root", s.Build.Context)
					}
					if s.Build.Dockerfile != "Dockerfile" {
						t.Errorf("build dockerfile = %q", s.Build.Dockerfile)
					}
				}
			} else if s.Build != nil {
				t.Errorf("compose.yaml builds %s; docs do not say so", name)
			}
			if got, want := portStrings(s), sortedCodes(row["Published"]); !slices.Equal(got, want) {
				t.Errorf("published ports = %q, docs say %q", got, want)
			}
			if got, want := mountStrings(root, s), sortedCodes(row["Mounts"]); !slices.Equal(got, want) {
				t.Errorf("mounts = %q, docs say %q", got, want)
			}
			for _, v := range s.Volumes {
				if v.Type == types.VolumeTypeBind {
					if _, err := os.Stat(v.Source); err != nil {
						t.Errorf("bind source %s does not exist in the repository: %v", relSource(root, v.Source), err)
					}
				}
			}
			hc := s.HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] != "CMD" {
				t.Fatalf("healthcheck = %+v, want an exec-form CMD", hc)
			}
			if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
				t.Errorf("healthcheck needs interval, timeout and retries: %+v", hc)
			}
			wantURL := code(row["Healthcheck"])
			if !slices.Contains([]string(hc.Test), wantURL) {
				t.Errorf("healthcheck %q does not probe %q as documented", hc.Test, wantURL)
			}
			if got, want := s.Profiles, codeSpans(row["Profile"]); !slices.Equal(got, want) {
				t.Errorf("profiles = %q, docs say %q", got, want)
			}
		})
	}
	for name := range svcs {
		if !documented[name] {
			t.Errorf("compose.yaml service %q is missing from the docs/production.md services table", name)
		}
	}
}

// TestComposeVolumesMatchDocs: named volumes, both ways, and each is used.
func TestComposeVolumesMatchDocs(t *testing.T) {
	p := mustLoadCompose(t)
	table := docTableOf(t, "compose-volumes")
	var documented []string
	for _, row := range table.Rows {
		documented = append(documented, code(row["Volume"]))
	}
	sort.Strings(documented)
	declared := slices.Sorted(func(yield func(string) bool) {
		for n := range p.Volumes {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(declared, documented) {
		t.Fatalf("compose.yaml volumes %q, docs/production.md documents %q", declared, documented)
	}
	used := map[string]bool{}
	for _, s := range allServices(p) {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume {
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s mounts undeclared volume %q", s.Name, v.Source)
				}
				if used[v.Source] {
					// Each store belongs to one container: two NATS nodes or two
					// spools in one directory would corrupt each other.
					t.Errorf("volume %q is mounted by more than one service", v.Source)
				}
				used[v.Source] = true
			}
		}
	}
	for _, n := range declared {
		if !used[n] {
			t.Errorf("volume %q is declared but no service mounts it", n)
		}
	}
}

// TestComposeGatewayEnvMatchesDocs: every gateway replica has exactly the
// documented environment.
func TestComposeGatewayEnvMatchesDocs(t *testing.T) {
	p := mustLoadCompose(t)
	table := docTableOf(t, "compose-env")
	want := map[string]string{}
	interp := regexp.MustCompile(`^\$\{([A-Z0-9_]+)\}$`)
	for _, row := range table.Rows {
		name, val := code(row["Variable"]), code(row["Value in compose.yaml"])
		if m := interp.FindStringSubmatch(val); m != nil {
			val = testKeys[m[1]] // taken from the operator's environment
		}
		want[name] = val
	}
	gws := gatewayServices(p)
	if len(gws) < 2 {
		t.Fatalf("compose.yaml has %d gateway replicas, want at least 2", len(gws))
	}
	for _, s := range gws {
		t.Run(s.Name, func(t *testing.T) {
			got := map[string]string{}
			for k, v := range s.Environment {
				if v == nil {
					t.Errorf("%s has no value in compose.yaml", k)
					continue
				}
				got[k] = *v
			}
			for k, v := range want {
				g, ok := got[k]
				switch {
				case !ok:
					t.Errorf("documented variable %s is not set", k)
				case g != v:
					t.Errorf("%s = %q, docs say %q", k, g, v)
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s is set in compose.yaml but not documented", k)
				}
			}
		})
	}
}

// TestComposeRequiresKeys: a gateway without keys only listens on loopback,
// which in a container means unreachable; compose must refuse to start.
func TestComposeRequiresKeys(t *testing.T) {
	for _, missing := range []string{"MODGATE_API_KEYS", "MODGATE_ADMIN_KEY"} {
		t.Run(missing, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range testKeys {
				if k != missing {
					env[k] = v
				}
			}
			_, err := loadCompose(t, env)
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Fatalf("loading without %s: err = %v, want an error naming it", missing, err)
			}
		})
	}
}

// TestComposeProfiles: Prometheus only runs with --profile monitoring.
func TestComposeProfiles(t *testing.T) {
	tests := []struct {
		name     string
		profiles []string
		enabled  bool
	}{
		{name: "default", enabled: false},
		{name: "monitoring", profiles: []string{"monitoring"}, enabled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustLoadCompose(t, tc.profiles...)
			_, on := p.Services["prometheus"]
			if on != tc.enabled {
				t.Fatalf("prometheus enabled = %v, want %v", on, tc.enabled)
			}
			for _, n := range []string{"nats-1", "nats-2", "nats-3", "modgate-1", "modgate-2", "lb"} {
				if _, ok := p.Services[n]; !ok {
					t.Errorf("service %s not enabled", n)
				}
			}
		})
	}
}

// TestComposeStartupOrder: gateways wait for every NATS node to be healthy,
// the load balancer for every gateway.
func TestComposeStartupOrder(t *testing.T) {
	p := mustLoadCompose(t)
	check := func(svc types.ServiceConfig, deps []types.ServiceConfig) {
		t.Helper()
		for _, d := range deps {
			dep, ok := svc.DependsOn[d.Name]
			if !ok {
				t.Errorf("%s does not depend on %s", svc.Name, d.Name)
				continue
			}
			if dep.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s waits for %s to be %q, want service_healthy", svc.Name, d.Name, dep.Condition)
			}
		}
	}
	gws, nodes := gatewayServices(p), natsServices(p)
	for _, g := range gws {
		check(g, nodes)
	}
	check(p.Services["lb"], gws)
}

// natsOptions parses a NATS service's command line exactly as nats-server
// would, with the container path of its config file mapped to the file in
// the repository.
func natsOptions(t *testing.T, root string, s types.ServiceConfig) *server.Options {
	t.Helper()
	args := slices.Clone([]string(s.Command[1:]))
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "--config" && args[i] != "-c" {
			continue
		}
		mapped := ""
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && v.Target == args[i+1] {
				mapped = v.Source
			}
		}
		if mapped == "" {
			t.Fatalf("%s: config %s is not bind-mounted from the repository", s.Name, args[i+1])
		}
		args[i+1] = mapped
	}
	fs := flag.NewFlagSet("nats-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	noop := func() {}
	opts, err := server.ConfigureOptions(fs, args, noop, noop, noop)
	if err != nil {
		t.Fatalf("%s: nats-server %q: %v", s.Name, s.Command[1:], err)
	}
	return opts
}

// TestComposeNATSCluster checks the three NATS nodes with the real server's
// option parser: names, JetStream on a mounted volume, routes to every node,
// ports matching the healthcheck and the gateways' NATS URL, and a replica
// count the cluster can hold.
func TestComposeNATSCluster(t *testing.T) {
	root := repoRoot(t)
	p := mustLoadCompose(t)
	nodes := natsServices(p)
	if len(nodes) != 3 {
		t.Fatalf("compose.yaml has %d nats-server services, want 3", len(nodes))
	}
	hosts := map[string]bool{}
	for _, n := range nodes {
		hosts[n.Name] = true
	}
	var clientURLs []string
	clusterName := ""
	for _, n := range nodes {
		t.Run(n.Name, func(t *testing.T) {
			o := natsOptions(t, root, n)
			if o.ServerName != n.Name {
				t.Errorf("server name = %q, want the service name %q", o.ServerName, n.Name)
			}
			if !o.JetStream {
				t.Error("JetStream is off")
			}
			onVolume := false
			for _, v := range n.Volumes {
				if v.Type == types.VolumeTypeVolume && (o.StoreDir == v.Target || strings.HasPrefix(o.StoreDir, v.Target+"/")) {
					onVolume = true
				}
			}
			if !onVolume {
				t.Errorf("JetStream store_dir %q is not on a named volume", o.StoreDir)
			}
			if o.Cluster.Name == "" || o.Cluster.Port == 0 {
				t.Errorf("cluster name %q port %d: want both set", o.Cluster.Name, o.Cluster.Port)
			}
			if clusterName != "" && o.Cluster.Name != clusterName {
				t.Errorf("cluster name %q differs from %q", o.Cluster.Name, clusterName)
			}
			clusterName = o.Cluster.Name
			routed := map[string]bool{}
			for _, r := range o.Routes {
				if r.Port() != strconv.Itoa(o.Cluster.Port) {
					t.Errorf("route %s does not use the cluster port %d", r, o.Cluster.Port)
				}
				routed[r.Hostname()] = true
			}
			for h := range hosts {
				if !routed[h] {
					t.Errorf("no route to %s", h)
				}
			}
			hcURL := ""
			for _, a := range n.HealthCheck.Test {
				if strings.HasPrefix(a, "http://") {
					hcURL = a
				}
			}
			u, err := url.Parse(hcURL)
			if err != nil || u.Port() != strconv.Itoa(o.HTTPPort) || u.Path != "/healthz" || u.Query().Get("js-enabled-only") != "true" {
				t.Errorf("healthcheck %q does not probe /healthz?js-enabled-only=true on the monitoring port %d", hcURL, o.HTTPPort)
			}
			clientURLs = append(clientURLs, "nats://"+net.JoinHostPort(n.Name, strconv.Itoa(o.Port)))
		})
	}
	for _, g := range gatewayServices(p) {
		urlVar := g.Environment["MODGATE_NATS_URL"]
		if urlVar == nil {
			t.Fatalf("%s: MODGATE_NATS_URL not set", g.Name)
		}
		got := strings.Split(*urlVar, ",")
		sort.Strings(got)
		sort.Strings(clientURLs)
		if !slices.Equal(got, clientURLs) {
			t.Errorf("%s: MODGATE_NATS_URL lists %q, want every node %q", g.Name, got, clientURLs)
		}
		rep := g.Environment["MODGATE_STREAM_REPLICAS"]
		if rep == nil {
			t.Fatalf("%s: MODGATE_STREAM_REPLICAS not set", g.Name)
		}
		if n, err := strconv.Atoi(*rep); err != nil || n != len(nodes) {
			t.Errorf("%s: MODGATE_STREAM_REPLICAS = %q, want %d (every node holds every asset)", g.Name, *rep, len(nodes))
		}
	}
}

// gatewayPort is the container port the gateways listen on (MODGATE_ADDR).
func gatewayPort(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	v := s.Environment["MODGATE_ADDR"]
	if v == nil {
		t.Fatalf("%s: MODGATE_ADDR not set", s.Name)
	}
	_, port, err := net.SplitHostPort(*v)
	if err != nil {
		t.Fatalf("%s: MODGATE_ADDR %q: %v", s.Name, *v, err)
	}
	return port
}

// TestComposeBalancerAndScrapeTargets: nginx's upstream and Prometheus's
// targets list exactly the gateway replicas on their listen port.
func TestComposeBalancerAndScrapeTargets(t *testing.T) {
	root := repoRoot(t)
	p := mustLoadCompose(t, "monitoring")
	var want []string
	for _, g := range gatewayServices(p) {
		want = append(want, net.JoinHostPort(g.Name, gatewayPort(t, g)))
		for _, port := range g.Ports {
			if strconv.Itoa(int(port.Target)) != gatewayPort(t, g) {
				t.Errorf("%s publishes container port %d, listens on %s", g.Name, port.Target, gatewayPort(t, g))
			}
		}
	}
	sort.Strings(want)

	ngx, err := os.ReadFile(filepath.Join(root, "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var upstream []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([^\s;{]+)[^;{]*;`).FindAllStringSubmatch(string(ngx), -1) {
		upstream = append(upstream, m[1])
	}
	sort.Strings(upstream)
	if !slices.Equal(upstream, want) {
		t.Errorf("deploy/nginx.conf upstream %q, want the gateway replicas %q", upstream, want)
	}
	lbPorts := portStrings(p.Services["lb"])
	if len(lbPorts) != 1 || !regexp.MustCompile(`(?m)^\s*listen\s+`+regexp.QuoteMeta(strconv.Itoa(int(p.Services["lb"].Ports[0].Target)))+`;`).Match(ngx) {
		t.Errorf("lb publishes %q but deploy/nginx.conf listens elsewhere", lbPorts)
	}

	promFile, err := os.ReadFile(filepath.Join(root, "deploy", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(promFile, &prom); err != nil {
		t.Fatalf("deploy/prometheus.yml: %v", err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName != "modgate" {
			continue
		}
		if sc.MetricsPath != "/metrics" {
			t.Errorf("metrics_path = %q", sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	sort.Strings(targets)
	if !slices.Equal(targets, want) {
		t.Errorf("deploy/prometheus.yml targets %q, want the gateway replicas %q", targets, want)
	}
}

// TestDockerfile checks the properties docs/production.md promises of the
// image: static binary, non-root, a healthcheck that works without a shell.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	var froms, users []string
	var healthcheck string
	lines := strings.Split(strings.ReplaceAll(df, "\\\n", " "), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
		case "USER":
			users = append(users, f[1])
		case "HEALTHCHECK":
			healthcheck = l
		}
	}
	tests := []struct {
		name string
		ok   bool
		msg  string
	}{
		{"multi-stage", len(froms) >= 2 && strings.HasPrefix(froms[0], "golang:1.26"), fmt.Sprintf("FROM lines %q", froms)},
		{"static binary", strings.Contains(df, "CGO_ENABLED=0"), "no CGO_ENABLED=0 build"},
		{"distroless runtime", strings.HasPrefix(froms[len(froms)-1], "gcr.io/distroless/static"), "runtime " + froms[len(froms)-1]},
		{"non-root", len(users) > 0 && !strings.HasPrefix(users[len(users)-1], "0") && !strings.HasPrefix(users[len(users)-1], "root"), fmt.Sprintf("USER %q", users)},
		{"exec-form healthcheck", strings.Contains(healthcheck, `CMD ["/usr/local/bin/healthcheck"`), "HEALTHCHECK " + healthcheck},
		{"probe is built", strings.Contains(df, "./deploy/healthcheck"), "deploy/healthcheck not built"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Error(tc.msg)
			}
		})
	}
}
