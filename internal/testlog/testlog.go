// Package testlog reads a `go test -json` log: each test's result, its elapsed time, and the time
// the e2e scheduler's slot was held (the suite's own run, without the wait for a slot), which
// the suites log as "[slot] <seconds>s".
package testlog

import (
	"bufio"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
)

// Test is one test's record.
type Test struct {
	// Action is pass, fail or skip.
	Action string
	// Elapsed is go test's own figure (for a parallel test it includes the wait for a slot).
	Elapsed float64
	// Slot is the seconds the test held its scheduler slot; HasSlot says it logged one.
	Slot    float64
	HasSlot bool
}

// Seconds is the test's own run time: the slot's when it logged one, else Elapsed.
func (t Test) Seconds() float64 {
	if t.HasSlot {
		return t.Slot
	}
	return t.Elapsed
}

// SlotMarker is how a suite logs the seconds it held its slot.
const SlotMarker = "[slot] "

var slotLine = regexp.MustCompile(`\[slot\] ([0-9.]+)s`)

// Read returns the tests of a log by name (subtests as "Parent/sub"). Lines that are not events
// (go's own output before -json took over) are skipped.
func Read(r io.Reader) (map[string]Test, error) {
	out := map[string]Test{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Action, Test, Output string
			Elapsed              float64
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Test == "" {
			continue
		}
		t := out[ev.Test]
		switch ev.Action {
		case "pass", "fail", "skip":
			t.Action, t.Elapsed = ev.Action, ev.Elapsed
		case "output":
			if m := slotLine.FindStringSubmatch(ev.Output); m != nil {
				t.Slot, _ = strconv.ParseFloat(m[1], 64)
				t.HasSlot = true
			}
		}
		out[ev.Test] = t
	}
	return out, sc.Err()
}
