// Package slots admits concurrent jobs to a fixed number of slots, the longest first: jobs that
// ask within a short gathering window of each other (as Go releases its paused parallel tests)
// are admitted by their expected duration, the classic longest-processing-time rule, instead of
// in whatever order they happened to ask. The e2e suites use it to bound how many run at once.
package slots

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Gather is how long requests arriving at free slots are collected before the longest is
// admitted.
const Gather = 200 * time.Millisecond

// Scheduler hands out slots.
type Scheduler struct {
	mu      sync.Mutex
	slots   int
	running int
	waiting []*waiter
	pending bool // a dispatch is due
	weights map[string]float64
	gather  time.Duration
}

type waiter struct {
	name  string
	ready chan struct{}
}

// New is a scheduler of n slots (at least 1) that admits by weights (a job's expected seconds). A
// job without a weight (a suite never timed, e.g. a new one) goes before every timed one: it may
// be the longest, and started last it would be the run's tail.
func New(n int, weights map[string]float64) *Scheduler {
	return &Scheduler{slots: max(n, 1), weights: weights, gather: Gather}
}

// Slots is how many jobs run at once.
func (s *Scheduler) Slots() int { return s.slots }

// Acquire blocks until the named job may run and returns how long it waited and the function
// that gives the slot back (idempotent), which returns how long the slot was held.
func (s *Scheduler) Acquire(name string) (waited time.Duration, release func() time.Duration) {
	start := time.Now()
	w := &waiter{name: name, ready: make(chan struct{})}
	s.mu.Lock()
	s.waiting = append(s.waiting, w)
	if !s.pending && s.running < s.slots {
		s.pending = true
		time.AfterFunc(s.gather, s.dispatch)
	}
	s.mu.Unlock()
	<-w.ready
	held := time.Now()
	var once sync.Once
	var d time.Duration
	return held.Sub(start), func() time.Duration {
		once.Do(func() {
			d = time.Since(held)
			s.mu.Lock()
			s.running--
			s.mu.Unlock()
			s.dispatch()
		})
		return d
	}
}

// dispatch admits the heaviest waiting jobs while slots are free.
func (s *Scheduler) dispatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = false
	sort.SliceStable(s.waiting, func(i, j int) bool { return s.weight(s.waiting[i].name) > s.weight(s.waiting[j].name) })
	for s.running < s.slots && len(s.waiting) > 0 {
		w := s.waiting[0]
		s.waiting = s.waiting[1:]
		s.running++
		close(w.ready)
	}
}

// weight is a job's expected seconds; +Inf when it was never timed.
func (s *Scheduler) weight(name string) float64 {
	if w, ok := s.weights[name]; ok {
		return w
	}
	return math.Inf(1)
}
