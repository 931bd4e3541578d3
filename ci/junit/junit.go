package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type testcase struct {
	XMLName   xml.Name `xml:"testcase"`
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *failure `xml:"failure,omitempty"`
	Skipped   *skipped `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

type failure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

type skipped struct {
	Message string `xml:"message,attr"`
}

type suite struct {
	XMLName  xml.Name   `xml:"testsuite"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Cases    []testcase `xml:"testcase"`
}

type suites struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []suite  `xml:"testsuite"`
}

func run(args []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("junit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "JUnit XML file to write (required)")
	filter := fs.String("filter", "", "regexp of output lines to echo (empty: all)")
	if err := fs.Parse(args); err != nil || *out == "" {
		fmt.Fprintln(stderr, "usage: go test -json ... | junit -out report.xml [-filter REGEXP]")
		return 2
	}
	var re *regexp.Regexp
	if *filter != "" {
		var err error
		if re, err = regexp.Compile(*filter); err != nil {
			fmt.Fprintf(stderr, "junit: -filter: %v\n", err)
			return 2
		}
	}
	type key struct{ pkg, test string }
	outputs := map[key]*strings.Builder{}
	results := map[key]event{}
	pkgTime := map[string]float64{}
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(stdout, sc.Text()) // build errors and other non-JSON lines
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if re == nil || re.MatchString(strings.TrimRight(e.Output, "\n")) {
				fmt.Fprint(stdout, e.Output)
			}
			if e.Test != "" {
				if outputs[k] == nil {
					outputs[k] = &strings.Builder{}
				}
				outputs[k].WriteString(e.Output)
			}
		case "pass", "fail", "skip":
			if e.Action == "fail" {
				failed = true
			}
			if e.Test == "" {
				pkgTime[e.Package] = e.Elapsed
			} else {
				results[k] = e
			}
		}
	}
	byPkg := map[string]*suite{}
	keys := make([]key, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].pkg+keys[i].test < keys[j].pkg+keys[j].test })
	for _, k := range keys {
		e := results[k]
		s := byPkg[k.pkg]
		if s == nil {
			s = &suite{Name: k.pkg, Time: fmt.Sprintf("%.3f", pkgTime[k.pkg])}
			byPkg[k.pkg] = s
		}
		c := testcase{Name: k.test, Classname: k.pkg, Time: fmt.Sprintf("%.3f", e.Elapsed)}
		text := ""
		if b := outputs[k]; b != nil {
			text = b.String()
		}
		switch e.Action {
		case "fail":
			c.Failure = &failure{Message: "FAIL " + k.test, Text: text}
			s.Failures++
		case "skip":
			c.Skipped = &skipped{Message: strings.TrimSpace(lastLine(text))}
			s.Skipped++
		default:
			c.SystemOut = text
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	var report suites
	for _, name := range sortedNames(byPkg) {
		report.Suites = append(report.Suites, *byPkg[name])
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintf(stderr, "junit: %v\n", err)
		return 1
	}
	defer f.Close()
	io.WriteString(f, xml.Header)
	enc := xml.NewEncoder(f)
	enc.Indent("", "  ")
	if err := enc.Encode(report); err != nil {
		fmt.Fprintf(stderr, "junit: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "junit: %s written at %s\n", *out, time.Now().Format(time.TimeOnly))
	if failed {
		return 1
	}
	return 0
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func sortedNames(m map[string]*suite) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
