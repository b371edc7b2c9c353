package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/service/ingest"
)

// fakeQueue holds requeued keys until the test delivers them.
type fakeQueue struct {
	mu         sync.Mutex
	keys       []string
	principals map[string]string // the principal each key was last requeued with
}

func (q *fakeQueue) Requeue(_ context.Context, key, principal string, _ time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.keys = append(q.keys, key)
	if q.principals == nil {
		q.principals = map[string]string{}
	}
	q.principals[key] = principal
	return nil
}

// drain delivers requeued keys until none is left and returns how many there were.
func (e *env) drain(t *testing.T, q *fakeQueue) int {
	t.Helper()
	n := 0
	for ; ; n++ {
		q.mu.Lock()
		if len(q.keys) == 0 {
			q.mu.Unlock()
			return n
		}
		k := q.keys[0]
		q.keys = q.keys[1:]
		p := q.principals[k]
		q.mu.Unlock()
		if n > 1000 {
			t.Fatal("queue never drained")
		}
		e.handleAs(t, k, p)
	}
}

func referentialCSV(rows int, name string, bad int) string {
	var b strings.Builder
	b.WriteString("customer_number,company_name,email\n")
	for i := 1; i <= rows; i++ {
		if i == bad {
			b.WriteString("C bad,Mauvais,\n")
			continue
		}
		fmt.Fprintf(&b, "C%d,%s %d,c%d@example.fr\n", i, name, i, i)
	}
	return b.String()
}

