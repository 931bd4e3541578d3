package testlog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadTakesResultsAndTheSlotTime(t *testing.T) {
	log := `go: downloading something
{"Action":"run","Test":"TestA"}
{"Action":"output","Test":"TestA","Output":"    schedule_test.go:60: [slot] 42.5s held (3 at once)\n"}
{"Action":"pass","Test":"TestA","Elapsed":300.1}
{"Action":"fail","Test":"TestB","Elapsed":7}
{"Action":"pass","Test":"TestB/sub","Elapsed":1}
{"Action":"output","Test":"TestC","Output":"    x_test.go:9: [slot] 0.0s held (3 at once)\n"}
{"Action":"pass","Test":"TestC","Elapsed":289.8}
`
	got, err := Read(strings.NewReader(log))
	require.NoError(t, err)
	assert.Equal(t, Test{Action: "pass", Elapsed: 300.1, Slot: 42.5, HasSlot: true}, got["TestA"])
	assert.Equal(t, 42.5, got["TestA"].Seconds(), "its own run, not the wait for a slot")
	assert.Equal(t, 7.0, got["TestB"].Seconds())
	assert.Equal(t, "pass", got["TestB/sub"].Action)
	assert.Zero(t, got["TestC"].Seconds(), "a suite that ran in no time after a long wait for its slot")
}
