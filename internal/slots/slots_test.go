package slots

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Jobs released together are admitted longest first (one slot: the order is the admission
// order), never more than the slots at once.
func TestTheLongestJobsGoFirstAndNoMoreThanTheSlotsRun(t *testing.T) {
	order, most := run(t, 1)
	require.Equal(t, []string{"new", "long", "mid", "short", "tiny"}, order, "a job never timed first, then the longest")
	assert.Equal(t, 1, most)
	order, most = run(t, 2)
	require.ElementsMatch(t, []string{"new", "long"}, order[:2], "the untimed and the longest start together")
	assert.Equal(t, 2, most)
}

func run(t *testing.T, slots int) (order []string, most int) {
	s := New(slots, map[string]float64{"long": 120, "mid": 60, "short": 1, "tiny": 0.1})
	s.gather = time.Second // five goroutines ask well within it, even on a loaded machine under -race
	var mu sync.Mutex
	running := 0
	var wg sync.WaitGroup
	for _, name := range []string{"tiny", "short", "mid", "long", "new"} { // asking shortest first, the untimed last
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, release := s.Acquire(name)
			mu.Lock()
			order = append(order, name)
			running++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			held := release()
			assert.GreaterOrEqual(t, held, 20*time.Millisecond)
			release() // a second call is harmless
		}()
	}
	wg.Wait()
	return order, most
}

func TestAtLeastOneSlot(t *testing.T) {
	s := New(0, nil)
	assert.Equal(t, 1, s.Slots())
	waited, release := s.Acquire("x")
	assert.GreaterOrEqual(t, waited, Gather, "the first request waits out the gathering window")
	release()
}
