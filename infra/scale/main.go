// Command scale measures the local portal at a given size (docs/SCALE.md): it applies an
// N-row referential of one space, applies the same bytes again, then files M documents
// in two waves (the first document of each customer, which activates it, then a second
// one), 30 % of the customers being mailed with the PDF attached. For each phase it
// prints the wall time, the throughput, the AWS calls the functions made by operation,
// the process's peak memory and the functions' invocations.
//
//	go run ./infra/scale [-rows 100000] [-documents 2000] [-markdown]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	cfg := config{progress: os.Stderr, functionLogs: io.Discard}
	flag.IntVar(&cfg.rows, "rows", 100000, "rows of the referential")
	flag.IntVar(&cfg.documents, "documents", 2000, "documents to file, half as each customer's first")
	flag.DurationVar(&cfg.phaseTimeout, "phase-timeout", 20*time.Minute, "longest wait for one phase to finish")
	markdown := flag.Bool("markdown", false, "print the table as Markdown (for docs/SCALE.md)")
	logs := flag.String("logs", "", "file for the portal's logs")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./infra/scale [flags]\n\nMeasures the referential and document paths of the local portal at a size; see docs/SCALE.md.\n\nFlags:")
		flag.PrintDefaults()
	}
	flag.Parse()
	if cfg.rows < 1 || cfg.documents < 2 {
		fmt.Fprintln(os.Stderr, "scale: -rows must be at least 1 and -documents at least 2")
		os.Exit(2)
	}
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		cfg.functionLogs = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg)
	if res != nil {
		if *markdown {
			res.markdown(os.Stdout)
		} else {
			res.plain(os.Stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
