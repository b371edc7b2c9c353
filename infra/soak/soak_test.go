package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
)

// TestDuplicateEvents is the soak in small, for make test: every S3 event delivered
// twice in random order, one crash of the ingest handler mid-batch and one of the mailer
// between a send and its record, a short SES outage and a short pause of the emulator.
func TestDuplicateEvents(t *testing.T) {
	logs := &localaws.SyncBuffer{}
	cfg := config{
		documents: 40, customers: 4,
		sesAfter: 2 * time.Second, sesOutage: 4 * time.Second,
		pauseAfter: 3 * time.Second, pause: 2 * time.Second,
		ingestCrashes: 1, mailerCrashes: 1,
		visibility: 5 * time.Second, copyDelay: 3 * time.Second, deadline: 4 * time.Minute,
		seed: 1, progress: &testWriter{t}, functionLogs: logs,
	}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.line())
	if err := rep.verdict(); err != nil {
		t.Error(err)
	}
	if rep.archived+rep.rejected != rep.dropped || rep.rejected == 0 {
		t.Errorf("got %d archived and %d rejected of %d, want the bad ones rejected and the rest archived", rep.archived, rep.rejected, rep.dropped)
	}
	if rep.sent+rep.dead != rep.due || rep.due == 0 {
		t.Errorf("got %d sent and %d dead-lettered of %d due", rep.sent, rep.dead, rep.due)
	}
	if t.Failed() && os.Getenv("SOAK_LOGS") != "" {
		t.Log(logs.String())
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestMotoFix runs motofix/check.py against moto itself: the workaround rolls a failed
// transaction back item by item, streams included, and copies no table.
func TestMotoFix(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3, which runs moto, is not on PATH")
	}
	cmd := exec.Command(python, "check.py")
	cmd.Dir = "motofix"
	cmd.Env = append(os.Environ(), "PYTHONPATH=.")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(string(out)))
}