func TestReferentialInChunks(t *testing.T) {
	e := newEnv(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 7
	const key = "inbox/acme/customers/x.csv"
	e.objects.drop(key, []byte(referentialCSV(50, "Un", 20)), nil)
	e.handle(t, key)
	if n := e.drain(t, q); n != 7 {
		t.Errorf("got %d continuations, want 7 for 50 rows 7 at a time", n)
	}
	r := e.report(t, "reports/acme/customers/x.csv.20261126T100000Z.report.json")
	if r.Rows != 50 || r.Applied != 49 || r.Unchanged != 0 || r.Rejected != 1 || len(r.Errors) != 1 || r.Errors[0].Line != 21 {
		t.Errorf("report: got %+v", r)
	}
	if n := len(e.store.customers); n != 49 {
		t.Errorf("got %d customers, want 49", n)
	}
	if len(e.store.jobs) != 0 {
		t.Errorf("job left: %+v", e.store.jobs)
	}

	// The same rows again are all skipped.
	e.now = now0.Add(time.Hour)
	e.objects.drop(key, []byte(referentialCSV(50, "Un", 20)), nil)
	e.handle(t, key)
	e.drain(t, q)
	r = e.report(t, "reports/acme/customers/x.csv.20261126T110000Z.report.json")
	if r.Applied != 0 || r.Unchanged != 49 || r.Rejected != 1 {
		t.Errorf("same file again: got %+v", r)
	}
	if c := e.store.customer("acme", "C1"); !c.UpdatedAt.Equal(now0) {
		t.Errorf("an unchanged row was written: %+v", c)
	}
}

// TestReferentialsInDropOrder: a file dropped while another of its space is applied
// waits, so the later file's rows win.
func TestReferentialsInDropOrder(t *testing.T) {
	e := newEnv(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 5
	e.objects.drop("inbox/acme/customers/1.csv", []byte(referentialCSV(20, "Ancien", 0)), nil)
	e.objects.drop("inbox/acme/customers/2.csv", []byte(referentialCSV(10, "Nouveau", 0)), nil)
	e.handle(t, "inbox/acme/customers/1.csv")
	e.handle(t, "inbox/acme/customers/2.csv") // waits: requeued behind 1.csv's next chunk
	e.drain(t, q)
	for i := 1; i <= 20; i++ {
		want := "Ancien"
		if i <= 10 {
			want = "Nouveau"
		}
		if c := e.store.customer("acme", fmt.Sprintf("C%d", i)); c.CompanyName != fmt.Sprintf("%s %d", want, i) {
			t.Errorf("C%d: got %q, want %s's", i, c.CompanyName, want)
		}
	}
	if left := e.objects.keys("inbox/"); len(left) != 0 {
		t.Errorf("inbox: got %q", left)
	}
}

// TestReferentialRedelivered: a delivery that ran the chunk another already saved
// changes nothing, and a redelivery after the end writes no second report.
func TestReferentialRedelivered(t *testing.T) {
	e := newEnv(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 4
	const key = "inbox/acme/customers/x.csv"
	e.objects.drop(key, []byte(referentialCSV(10, "Un", 0)), nil)
	e.handle(t, key)
	e.handle(t, key) // the S3 event again, while the job runs
	e.drain(t, q)
	e.handle(t, key) // and after it ended
	r := e.report(t, "reports/acme/customers/x.csv.20261126T100000Z.report.json")
	if r.Rows != 10 || r.Applied != 10 || r.Unchanged != 0 {
		t.Errorf("report: got %+v", r)
	}
	if reports := e.objects.keys("reports/"); len(reports) != 1 {
		t.Errorf("reports: got %q, want one", reports)
	}
	if c := e.store.customer("acme", "C10"); c.CompanyName != "Un 10" || c.Notification != customers.NotifyNone {
		t.Errorf("C10: got %+v", c)
	}
}

// TestReferentialReplacedWhileApplied: billing drops other bytes under the key of the
// file being applied; the new file is applied from its start, with one report.
func TestReferentialReplacedWhileApplied(t *testing.T) {
	e := newEnv(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 4
	const key = "inbox/acme/customers/x.csv"
	e.objects.drop(key, []byte(referentialCSV(10, "Ancien", 0)), nil)
	e.handle(t, key)
	e.objects.drop(key, []byte(referentialCSV(6, "Nouveau", 0)), nil)
	e.drain(t, q)
	r := e.report(t, "reports/acme/customers/x.csv.20261126T100000Z.report.json")
	if r.Rows != 6 || r.Applied != 6 {
		t.Errorf("report: got %+v, want the new file's 6 rows", r)
	}
	if c := e.store.customer("acme", "C1"); c.CompanyName != "Nouveau 1" {
		t.Errorf("C1: got %q", c.CompanyName)
	}
	if reports := e.objects.keys("reports/"); len(reports) != 1 {
		t.Errorf("reports: got %q", reports)
	}
}

// TestStalledReferentialWoken: when every message carrying a job is lost, a file waiting
// behind it sends the job on once it has not moved for StallAfter.
func TestStalledReferentialWoken(t *testing.T) {
	e := newEnv(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 4
	e.objects.drop("inbox/acme/customers/1.csv", []byte(referentialCSV(10, "Un", 0)), nil)
	e.handle(t, "inbox/acme/customers/1.csv")
	q.keys = nil // the continuation is lost
	e.objects.drop("inbox/acme/customers/2.csv", []byte(referentialCSV(3, "Deux", 0)), nil)
	e.handle(t, "inbox/acme/customers/2.csv")
	if len(q.keys) != 1 || q.keys[0] != "inbox/acme/customers/2.csv" {
		t.Fatalf("queue: got %q, want only the waiting file", q.keys)
	}
	q.keys = nil
	e.now = now0.Add(ingest.StallAfter + time.Minute)
	e.handle(t, "inbox/acme/customers/2.csv")
	e.drain(t, q)
	if left := e.objects.keys("inbox/"); len(left) != 0 {
		t.Errorf("inbox: got %q", left)
	}
	if c := e.store.customer("acme", "C10"); c.CompanyName != "Un 10" {
		t.Errorf("C10: got %q", c.CompanyName)
	}
	if c := e.store.customer("acme", "C1"); c.CompanyName != "Deux 1" {
		t.Errorf("C1: got %q", c.CompanyName)
	}
}
