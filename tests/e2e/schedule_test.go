//go:build e2e

package e2e

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stack-charts/stack/internal/slots"
	"github.com/stack-charts/stack/internal/testlog"
)

// Go releases the paused parallel suites all at once and in no useful order, so a 2-minute suite
// could start last and run alone at the end. sched admits them longest first (internal/slots), by
// each suite's own run time in the previous run ($STACK_CACHE/e2e.prev.json, which `make
// test-e2e` keeps). go test's own -parallel is set high; STACK_E2E_PARALLEL (E2E_PARALLEL in the
// Makefile) is how many run at once.
var sched = slots.New(envInt("STACK_E2E_PARALLEL", 3), previousDurations(os.Getenv("STACK_E2E_PREVIOUS")))

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// acquire blocks until the suite may run and returns what gives its slot back, logging the time
// it held the slot (testlog.SlotMarker) for the next run's order and make test's table.
func acquire(t *testing.T) func() {
	waited, release := sched.Acquire(t.Name())
	if waited > time.Second {
		t.Logf("scheduled after waiting %s for a slot (%d at once, longest first)", waited.Round(time.Second), sched.Slots())
	}
	return func() {
		t.Logf("%s%.1fs held (%d at once)", testlog.SlotMarker, release().Seconds(), sched.Slots())
	}
}

// previousDurations reads each test's own run time from a go test -json log (none: every suite
// is untimed alike and they run in the order they ask).
func previousDurations(path string) map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	tests, _ := testlog.Read(f)
	for name, t := range tests {
		out[name] = t.Seconds()
	}
	return out
}
