// Package cli is the stackcheck command line: `helm stackcheck preflight|lint|verify`.
package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/klog/v2"

	"github.com/stack-charts/stack/plugin/internal/check"
	"github.com/stack-charts/stack/plugin/internal/kube"
	"github.com/stack-charts/stack/plugin/internal/render"
	"github.com/stack-charts/stack/plugin/internal/report"
	"github.com/stack-charts/stack/plugin/pkg/chartload"
)

// Exit codes.
const (
	ExitOK       = 0 // every check passed
	ExitCannot   = 1 // the tool could not run: no cluster, bad kubeconfig, timeout
	ExitBadInput = 2 // the chart, the values or the flags are invalid
	ExitFailed   = 3 // a check failed
	ExitWarnings = 4 // only warnings (with --fail-on warn, the default)
)

// exitError carries an exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func cannot(err error) error   { return &exitError{ExitCannot, err} }
func badInput(err error) error { return &exitError{ExitBadInput, err} }

// Hooks for tests: how clients are made (client-go fakes in unit tests).
var connect = func(kubeContext, namespace string, timeout time.Duration) (*kube.Clients, string, error) {
	s := kube.Settings(kubeContext, namespace)
	c, err := kube.Connect(s, timeout)
	return c, s.Namespace(), err
}

type common struct {
	kubeContext, namespace, output, failOn string
	only, skip                             []string
	timeout                                time.Duration
}

func (c *common) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&c.namespace, "namespace", "n", "", "namespace of the release (default: $HELM_NAMESPACE, the kubeconfig's, or default)")
	f.StringVar(&c.kubeContext, "kube-context", "", "kubeconfig context (default: $HELM_KUBECONTEXT or the current one)")
	f.StringVarP(&c.output, "output", "o", "table", "output format: "+strings.Join(report.Formats, ", "))
	f.StringSliceVar(&c.only, "only", nil, "run only these checks (comma-separated or repeated)")
	f.StringSliceVar(&c.skip, "skip", nil, "skip these checks")
	f.StringVar(&c.failOn, "fail-on", "warn", "lowest status that makes the exit code non-zero: warn (exit 4 on warnings) or fail")
	f.DurationVar(&c.timeout, "timeout", 2*time.Minute, "how long the whole run may take")
}

func (c *common) validate() error {
	if c.failOn != "warn" && c.failOn != "fail" {
		return badInput(fmt.Errorf("--fail-on %q: want warn or fail", c.failOn))
	}
	for _, f := range report.Formats {
		if f == c.output {
			return nil
		}
	}
	return badInput(fmt.Errorf("--output %q: want one of %s", c.output, strings.Join(report.Formats, ", ")))
}

// finish writes the report and turns the worst status into the exit code.
func (c *common) finish(w io.Writer, rep *report.Report) error {
	if err := rep.Write(w, c.output); err != nil {
		return cannot(err)
	}
	switch rep.Summary.Status {
	case check.Fail:
		return &exitError{ExitFailed, nil}
	case check.Warn:
		if c.failOn == "warn" {
			return &exitError{ExitWarnings, nil}
		}
	}
	return nil
}

type valueFlags struct{ opts values.Options }

func (v *valueFlags) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&v.opts.ValueFiles, "values", "f", nil, "values file (repeatable)")
	f.StringArrayVar(&v.opts.Values, "set", nil, "set a value: key=val (repeatable)")
	f.StringArrayVar(&v.opts.StringValues, "set-string", nil, "set a string value: key=val (repeatable)")
	f.StringArrayVar(&v.opts.FileValues, "set-file", nil, "set a value from a file: key=path (repeatable)")
	f.StringArrayVar(&v.opts.JSONValues, "set-json", nil, "set a JSON value: key=json (repeatable)")
	f.StringArrayVar(&v.opts.LiteralValues, "set-literal", nil, "set a literal string value, no escaping: key=val (repeatable)")
}

// chartSource is where CHART comes from, as `helm install` takes it: a directory, a packaged
// .tgz, repo/chart (a repository added with `helm repo add`), oci://registry/path/chart, or a
// chart name with --repo URL; --version pins the version (default: the latest stable). The TLS,
// plain-HTTP and --verify/--keyring flags are helm install's, for repositories and registries.
type chartSource struct {
	version, repo                    string
	caFile, certFile, keyFile        string
	insecureSkipTLSVerify, plainHTTP bool
	verify                           bool
	keyring                          string
}

