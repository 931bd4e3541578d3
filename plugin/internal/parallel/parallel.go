// Package parallel maps a function over a list on several goroutines, keeping the list's order.
package parallel

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Map calls f on every item, at most limit at a time (0 or less: one per CPU), and returns the
// results in the items' order. Every item is processed; the error is that of the first item, in
// order, that failed (the one a loop would have stopped at), with no results.
func Map[T, R any](items []T, limit int, f func(T) (R, error)) ([]R, error) {
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	out := make([]R, len(items))
	errs := make([]error, len(items))
	var g errgroup.Group
	g.SetLimit(limit)
	for i, item := range items {
		g.Go(func() error {
			out[i], errs[i] = f(item)
			return nil
		})
	}
	_ = g.Wait() // each item's error is in errs
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
