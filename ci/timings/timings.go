package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/stack-charts/stack/internal/testlog"
)

// entry is one timed thing.
type entry struct {
	kind, name string
	seconds    float64
	status     string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("timings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the timings file (lines: epoch, kind, name, seconds; tab-separated)")
	e2e := fs.String("e2e", "", "the e2e tier's go test -json log (optional)")
	since := fs.Int64("since", 0, "only lines recorded at or after this Unix time (the run's start)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	entries, err := readTimings(*file, *since)
	if err != nil {
		fmt.Fprintln(stderr, "timings:", err)
		return 1
	}
	if *e2e != "" {
		suites, err := readSuites(*e2e, *since)
		if err != nil {
			fmt.Fprintln(stderr, "timings:", err)
			return 1
		}
		entries = append(entries, suites...)
	}
	print(stdout, entries)
	return 0
}

// readTimings reads the tab-separated timings file; a missing file is no entries.
func readTimings(path string, since int64) ([]entry, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), "\t")
		if len(fields) < 4 {
			continue
		}
		at, err1 := strconv.ParseInt(fields[0], 10, 64)
		secs, err2 := strconv.ParseFloat(fields[3], 64)
		if err1 != nil || err2 != nil || at < since {
			continue
		}
		e := entry{kind: fields[1], name: fields[2], seconds: secs}
		if len(fields) > 4 {
			e.status = fields[4]
		}
		out = append(out, e)
	}
	return out, s.Err()
}

// readSuites reads each top-level test's result and own run time (testlog.Test.Seconds: without
// the wait for a scheduler slot) from a go test -json log written after since (an older log is not
// this run's).
func readSuites(path string, since int64) ([]entry, error) {
	st, err := os.Stat(path)
	if os.IsNotExist(err) || (err == nil && st.ModTime().Unix() < since) {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tests, err := testlog.Read(f)
	if err != nil {
		return nil, err
	}
	var out []entry
	for name, t := range tests {
		if strings.Contains(name, "/") || t.Action == "" {
			continue
		}
		out = append(out, entry{kind: "e2e suite", name: name, seconds: t.Seconds(), status: t.Action})
	}
	return out, nil
}

// builtSeconds separates a build step that built something from one that found its output
// current (the substrate's cached steps take a few seconds to check image tags).
const builtSeconds = 10

func print(w io.Writer, entries []entry) {
	order := map[string]int{"tier": 0, "e2e suite": 1, "build": 2}
	sort.SliceStable(entries, func(i, j int) bool {
		if order[entries[i].kind] != order[entries[j].kind] {
			return order[entries[i].kind] < order[entries[j].kind]
		}
		if entries[i].kind == "tier" {
			return false // in the order they ran
		}
		return entries[i].seconds > entries[j].seconds
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "== make test: wall time ==")
	fmt.Fprintln(tw, "KIND\tNAME\tSECONDS\tRESULT")
	builds, checked, checkedSecs := 0, 0, 0.0
	for _, e := range entries {
		if e.kind == "build" && e.seconds < builtSeconds {
			checked++ // a cached step: it only checked that its output is current
			checkedSecs += e.seconds
			continue
		}
		if e.kind == "build" {
			builds++
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\n", e.kind, e.name, e.seconds, e.status)
	}
	if builds == 0 {
		fmt.Fprintln(tw, "build\t(nothing built: tools and substrate were cached)\t\t")
	}
	if checked > 0 {
		fmt.Fprintf(tw, "build\t(%d cached steps checked)\t%.1f\t\n", checked, checkedSecs)
	}
	tw.Flush()
}