func (s *chartSource) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.version, "version", "", "chart version (repository and OCI charts; default: the latest)")
	f.StringVar(&s.repo, "repo", "", "chart repository URL to find CHART in")
	f.StringVar(&s.caFile, "ca-file", "", "verify the repository's or registry's certificate with this CA bundle")
	f.StringVar(&s.certFile, "cert-file", "", "client certificate for the repository or registry")
	f.StringVar(&s.keyFile, "key-file", "", "client key for the repository or registry")
	f.BoolVar(&s.insecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip the repository's or registry's certificate check")
	f.BoolVar(&s.plainHTTP, "plain-http", false, "reach the registry over HTTP")
	f.BoolVar(&s.verify, "verify", false, "verify the chart's provenance (a packaged, repository or OCI chart) before checking it")
	f.StringVar(&s.keyring, "keyring", defaultKeyring(), "public keys for --verify")
}

func defaultKeyring() string {
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".gnupg", "pubring.gpg")
	}
	return ""
}

// registryClient is Helm's OCI client with the source's TLS settings (as helm install makes it).
func (s *chartSource) registryClient(credentials string) (*registry.Client, error) {
	opts := []registry.ClientOption{registry.ClientOptCredentialsFile(credentials), registry.ClientOptWriter(io.Discard)}
	if s.plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if s.caFile != "" || s.certFile != "" || s.insecureSkipTLSVerify {
		cfg := &tls.Config{InsecureSkipVerify: s.insecureSkipTLSVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's --insecure-skip-tls-verify
		if s.caFile != "" {
			pem, err := os.ReadFile(s.caFile)
			if err != nil {
				return nil, badInput(fmt.Errorf("--ca-file: %w", err))
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, badInput(fmt.Errorf("--ca-file %s: no PEM certificate in it", s.caFile))
			}
		}
		if s.certFile != "" || s.keyFile != "" {
			pair, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
			if err != nil {
				return nil, badInput(fmt.Errorf("--cert-file/--key-file: %w", err))
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts = append(opts, registry.ClientOptHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}}))
	}
	rc, err := registry.NewClient(opts...)
	if err != nil {
		return nil, cannot(fmt.Errorf("registry client: %w", err))
	}
	return rc, nil
}

// load locates the chart (downloading a repository or OCI chart into Helm's cache) and loads it.
// The default release name is a directory's name, else the chart's own (an archive's or a
// download's file name is no release name).
func (s *chartSource) load(ref, kubeContext, namespace string) (*helmchart.Chart, string, error) {
	path := ref
	fi, statErr := os.Stat(ref)
	if first, _, ok := strings.Cut(filepath.ToSlash(ref), "/"); statErr != nil && s.repo == "" && !registry.IsOCI(ref) && ok {
		// repo/chart or a path? A first segment that is a local directory says path.
		if d, err := os.Stat(first); filepath.IsAbs(ref) || strings.HasPrefix(ref, ".") || (err == nil && d.IsDir()) {
			return nil, "", badInput(fmt.Errorf("load chart %s: no such file or directory", ref))
		}
	}
	local := statErr == nil && s.repo == "" && s.version == "" && !s.verify
	if !local {
		settings := kube.Settings(kubeContext, namespace)
		rc, err := s.registryClient(settings.RegistryConfig)
		if err != nil {
			return nil, "", err
		}
		locate := action.NewInstall(&action.Configuration{RegistryClient: rc})
		locate.SetRegistryClient(rc)
		o := &locate.ChartPathOptions
		o.Version, o.RepoURL = s.version, s.repo
		o.CaFile, o.CertFile, o.KeyFile, o.InsecureSkipTLSverify, o.PlainHTTP = s.caFile, s.certFile, s.keyFile, s.insecureSkipTLSVerify, s.plainHTTP
		o.Verify, o.Keyring = s.verify, s.keyring
		if path, err = o.LocateChart(ref, settings); err != nil {
			return nil, "", badInput(fmt.Errorf("locate chart %s: %w", ref, err))
		}
	}
	ch, err := render.Load(path)
	if err != nil {
		return nil, "", badInput(err)
	}
	if local && fi.IsDir() {
		return ch, filepath.Base(filepath.Clean(ref)), nil
	}
	return ch, ch.Name(), nil
}

