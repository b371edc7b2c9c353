package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestSmall runs the measurement at a tiny size and checks that its counts add up: every
// row applied, then every row found unchanged, every document filed, mails for the attachment customers, and calls
// counted and named by operation.
func TestSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := run(ctx, config{rows: 200, documents: 20, phaseTimeout: 2 * time.Minute, progress: testWriter{t}, functionLogs: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.phases) != 4 {
		t.Fatalf("got %d phases, want 4", len(res.phases))
	}
	for _, p := range res.phases {
		if p.done != p.units || p.rejected != 0 || p.incomplete != "" {
			t.Errorf("%s: %d of %d done, %d rejected, %q", p.name, p.done, p.units, p.rejected, p.incomplete)
		}
		if p.sent == 0 || p.invoked["IngestFunction"].n == 0 {
			t.Errorf("%s: %d calls, %d ingest invocations", p.name, p.sent, p.invoked["IngestFunction"].n)
		}
		sum := 0
		for op, n := range p.calls {
			if op == "" || strings.HasPrefix(op, " ") {
				t.Errorf("%s: calls without an operation name: %q", p.name, op)
			}
			if !strings.HasPrefix(op, "presign ") {
				sum += n
			}
		}
		if sum != p.sent {
			t.Errorf("%s: %d calls by operation, %d in all", p.name, sum, p.sent)
		}
	}
	ref, docs := res.phases[0], res.phases[2]
	if again := res.phases[1]; ref.unchanged != 0 || again.unchanged != again.units {
		t.Errorf("referential: %d unchanged the first time, %d of %d the second, want 0 and all", ref.unchanged, again.unchanged, again.units)
	}
	if ref.calls["GetObject"] == 0 {
		t.Errorf("referential: no GetObject counted: %v", ref.calls)
	}
	if docs.calls["TransactWriteItems main"] != docs.units {
		t.Errorf("documents: %d filing transactions for %d documents: %v", docs.calls["TransactWriteItems main"], docs.units, docs.calls)
	}
	// Customers 0, 1, 2 of each 10 are mailed with the PDF attached; the first wave also
	// sends every customer's activation.
	if want := 3 * docs.units / 10; docs.attached != want || res.phases[3].attached != want {
		t.Errorf("got %d and %d mails with an attachment, want %d in each wave", docs.attached, res.phases[3].attached, want)
	}
	if docs.mails != docs.units+docs.attached {
		t.Errorf("first wave: %d mails, want %d activations and %d notifications", docs.mails, docs.units, docs.attached)
	}
	var out bytes.Buffer
	res.markdown(&out)
	if !strings.Contains(out.String(), "| · TransactWriteItems main |") {
		t.Errorf("markdown table without the operations:\n%s", out.String())
	}
}
