// Command shardlab is a local Amazon Kinesis workbench. Its subcommands share one engine and data directory.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

// version is stamped by `fyne package` and release builds; "dev" otherwise.
var version = "dev"

type command struct {
	name, usage string
	run         func(args []string) error
}

func commands() []command {
	return []command{
		{"gui", "open the desktop app (the default), serving the Kinesis API from inside it", runGUI},
		{"serve", "run the Kinesis API without a window (default http://127.0.0.1:4567)", runServe},
		{"replay", "put a capture, NDJSON, CSV or log file into a stream, at its own pace × --speed or as fast as accepted", runReplay},
		{"capture", "write a stream's records to an NDJSON capture file", runCapture},
		{"encrypt-key", "make a key file for client-side record encryption (new FILE), or print its key id (id FILE)", runEncryptKey},
		{"watch", "tail the files of a directory into a stream, following rotation and truncation, like the Kinesis Agent", runWatch},
		{"lessons", "list the lessons, check lesson files, or verify every lesson's Show-me path headlessly", runLessons},
		{"faults", "show, set or clear fault injection on a running server", runFaults},
		{"bench", "measure the engine in process (see BENCHMARKS.md)", runBench},
		{"bench-api", "Shardlab's API beside kinesalite and kinesis-local, one SDK workload (see BENCHMARKS.md)", runBenchAPI},
		{"bench-efo", "enhanced fan-out: put-to-SubscribeToShard-event latency, one consumer and fanned out (see BENCHMARKS.md)", runBenchEFO},
		{"version", "print the version", func([]string) error { fmt.Println("shardlab", version); return nil }},
	}
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 || args[0] != "help" && args[0] != "-h" && args[0] != "--help" && args[0] != "" && args[0][0] == '-' {
		args = append([]string{"gui"}, args...) // no command, or only flags: the desktop app
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		return
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); errors.Is(err, flag.ErrHelp) {
				return // -h prints the flags; asking for help is not a failure
			} else if err != nil {
				fmt.Fprintln(os.Stderr, "shardlab "+c.name+":", err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "shardlab: unknown command %q\n\n", args[0])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "Usage: shardlab <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-11s %s\n", c.name, c.usage)
	}
}