func (v *valueFlags) merge() (map[string]any, error) {
	vals, err := v.opts.MergeValues(getter.Providers{})
	if err != nil {
		return nil, badInput(fmt.Errorf("values: %w", err))
	}
	return vals, nil
}

// releaseAndChart reads [RELEASE] CHART (no RELEASE: "", see chartSource.load).
func releaseAndChart(args []string) (string, string) {
	if len(args) == 2 {
		return args[0], args[1]
	}
	return "", args[0]
}

// New is the root command.
func New(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "stackcheck",
		Short: "Check a cluster against a chart before installing it, lint a chart, verify a release",
		Long: `stackcheck renders the chart the way helm install would and checks what it renders:

  preflight [RELEASE] CHART   against the live cluster, before anything is installed
  lint CHART                  the chart alone (no cluster): pod standards, PDBs, NetworkPolicies, APIs
  verify RELEASE              after the install: workloads available, PVCs bound, certificates ready

Cluster access follows Helm: KUBECONFIG, HELM_KUBECONTEXT, HELM_NAMESPACE and the HELM_KUBE*
variables, then --kube-context and --namespace.

Exit codes: 0 passed, 1 could not run (no cluster, bad kubeconfig, timeout), 2 bad input (chart,
values or flags), 3 a check failed, 4 only warnings (0 with --fail-on fail).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(preflightCmd(stdout), lintCmd(stdout), verifyCmd(stdout), versionCmd(stdout))
	return root
}

// checkTiming prints how long each check took when STACKCHECK_TIMING is set (nil otherwise).
func checkTiming(stderr io.Writer) func(string, time.Duration) {
	if os.Getenv("STACKCHECK_TIMING") == "" {
		return nil
	}
	var mu sync.Mutex
	return func(name string, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "stackcheck:   check %-16s %6.1f ms\n", name, float64(took.Microseconds())/1000)
	}
}

// phase prints how long a step took when STACKCHECK_TIMING is set (where a slow run spends its time).
func phase(stderr io.Writer, name string, since time.Time) time.Time {
	if os.Getenv("STACKCHECK_TIMING") != "" {
		fmt.Fprintf(stderr, "stackcheck: %-10s %6.1f ms\n", name, float64(time.Since(since).Microseconds())/1000)
	}
	return time.Now()
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	// client-go logs retries and cancellations through klog; the report says what matters.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	// A run lasts a fraction of a second and allocates ~60 MB rendering the umbrella over a live
	// heap of ~10 MB: collecting at 4x the live heap instead of 2x took a fifth off the render, and
	// at 20x (one collection after the package inits, ~110 MB resident instead of ~85) the full
	// preflight's median went 222 -> 213, 248 -> 229 and 239 -> 237 ms (three interleaved runs of
	// 21, 31 and 21; no collection at all was no faster before the render allocated less). A
	// chart whose live heap is larger is collected before 512 MiB. An explicit GOGC or GOMEMLIMIT
	// still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(2000)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	// STACKCHECK_CPUPROFILE=<file> writes the run's CPU profile (`go tool pprof`), for where a
	// slow run spends its CPU; several runs' profiles merge (`go tool pprof -top a b c`).
	if p := os.Getenv("STACKCHECK_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	root := New(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "stackcheck: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags or commands, wrong argument counts.
	fmt.Fprintf(stderr, "stackcheck: %v\n", err)
	return ExitBadInput
}

func checkList(all []check.Check) string {
	var b strings.Builder
	for _, c := range all {
		fmt.Fprintf(&b, "  %-15s %s\n", c.Name(), c.Description())
	}
	return b.String()
}

func preflightCmd(stdout io.Writer) *cobra.Command {
	var c common
	var v valueFlags
	var src chartSource
	cmd := &cobra.Command{
		Use:   "preflight [RELEASE] CHART",
		Short: "Check the cluster can take the release, before helm install",
		Long:  "Renders CHART with the values, as helm install would for this cluster, and checks the cluster against it. Nothing is created (dry-runs only).\n\nChecks:\n" + checkList(check.Preflight()),
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			checks, err := check.Select(check.Preflight(), c.only, c.skip)
			if err != nil {
				return badInput(err)
			}
			release, chartPath := releaseAndChart(args)
			vals, err := v.merge()
			if err != nil {
				return err
			}
			t := time.Now()
			// The chart loads while the cluster is asked for its version and APIs (the render
			// needs both); the chart's error comes first: one that does not load is bad input
			// (2), whether or not a cluster answers.
			// The dependencies' conditions and import-values are applied there too (they need no
			// cluster).
			type chartLoad struct {
				ch             *helmchart.Chart
				prepared       *chartload.Prepared
				defaultRelease string
				err            error
				took           time.Duration
			}
			loading := make(chan chartLoad, 1)
			go func() {
				ch, def, err := src.load(chartPath, c.kubeContext, c.namespace)
				var prepared *chartload.Prepared
				if err == nil {
					prepared = chartload.Prepare(ch, vals)
				}
				loading <- chartLoad{ch, prepared, def, err, time.Since(t)}
			}()
			ctx, cancel := context.WithTimeout(cmd.Context(), c.timeout)
			defer cancel()
			clients, ns, connErr := connect(c.kubeContext, c.namespace, c.timeout)
			var apis []string
			var reads *check.Reads
			if connErr == nil {
				// What the checks read of the cluster whatever the release holds (nodes, pods,
				// Services, classes, the namespace, the user's rules) is asked now, and answered
				// while the chart loads and renders.
				reads = check.NewReads(clients)
				reads.Prefetch(ctx, checks, release, ns)
				apis, connErr = clients.APIVersions()
			}
			tookDiscovery := time.Since(t)
			l := <-loading
			if l.err != nil {
				return l.err
			}
			if connErr != nil {
				return cannot(connErr)
			}
			if release == "" {
				release = l.defaultRelease
			}
			loaded := l.ch
			if os.Getenv("STACKCHECK_TIMING") != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "stackcheck: %-10s %6.1f ms (alongside discovery, dependencies applied)\nstackcheck: %-10s %6.1f ms\n", "load", float64(l.took.Microseconds())/1000, "discovery", float64(tookDiscovery.Microseconds())/1000)
			}
			t = time.Now()
			res, err := render.Render(render.Options{Chart: chartPath, Loaded: loaded, Prepared: l.prepared, Values: vals, Release: release, Namespace: ns, KubeVersion: clients.Server.GitVersion, APIVersions: apis})
			if err != nil {
				return badInput(err)
			}
			t = phase(cmd.ErrOrStderr(), "render", t)
			env := &check.Env{Release: release, Namespace: ns, Objects: res.Objects, ChartKubeVersion: res.Chart.Metadata.KubeVersion, Clients: clients, ChartCRDs: res.CRDs,
				Timing: checkTiming(cmd.ErrOrStderr()), Reads: reads}
			results := check.Run(ctx, checks, env)
			phase(cmd.ErrOrStderr(), "checks", t)
			if ctx.Err() != nil {
				return cannot(fmt.Errorf("timed out after %s", c.timeout))
			}
			return c.finish(stdout, report.New("preflight", chartPath, release, ns, clients.Server.GitVersion, results))
		},
	}
	c.flags(cmd)
	v.flags(cmd)
	src.flags(cmd)
	return cmd
}

func lintCmd(stdout io.Writer) *cobra.Command {
	var c common
	var v valueFlags
	var src chartSource
	var kubeVersion, release, config string
	var apiVersions []string
	cmd := &cobra.Command{
		Use:   "lint CHART",
		Short: "Check a chart without a cluster (CI)",
		Long:  "Renders CHART with the values for --kube-version and checks the objects alone.\n\nChecks:\n" + checkList(check.Lint()),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			checks, err := check.Select(check.Lint(), c.only, c.skip)
			if err != nil {
				return badInput(err)
			}
			kv, err := chartutil.ParseKubeVersion(kubeVersion)
			if err != nil {
				return badInput(fmt.Errorf("--kube-version %q: %w", kubeVersion, err))
			}
			vals, err := v.merge()
			if err != nil {
				return err
			}
			ns := c.namespace
			if ns == "" {
				ns = os.Getenv("HELM_NAMESPACE") // as helm plugins receive it (no cluster to ask)
			}
			if ns == "" {
				ns = "default"
			}
			loaded, defaultRelease, err := src.load(args[0], "", ns)
			if err != nil {
				return err
			}
			if release == "" {
				release = defaultRelease
			}
			res, err := render.Render(render.Options{Chart: args[0], Loaded: loaded, Values: vals, Release: release, Namespace: ns, KubeVersion: kv.Version, APIVersions: apiVersions})
			if err != nil {
				return badInput(err)
			}
			clients := &kube.Clients{Server: &version.Info{Major: kv.Major, Minor: kv.Minor, GitVersion: kv.Version}}
			env := &check.Env{Release: release, Namespace: ns, Objects: res.Objects, ChartKubeVersion: res.Chart.Metadata.KubeVersion, Clients: clients, ChartCRDs: res.CRDs}
			policy := &check.Policy{}
			if config != "" {
				if policy, err = check.LoadPolicy(config, check.Lint()); err != nil {
					return badInput(fmt.Errorf("--config: %w", err))
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), c.timeout)
			defer cancel()
			return c.finish(stdout, report.New("lint", args[0], release, ns, "", policy.Apply(check.Run(ctx, checks, env), env.Objects)))
		},
	}
	c.flags(cmd)
	v.flags(cmd)
	cmd.Flags().StringVar(&kubeVersion, "kube-version", chartload.DefaultKubeVersion, "Kubernetes version to render for and check API lifecycles against")
	cmd.Flags().StringSliceVar(&apiVersions, "api-versions", nil, "API versions the target cluster serves (as helm template --api-versions)")
	cmd.Flags().StringVar(&release, "release", "", "release name to render with (default: the chart's directory name, or the chart's own name)")
	cmd.Flags().StringVar(&config, "config", "", "a policy file: severities per check (error, warning, info) and exemptions of objects, each with a reason")
	src.flags(cmd)
	return cmd
}

func verifyCmd(stdout io.Writer) *cobra.Command {
	var c common
	var wait bool
	cmd := &cobra.Command{
		Use:   "verify RELEASE",
		Short: "Check an installed release is healthy",
		Long:  "Reads RELEASE's manifest from Helm's storage and checks the live objects' status. With --wait, checks again until healthy or --timeout.\n\nChecks:\n" + checkList(check.Verify()),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			checks, err := check.Select(check.Verify(), c.only, c.skip)
			if err != nil {
				return badInput(err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), c.timeout)
			defer cancel()
			clients, ns, err := connect(c.kubeContext, c.namespace, c.timeout)
			if err != nil {
				return cannot(err)
			}
			objs, deployed, err := releaseObjects(args[0], c.kubeContext, ns)
			if err != nil {
				return cannot(err)
			}
			env := &check.Env{Release: args[0], Namespace: ns, Objects: objs, Clients: clients, Deployed: deployed}
			results := check.Run(ctx, checks, env)
			// --wait: while something fails. Warnings (restarts since the deploy) are facts that
			// waiting does not change: they end the wait like a pass does.
			for wait && check.Worst(results) == check.Fail && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(3 * time.Second):
					results = check.Run(ctx, checks, env)
				}
			}
			err = c.finish(stdout, report.New("verify", "", args[0], ns, clients.Server.GitVersion, results))
			if wait && ctx.Err() != nil && check.Worst(results) == check.Fail {
				return cannot(fmt.Errorf("release %s not healthy after --timeout %s (the report above is the last look)", args[0], c.timeout))
			}
			return err
		},
	}
	c.flags(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "check again every 3 s until healthy or --timeout")
	return cmd
}

// Version is the plugin's version, set at build time from plugin.yaml (scripts/build.sh:
// -ldflags -X); empty in a plain `go build`, where the module's build information stands in.
var Version = ""

func versionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := Version
			if v == "" {
				v = "dev"
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			fmt.Fprintf(stdout, "stackcheck %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// releaseObjects reads a release's manifest and record from Helm's storage (HELM_DRIVER: secrets
// by default).
var releaseObjects = func(name, kubeContext, namespace string) ([]render.Object, *check.Deployed, error) {
	s := kube.Settings(kubeContext, namespace)
	cfg := new(action.Configuration)
	if err := cfg.Init(s.RESTClientGetter(), namespace, os.Getenv("HELM_DRIVER"), func(string, ...any) {}); err != nil {
		return nil, nil, err
	}
	rel, err := action.NewGet(cfg).Run(name)
	if err != nil {
		return nil, nil, fmt.Errorf("release %s in namespace %s: %w", name, namespace, err)
	}
	objs, err := render.Parse(rel.Manifest)
	if err != nil {
		return nil, nil, err
	}
	d := &check.Deployed{Revision: rel.Version}
	if rel.Info != nil {
		d.Status, d.At = rel.Info.Status.String(), rel.Info.LastDeployed.Time
	}
	return objs, d, nil
}
