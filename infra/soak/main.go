// Command soak files a thousand documents through the local portal while its
// dependencies fail, then counts what came out (docs/SECURITY.md): every S3
// event is delivered twice in random order, the emulator is paused (SIGSTOP) for 30 s,
// SES fails for two minutes behind a loopback fault proxy, and the ingest handler
// crashes mid-batch five times. It prints one line, and exits 1 when a document is lost
// or duplicated, a mail lost, or more mails repeated than faults were injected between a
// send and its record.
//
//	go run ./infra/soak [-documents 1000] [-customers 50] [-logs file]
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
	cfg := config{
		sesAfter: 15 * time.Second, sesOutage: 2 * time.Minute,
		pauseAfter: 45 * time.Second, pause: 30 * time.Second,
		visibility: 30 * time.Second, copyDelay: 15 * time.Second, deadline: 10 * time.Minute,
		progress: os.Stderr, functionLogs: io.Discard,
	}
	flag.IntVar(&cfg.documents, "documents", 1000, "documents to drop")
	flag.IntVar(&cfg.customers, "customers", 50, "customers they go to, in mixed notification modes")
	flag.IntVar(&cfg.ingestCrashes, "ingest-crashes", 5, "crashes of the ingest handler mid-batch")
	flag.IntVar(&cfg.mailerCrashes, "mailer-crashes", 3, "crashes of the mailer between a send and its record")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (order, delays, faults)")
	logs := flag.String("logs", "", "file for the portal's logs")
	flag.Parse()
	cfg.seed = *seed
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		cfg.functionLogs = f
	}
	fmt.Fprintf(os.Stderr, "soak: seed %d\n", cfg.seed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	fmt.Println(rep.line())
	if err := rep.verdict(); err != nil {
		fmt.Fprintln(os.Stderr, "soak failed:", err)
		os.Exit(1)
	}
}
