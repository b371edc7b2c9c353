package app_test

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/domain/documents"
)

// maxBombGrowth is what handling one hostile PDF may add to the process's peak memory:
// half of the ingest function's 512 MB.
const maxBombGrowth = 256 << 20

// procStatus reads a "VmHWM:"-style line of /proc/self/status, in bytes.
func procStatus(t *testing.T, name string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == name+":" && f[2] == "kB" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n << 10
		}
	}
	t.Skipf("no %s in /proc/self/status", name)
	return 0
}

// peakGrowth runs f and returns how far the process's resident set rose above where it
// stood before: the peak is reset first (clear_refs 5), so earlier tests do not count.
func peakGrowth(t *testing.T, f func()) int64 {
	t.Helper()
	debug.FreeOSMemory() // so that reused free memory does not hide growth
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak resident set: %v", err)
	}
	before := procStatus(t, "VmRSS")
	f()
	return procStatus(t, "VmHWM") - before
}

// TestIngestDecompressionBombs drops two half-megabyte PDFs that inflate to 512 MiB
// (one through an object stream, one through its factur-x.xml) between three normal
// ones, and delivers each message alone, as the ingest event source does (BatchSize 1).
// The normal PDFs are filed; the object stream bomb, which pdfcpu gives up on, is filed
// on its metadata alone; the XML bomb is rejected with its report; and neither grows
// the process by more than maxBombGrowth (PRODUCT.md §10).
func TestIngestDecompressionBombs(t *testing.T) {
	p := newPipeline(t)
	bombs := map[string]string{"B-OBJ": samplepdf.BombObjectStream, "B-XML": samplepdf.BombEmbeddedFile}
	for _, n := range []string{"F-1", "B-OBJ", "F-2", "B-XML", "F-3"} {
		body := pdfFor(t, n, "Un")
		if part, ok := bombs[n]; ok {
			var err error
			if body, err = samplepdf.Bomb(part, 512<<20); err != nil {
				t.Fatal(err)
			}
		}
		p.put("inbox/acme/documents/"+n+".pdf", body, meta("C1", n))
	}
	for _, m := range p.receive() {
		delivered := func() {
			if failed := p.deliver([]events.SQSMessage{m}); failed != 0 {
				t.Errorf("message %s failed", m.Body)
			}
		}
		bomb := bytes.Contains([]byte(m.Body), []byte("/B-"))
		if !bomb {
			delivered()
			continue
		}
		growth := peakGrowth(t, delivered)
		t.Logf("peak resident set growth while handling %s: %d MiB", m.Body[strings.Index(m.Body, "B-"):][:5], growth>>20)
		if growth >= maxBombGrowth {
			t.Errorf("a bomb grew the process by %d MiB, want under %d MiB", growth>>20, maxBombGrowth>>20)
		}
	}

	if got := p.count(p.env.DocumentsTable); got != 4 {
		t.Errorf("got %d documents, want F-1, F-2, F-3 and B-OBJ", got)
	}
	if left := p.keys(p.env.InboxBucket, "inbox/"); len(left) != 0 {
		t.Errorf("inbox: got %q, want empty", left)
	}
	var rej documents.Rejection
	p.readJSON(p.env.InboxBucket, "rejected/acme/documents/B-XML.pdf.error.json", &rej)
	if rej.Code != documents.CodeBadValue || !strings.Contains(rej.MessageEN, "limit") {
		t.Errorf("XML bomb: got %+v, want bad_value naming the decode limit", rej)
	}
	if got := p.keys(p.env.InboxBucket, "rejected/"); len(got) != 2 {
		t.Errorf("rejected/: got %q, want the XML bomb and its report", got)
	}
}
