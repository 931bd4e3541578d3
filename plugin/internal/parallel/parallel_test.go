package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMapKeepsTheOrderAndTheLimit(t *testing.T) {
	var running, most atomic.Int32
	items := []int{5, 1, 4, 2, 3, 0}
	out, err := Map(items, 2, func(n int) (string, error) {
		now := running.Add(1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		time.Sleep(time.Duration(n) * time.Millisecond)
		running.Add(-1)
		return fmt.Sprint(n * 10), nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"50", "10", "40", "20", "30", "0"}, out)
	assert.LessOrEqual(t, most.Load(), int32(2))
}

func TestMapReportsTheFirstFailureInOrder(t *testing.T) {
	var calls atomic.Int32
	out, err := Map([]int{0, 1, 2, 3}, 0, func(n int) (int, error) {
		calls.Add(1)
		if n >= 2 {
			// the later failure finishes first
			time.Sleep(time.Duration(3-n) * 5 * time.Millisecond)
			return 0, errors.New(fmt.Sprint("item ", n))
		}
		return n, nil
	})
	require.EqualError(t, err, "item 2")
	assert.Nil(t, out)
	assert.Equal(t, int32(4), calls.Load(), "every item is processed")
}
