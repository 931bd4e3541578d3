package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// needs is what `make test` needs: measured on the 2-core, 24 GiB machine it runs on (a cold
// build writes ~9 GiB of images and ~8 GiB of Go caches; the e2e cluster holds ~6 GiB).
type needs struct {
	cores            int
	memGiB           float64
	coldGiB, warmGiB float64
}

var defaults = needs{cores: 2, memGiB: 8, coldGiB: 30, warmGiB: 8}

// machine is what this machine has.
type machine struct {
	cores  int
	memGiB float64
	// freeGiB is the free space where the builds and Docker's images go (the smaller).
	freeGiB float64
	// cold is true when the substrate has not been built yet.
	cold bool
}

// verdict says what is missing ("" when nothing).
func verdict(n needs, m machine) string {
	var missing []string
	if m.cores < n.cores {
		missing = append(missing, fmt.Sprintf("%d CPU cores (has %d)", n.cores, m.cores))
	}
	if m.memGiB < n.memGiB {
		missing = append(missing, fmt.Sprintf("%.0f GiB of memory (has %.1f)", n.memGiB, m.memGiB))
	}
	disk, what := n.warmGiB, "warm run"
	if m.cold {
		disk, what = n.coldGiB, "cold build"
	}
	if m.freeGiB < disk {
		missing = append(missing, fmt.Sprintf("%.0f GiB of free disk for a %s (has %.1f)", disk, what, m.freeGiB))
	}
	if len(missing) == 0 {
		return ""
	}
	return "needs " + strings.Join(missing, ", ")
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("machine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := defaults
	fs.IntVar(&n.cores, "cores", n.cores, "CPU cores needed")
	fs.Float64Var(&n.memGiB, "mem-gib", n.memGiB, "memory needed (GiB)")
	fs.Float64Var(&n.coldGiB, "cold-disk-gib", n.coldGiB, "free disk needed for a cold build (GiB)")
	fs.Float64Var(&n.warmGiB, "warm-disk-gib", n.warmGiB, "free disk needed when the substrate is built (GiB)")
	docker := fs.String("docker", "ci/substrate/docker.sh", "the script that makes a Docker engine answer (empty: not checked)")
	cache := fs.String("cache", os.Getenv("STACK_CACHE"), "the build cache ($STACK_CACHE)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cache == "" {
		home, _ := os.UserHomeDir()
		*cache = filepath.Join(home, ".cache", "stack")
	}
	m := machine{cores: runtime.NumCPU(), memGiB: memGiB()}
	_, err := os.Stat(filepath.Join(*cache, "substrate", "node-image.txt"))
	m.cold = err != nil
	m.freeGiB = -1
	for _, dir := range []string{*cache, "/var/lib/docker"} {
		if free, ok := freeGiB(dir); ok && (m.freeGiB < 0 || free < m.freeGiB) {
			m.freeGiB = free
		}
	}
	if why := verdict(n, m); why != "" {
		fmt.Fprintf(stderr, "make test: this machine %s\n", why)
		return 1
	}
	if *docker != "" {
		out, err := exec.Command("bash", *docker).CombinedOutput()
		if err != nil {
			fmt.Fprintf(stderr, "make test: needs a Docker engine, and none answers or could be started: %s\n", lastLine(string(out)))
			return 1
		}
	}
	state := "warm"
	if m.cold {
		state = "cold: the substrate will be built"
	}
	fmt.Fprintf(stdout, "machine: %d cores, %.1f GiB memory, %.1f GiB free disk, Docker answers (%s)\n", m.cores, m.memGiB, m.freeGiB, state)
	return 0
}

func memGiB() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / (1 << 20)
		}
	}
	return 0
}

// freeGiB is the space available to an unprivileged writer on the filesystem holding dir (or its
// nearest existing parent).
func freeGiB(dir string) (float64, bool) {
	for ; ; dir = filepath.Dir(dir) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			return float64(st.Bavail) * float64(st.Bsize) / (1 << 30), true
		}
		if filepath.Dir(dir) == dir {
			return 0, false
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
