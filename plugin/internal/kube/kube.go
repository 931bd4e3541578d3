// Package kube builds the Kubernetes clients of a stackcheck run from Helm's environment, the way
// Helm itself does: KUBECONFIG, HELM_KUBECONTEXT, HELM_NAMESPACE and the HELM_KUBE* overrides
// (API server, token, impersonation, CA file, TLS server name, insecure), then --kube-context and
// --namespace on top.
package kube

import (
	"fmt"
	"os"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/cli"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Clients are what the checks talk to. Tests fill them with client-go fakes.
type Clients struct {
	Typed     kubernetes.Interface
	Discovery discovery.DiscoveryInterface
	Dynamic   dynamic.Interface
	Mapper    meta.RESTMapper
	// DryRun sends the dry-run writes.
	DryRun DryRunner
	// Server is the API server's version.
	Server *version.Info
}

// Settings reads Helm's environment and applies the command-line overrides.
func Settings(kubeContext, namespace string) *cli.EnvSettings {
	s := cli.New()
	if kubeContext != "" {
		s.KubeContext = kubeContext
	}
	if namespace != "" {
		s.SetNamespace(namespace)
	}
	return s
}

// Connect builds the clients and asks the server for its version (the first call that can fail
// when there is no cluster or the kubeconfig is wrong). Every request is bounded by timeout.
func Connect(s *cli.EnvSettings, timeout time.Duration) (*Clients, error) {
	getter := s.RESTClientGetter()
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.Timeout = timeout
	// A run is a burst of short requests (a list per check, a dry-run per object, an access review
	// per verb and kind): client-go's default of 5 per second would queue them behind each other.
	// HELM_QPS / HELM_BURST_LIMIT still win when set.
	if cfg.QPS == 0 {
		cfg.QPS = 200
	}
	if cfg.Burst < 400 && os.Getenv("HELM_BURST_LIMIT") == "" {
		cfg.Burst = 400
	}
	// The typed client speaks protobuf (built-in kinds; lists of every pod and Service in the
	// cluster decode several times faster than as JSON); discovery and the dynamic client JSON.
	typedCfg := rest.CopyConfig(cfg)
	typedCfg.ContentType = runtime.ContentTypeProtobuf
	typedCfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	typed, err := kubernetes.NewForConfig(typedCfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dryRun, err := NewDryRunner(cfg)
	if err != nil {
		return nil, err
	}
	// One discovery round for the mapper and Helm's APIVersions, not two.
	c := &Clients{Typed: typed, Discovery: memory.NewMemCacheClient(disc), Dynamic: dyn, DryRun: dryRun}
	if c.Server, err = c.Discovery.ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the cluster at %s: %w", cfg.Host, err)
	}
	if err := c.RefreshMapper(); err != nil {
		return nil, err
	}
	return c, nil
}

// RefreshMapper rebuilds the REST mapper from discovery.
func (c *Clients) RefreshMapper() error {
	groups, err := restmapper.GetAPIGroupResources(c.Discovery)
	if err != nil && len(groups) == 0 {
		return fmt.Errorf("API discovery: %w", err)
	}
	c.Mapper = restmapper.NewDiscoveryRESTMapper(groups)
	return nil
}

// APIVersions lists what the server serves in Helm's Capabilities form: "group/version" and
// "group/version/Kind" (core: "v1" and "v1/Pod").
func (c *Clients) APIVersions() ([]string, error) {
	_, lists, err := c.Discovery.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("API discovery: %w", err)
	}
	var out []string
	for _, l := range lists {
		out = append(out, l.GroupVersion)
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") {
				out = append(out, l.GroupVersion+"/"+r.Kind)
			}
		}
	}
	return out, nil
}
