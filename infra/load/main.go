// Command load drives the local portal with concurrent browser sessions from loopback
// (docs/SECURITY.md): each signs in, reads its profile, lists and pages its
// documents, searches by number, downloads two and fetches one from the archive, and
// signs out, again and again. It prints the throughput, error rate and latency of each
// route as a Markdown table, and exits 1 on any 5xx or transport error.
//
//	go run ./infra/load [-sessions 16] [-duration 45s] [-companies 8] [-documents 25]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"time"
)

func main() {
	cfg := config{progress: os.Stderr, functionLogs: io.Discard}
	flag.IntVar(&cfg.sessions, "sessions", 16, "concurrent browser sessions")
	flag.DurationVar(&cfg.duration, "duration", 45*time.Second, "how long the sessions run")
	flag.IntVar(&cfg.companies, "companies", 8, "customer companies, each with a registered admin and a user")
	flag.IntVar(&cfg.documents, "documents", 25, "documents per company")
	logs := flag.String("logs", "", "file for the portal's logs")
	flag.Parse()
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		cfg.functionLogs = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	elapsed := l.elapsed
	fmt.Printf("load: %d sessions for %v on %s (%d CPUs), %s, %s\n\n", cfg.sessions, elapsed.Round(time.Second),
		runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.DateOnly), "portal and emulators on loopback")
	server, errors := l.table(os.Stdout, elapsed)
	if server > 0 || errors > 0 {
		fmt.Fprintf(os.Stderr, "load failed: %d answers 5xx, %d unexpected\n", server, errors)
		os.Exit(1)
	}
}
