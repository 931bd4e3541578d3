//go:build e2e

package e2e

import (
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stack-charts/stack/internal/testlog"
)

// Go releases the paused parallel suites all at once and in no useful order, so a 2-minute suite
// could start last and run alone at the end. schedule admits them longest first (by the previous
// run's durations, $STACK_CACHE/e2e.prev.json, which `make test-e2e` keeps): the classic
// longest-processing-time rule, measured here to end the tier ~1 min earlier. go test's own
// -parallel is set high; STACK_E2E_PARALLEL (E2E_PARALLEL in the Makefile) is how many run at once.
type schedule struct {
	mu       sync.Mutex
	slots    int
	running  int
	waiting  []*waiter
	pending  bool               // a dispatch is due (gathering the suites released together)
	previous map[string]float64 // test name -> seconds it took last time
}

type waiter struct {
	name  string
	ready chan struct{}
}

// gather is how long the first suites released together are collected before the longest is
// admitted: Go releases them within microseconds of each other.
const gather = 200 * time.Millisecond

var sched = newSchedule()

func newSchedule() *schedule {
	slots, err := strconv.Atoi(os.Getenv("STACK_E2E_PARALLEL"))
	if err != nil || slots < 1 {
		slots = 3
	}
	return &schedule{slots: slots, previous: previousDurations(os.Getenv("STACK_E2E_PREVIOUS"))}
}

// acquire blocks until the suite may run; the returned func gives its slot back.
func (s *schedule) acquire(t *testing.T) func() {
	w := &waiter{name: t.Name(), ready: make(chan struct{})}
	s.mu.Lock()
	s.waiting = append(s.waiting, w)
	if !s.pending && s.running < s.slots {
		s.pending = true
		time.AfterFunc(gather, s.dispatch)
	}
	s.mu.Unlock()
	start := time.Now()
	<-w.ready
	if d := time.Since(start); d > time.Second {
		t.Logf("scheduled after waiting %s for a slot (%d at once, longest first)", d.Round(time.Second), s.slots)
	}
	var once sync.Once
	held := time.Now()
	return func() {
		once.Do(func() {
			t.Logf("%s%.1fs held (%d at once)", testlog.SlotMarker, time.Since(held).Seconds(), s.slots)
			s.mu.Lock()
			s.running--
			s.mu.Unlock()
			s.dispatch()
		})
	}
}

// dispatch admits the longest waiting suites while there are free slots.
func (s *schedule) dispatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = false
	sort.SliceStable(s.waiting, func(i, j int) bool { return s.previous[s.waiting[i].name] > s.previous[s.waiting[j].name] })
	for s.running < s.slots && len(s.waiting) > 0 {
		w := s.waiting[0]
		s.waiting = s.waiting[1:]
		s.running++
		close(w.ready)
	}
}

// previousDurations reads each test's own run time from a go test -json log (none: every suite
// weighs the same and they run in the order they ask).
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
