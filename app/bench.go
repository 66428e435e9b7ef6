package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/shardlab/shardlab/internal/bench/apibench"
	"github.com/shardlab/shardlab/internal/bench/enginebench"
)

// The benchmark harnesses live in internal/bench; these subcommands only hand them their arguments and, for the
// network benchmarks, this very binary to run as the server under test.

func runBench(args []string) error    { return enginebench.Main(args) }
func runBenchAPI(args []string) error { return apibench.MainAPI(args, selfCommand) }
func runBenchEFO(args []string) error { return apibench.MainEFO(args, selfCommand) }

// selfCommand runs this very binary, so the server measured is the one just built.
func selfCommand(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the shardlab binary: %w", err)
	}
	return exec.Command(exe, args...), nil
}
