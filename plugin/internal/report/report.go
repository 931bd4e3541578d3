// Package report writes check results as a table (people), JSON (tools) or JUnit XML (CI).
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stack-charts/stack/plugin/internal/check"
)

// Formats are the -o values.
var Formats = []string{"table", "json", "junit"}

// Report is one run: what was checked and the results.
type Report struct {
	Command   string         `json:"command"`
	Chart     string         `json:"chart,omitempty"`
	Release   string         `json:"release"`
	Namespace string         `json:"namespace"`
	Cluster   string         `json:"cluster,omitempty"`
	Summary   Summary        `json:"summary"`
	Results   []check.Result `json:"results"`
}

// Summary counts results by status.
type Summary struct {
	Pass   int          `json:"pass"`
	Warn   int          `json:"warn"`
	Fail   int          `json:"fail"`
	Status check.Status `json:"status"`
}

// New builds a report and its summary.
func New(command, chart, release, namespace, cluster string, rs []check.Result) *Report {
	r := &Report{Command: command, Chart: chart, Release: release, Namespace: namespace, Cluster: cluster, Results: rs}
	for _, x := range rs {
		switch x.Status {
		case check.Pass:
			r.Summary.Pass++
		case check.Warn:
			r.Summary.Warn++
		case check.Fail:
			r.Summary.Fail++
		}
	}
	r.Summary.Status = check.Worst(rs)
	return r
}

// Write writes the report in format.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "table", "":
		return r.table(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "junit":
		return r.junit(w)
	}
	return fmt.Errorf("output format %q: want one of %s", format, strings.Join(Formats, ", "))
}

var marks = map[check.Status]string{check.Pass: "PASS", check.Warn: "WARN", check.Fail: "FAIL"}

func (r *Report) table(w io.Writer) error {
	where := r.Namespace
	if r.Cluster != "" {
		where = r.Cluster + ", namespace " + r.Namespace
	}
	fmt.Fprintf(w, "stackcheck %s: release %q (%s)\n\n", r.Command, r.Release, where)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tOBJECT\tMESSAGE")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", marks[x.Status], x.Check, dash(x.Object), x.Message)
		if x.Hint != "" && x.Status != check.Pass {
			fmt.Fprintf(tw, "\t\t\t  hint: %s\n", x.Hint)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %d warnings, %d failed: %s\n", r.Summary.Pass, r.Summary.Warn, r.Summary.Fail, strings.ToUpper(string(r.Summary.Status)))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junit: one suite per check, one case per result; failures are JUnit failures, warnings pass with
// the warning in system-out (CI dashboards show them without failing the build).
func (r *Report) junit(w io.Writer) error {
	out := junitSuites{Name: "stackcheck " + r.Command + " " + r.Release}
	index := map[string]int{}
	seen := map[string]int{}
	for _, x := range r.Results {
		i, ok := index[x.Check]
		if !ok {
			i = len(out.Suites)
			index[x.Check] = i
			out.Suites = append(out.Suites, junitSuite{Name: x.Check})
		}
		// Stable names (the object, else the check; numbered when one has several results): CI
		// keeps a test's history by its name, so counts and other changing words stay in the text.
		name := x.Object
		if name == "" {
			name = x.Check
		}
		seen[x.Check+"\x00"+name]++
		if n := seen[x.Check+"\x00"+name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		c := junitCase{Name: name, Classname: "stackcheck." + x.Check}
		switch x.Status {
		case check.Fail:
			c.Failure = &junitFailure{Message: x.Message, Type: "fail", Text: x.Hint}
			out.Suites[i].Failures++
			out.Failures++
		case check.Warn:
			c.SystemOut = "WARN: " + x.Message + hintLine(x.Hint)
		default:
			c.SystemOut = x.Message
		}
		out.Suites[i].Cases = append(out.Suites[i].Cases, c)
		out.Suites[i].Tests++
		out.Tests++
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func hintLine(h string) string {
	if h == "" {
		return ""
	}
	return "\nhint: " + h
}
