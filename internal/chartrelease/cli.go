package chartrelease

import (
	"fmt"
	"io"
	"path/filepath"
)

// Run is the command `go run ./ci/chartrelease check|record [CHARTS_DIR]` (default charts):
// check prints each drifted chart and exits 1; record writes the ledger after a release.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 || (args[0] != "check" && args[0] != "record") {
		fmt.Fprintln(stderr, "usage: chartrelease check|record [CHARTS_DIR]")
		return 2
	}
	dir := "charts"
	if len(args) == 2 {
		dir = args[1]
	}
	charts, err := Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, "chartrelease:", err)
		return 1
	}
	if args[0] == "record" {
		if err := Record(dir, charts); err != nil {
			fmt.Fprintln(stderr, "chartrelease:", err)
			return 1
		}
		fmt.Fprintf(stdout, "recorded %d charts' releases in %s\n", len(charts), filepath.Join(dir, LedgerFile))
		return 0
	}
	ledger, err := ReadLedger(dir)
	if err != nil {
		fmt.Fprintln(stderr, "chartrelease:", err)
		return 1
	}
	problems := Check(charts, ledger)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		return 1
	}
	fmt.Fprintf(stdout, "%d charts: versions consistent with %s\n", len(charts), filepath.Join(dir, LedgerFile))
	return 0
}
