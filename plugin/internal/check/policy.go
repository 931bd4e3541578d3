package check

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/stack-charts/stack/plugin/internal/render"
)

// Policy is what a team decides about `stackcheck lint`'s findings (a file given with --config):
// a severity per check, and exemptions of objects from checks, each with its reason.
//
//	severity:                # error (a finding fails; the default), warning (it warns), info (reported, never fails)
//	  probes: warning
//	exemptions:
//	  - check: resources
//	    object: Job/*/shop-migrate   # Kind/namespace/name (Kind/name when cluster-scoped); * and ? match
//	    reason: one-shot migration, sized by the platform team
type Policy struct {
	Severity   map[string]string `json:"severity,omitempty"`
	Exemptions []PolicyExemption `json:"exemptions,omitempty"`
}

// PolicyExemption exempts the objects matching Object from Check, for Reason.
type PolicyExemption struct {
	Check  string `json:"check"`
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// An object can exempt itself from lint checks too, with a reason: LintExemptAnnotation lists the
// checks (comma-separated), LintExemptReasonAnnotation says why. Without a reason the exemption
// does not apply and is itself a failure.
const (
	LintExemptAnnotation       = "stack.dev/lint-exempt"
	LintExemptReasonAnnotation = "stack.dev/lint-exempt-reason"
)

var severities = map[string]bool{"error": true, "warning": true, "info": true}

// LoadPolicy reads a policy file and checks it against the checks it may name.
func LoadPolicy(file string, checks []Check) (*Policy, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	if err := yaml.UnmarshalStrict(raw, p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	known := map[string]bool{}
	var names []string
	for _, c := range checks {
		known[c.Name()] = true
		names = append(names, c.Name())
	}
	for name, sev := range p.Severity {
		if !known[name] {
			return nil, fmt.Errorf("%s: severity.%s: no such check (checks: %s)", file, name, strings.Join(names, ", "))
		}
		if !severities[sev] {
			return nil, fmt.Errorf("%s: severity.%s: %q is not error, warning or info", file, name, sev)
		}
	}
	for i, e := range p.Exemptions {
		key := fmt.Sprintf("%s: exemptions[%d]", file, i)
		switch {
		case !known[e.Check]:
			return nil, fmt.Errorf("%s.check: %q is no such check (checks: %s)", key, e.Check, strings.Join(names, ", "))
		case e.Object == "":
			return nil, fmt.Errorf("%s.object: name the objects (Kind/namespace/name; * and ? match)", key)
		case strings.TrimSpace(e.Reason) == "":
			return nil, fmt.Errorf("%s.reason: an exemption says why", key)
		}
		if _, err := path.Match(e.Object, ""); err != nil {
			return nil, fmt.Errorf("%s.object: %q: %w", key, e.Object, err)
		}
	}
	return p, nil
}

// Apply turns results into what the policy and the objects' own exemptions say: a finding on an
// exempted object and check becomes a pass naming the exemption and its reason (every exemption
// used is reported), and a finding takes its check's severity (warning: a failure warns; info:
// reported as a pass, never failing).
func (p *Policy) Apply(rs []Result, objects []render.Object) []Result {
	annotated := map[string]map[string]string{} // object ID -> check -> reason ("" when missing)
	for _, o := range objects {
		list := o.GetAnnotations()[LintExemptAnnotation]
		if list == "" {
			continue
		}
		reason := strings.TrimSpace(o.GetAnnotations()[LintExemptReasonAnnotation])
		annotated[o.ID()] = map[string]string{}
		for _, c := range strings.Split(list, ",") {
			annotated[o.ID()][strings.TrimSpace(c)] = reason
		}
	}
	var out []Result
	reported := map[string]bool{}
	for _, r := range rs {
		if r.Status != Pass && r.Object != "" {
			if reason, how, ok := p.exempt(r, annotated); ok {
				if key := r.Check + " " + r.Object; !reported[key] {
					reported[key] = true
					out = append(out, Result{Check: r.Check, Status: Pass, Object: r.Object, Message: fmt.Sprintf("exempt (%s): %s", how, reason)})
				}
				continue
			}
		}
		switch p.Severity[r.Check] {
		case "warning":
			if r.Status == Fail {
				r.Status = Warn
			}
		case "info":
			if r.Status != Pass {
				r.Status, r.Message = Pass, "info: "+r.Message
			}
		}
		out = append(out, r)
	}
	// An annotation without a reason exempts nothing and says so.
	ids := make([]string, 0, len(annotated))
	for id := range annotated {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for check, reason := range annotated[id] {
			if reason == "" {
				out = append(out, Result{Check: check, Status: Fail, Object: id,
					Message: fmt.Sprintf("%s: %s without a reason: an exemption says why (%s)", LintExemptAnnotation, check, LintExemptReasonAnnotation)})
			}
		}
	}
	return out
}

func (p *Policy) exempt(r Result, annotated map[string]map[string]string) (reason, how string, ok bool) {
	if reason := annotated[r.Object][r.Check]; reason != "" {
		return reason, "annotation " + LintExemptAnnotation, true
	}
	for _, e := range p.Exemptions {
		if e.Check != r.Check {
			continue
		}
		if m, _ := path.Match(e.Object, r.Object); m {
			return e.Reason, "config", true
		}
	}
	return "", "", false
}
