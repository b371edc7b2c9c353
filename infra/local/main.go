// Command local runs the whole portal on 127.0.0.1 without Docker or an AWS
// account (`make run`): moto and aws-ses-v2-local, the stack of
// template.yaml, the API and the frontend on one origin, the functions fed
// like Lambda, and demo data. Ctrl-C stops everything it started.
//
//	go run ./infra/local [-port 8080] [-no-demo] [-ttl-sweeper]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
)

// stackName names the resources, so that a reused emulator keeps one stack
// across runs.
const stackName = "efacture"

func main() {
	t0 := time.Now()
	port := flag.Int("port", 8080, "portal port on 127.0.0.1")
	motoPort := flag.Int("moto-port", 4566, "AWS emulator port (moto; LocalStack's port, so the same settings fit both)")
	sesPort := flag.Int("ses-port", 8005, "SES emulator and mail viewer port")
	noDemo := flag.Bool("no-demo", false, "do not seed the demo spaces, customers and documents")
	ttlSweeper := flag.Bool("ttl-sweeper", false, "delete expired items every minute, as DynamoDB TTL would (moto never does)")
	webDir := flag.String("web", "", "frontend directory (default web/dist when built, else web/)")
	samEnv := flag.String("sam-env-vars", "", "also write this env.json for sam local invoke -n, pointing at the emulators (docs/LOCAL.md)")
	flag.Parse()
	os.Exit(run(t0, *port, *motoPort, *sesPort, !*noDemo, *ttlSweeper, *webDir, *samEnv))
}

func run(t0 time.Time, port, motoPort, sesPort int, demo, ttlSweeper bool, webDir, samEnv string) int {
	lock, err := acquireLock(port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer lock.release()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logFile, logPath, err := functionLog()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer logFile.Close()

	fmt.Printf("Starting efacture on http://127.0.0.1:%d …\n", port)
	opts := runner.Options{
		PortalPort: port, MotoPort: motoPort, SESPort: sesPort, Reuse: true, Prefix: stackName,
		Demo: demo, WebDir: webDir, FunctionLogs: logFile,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if ttlSweeper {
		opts.TTLSweepEvery = time.Minute
	}
	r, err := runner.Start(ctx, opts)
	switch {
	case errors.Is(err, localaws.ErrMotoMissing):
		fmt.Fprintf(os.Stderr, "\nmoto_server is not installed. Install it, then run make run again:\n\n    %s\n\n", localaws.MotoInstall)
		return 1
	case errors.Is(err, localaws.ErrSESMissing):
		fmt.Fprintf(os.Stderr, "\n%v\n", err)
		return 1
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "\nInterrupted during start-up; everything it started is stopped.")
		return 130
	case err != nil:
		fmt.Fprintf(os.Stderr, "\nefacture could not start: %v\n", err)
		return 1
	}
	lock.write(r.PortalURL)
	banner(os.Stdout, r, time.Since(t0), logPath, demo, ttlSweeper)
	if samEnv != "" {
		if err := localaws.WriteSAMEnvVars(samEnv, r.AWS.Stack, r.MotoURL, r.AWS.SESServer.URL); err != nil {
			fmt.Fprintf(os.Stderr, "env.json: %v\n", err)
		} else {
			fmt.Printf("\nsam local invoke's variables are in %s (see docs/LOCAL.md).\n", samEnv)
		}
	}

	<-ctx.Done()
	stop()
	fmt.Println("\nStopping…")
	if err := r.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stop: %v\n", err)
		return 1
	}
	fmt.Println("Stopped; nothing this runner started is left running.")
	return 0
}

// banner prints what a developer needs once the portal is ready.
func banner(w io.Writer, r *runner.Runner, took time.Duration, logPath string, demo, ttlSweeper bool) {
	emulator := r.AWS.MotoServer.Name() + ", started by this runner"
	if !r.AWS.MotoServer.Started() {
		emulator = r.AWS.MotoServer.Name() + ", already running: reused, left running on exit"
	}
	fmt.Fprintf(w, "\nefacture is ready (%.1f s)\n\n", took.Seconds())
	if demo {
		fmt.Fprintf(w, "  Portal        %s/acme/   %s/globex/\n", r.PortalURL, r.PortalURL)
	} else {
		fmt.Fprintf(w, "  Portal        %s/{space}/\n", r.PortalURL)
	}
	for _, sp := range r.DemoStaff {
		fmt.Fprintf(w, "  Staff console %s/%s/staff/  identifier=%s password=%s totp=%s\n",
			r.PortalURL, sp, runner.DemoStaffIdentifier, runner.DemoStaffPassword, runner.DemoStaffSecret)
	}
	fmt.Fprintf(w, "  Mail viewer   %s/\n", r.MailViewerURL)
	fmt.Fprintf(w, "  AWS emulator  %s (%s)\n", r.MotoURL, emulator)
	fmt.Fprintf(w, "  Inbox bucket  %s\n", r.Env.InboxBucket)
	fmt.Fprintf(w, "  Function logs %s\n", logPath)
	fmt.Fprintf(w, "\nDrop an invoice as billing does (filed and mailed within seconds):\n\n    %s\n", r.BillingCommand())
	fmt.Fprintf(w, "\nFire the hourly schedule (the digest) now:\n\n    curl -X POST %s/_local/digest\n", r.PortalURL)
	if !ttlSweeper {
		fmt.Fprintf(w, "\nDelete expired items as DynamoDB TTL would: restart with -ttl-sweeper, or\n\n    curl -X POST %s/_local/ttl-sweep\n", r.PortalURL)
	}
	fmt.Fprintf(w, "\nCtrl-C stops everything this runner started.\n\n")
}

// functionLog opens the file the functions log to, as CloudWatch would
// receive their JSON lines.
func functionLog() (*os.File, string, error) {
	dir := filepath.Join(os.TempDir(), "efacture")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "functions.log")
	f, err := os.Create(path)
	return f, path, err
}

// lock makes a second `make run` say that one is running, instead of
// failing on a busy port.
type lock struct {
	f *os.File
}

type lockInfo struct {
	PID int    `json:"pid"`
	URL string `json:"url"`
}

// acquireLock takes the lock file in the temporary directory. The kernel
// releases the lock when the process ends, however it ends.
func acquireLock(port int) (*lock, error) {
	path := filepath.Join(os.TempDir(), "efacture-run.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		var info lockInfo
		b, _ := io.ReadAll(f)
		if json.Unmarshal(b, &info) == nil && info.PID > 0 {
			if info.URL == "" {
				return nil, fmt.Errorf("efacture is already starting (pid %d); wait for it or stop it with Ctrl-C", info.PID)
			}
			return nil, fmt.Errorf("efacture is already running at %s (pid %d); stop it with Ctrl-C in its terminal first", info.URL, info.PID)
		}
		return nil, fmt.Errorf("efacture is already running (lock %s is held)", path)
	}
	// Another program on the portal port is not another run of ours.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("port %d on 127.0.0.1 is used by another program; stop it or choose another port with -port", port)
	}
	ln.Close()
	l := &lock{f: f}
	l.write("")
	return l, nil
}

// write records this process and, once ready, its URL for a second run.
func (l *lock) write(url string) {
	b, _ := json.Marshal(lockInfo{PID: os.Getpid(), URL: url})
	l.f.Truncate(0)
	l.f.WriteAt(b, 0)
}

func (l *lock) release() {
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
