package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTable: the figures count a 5xx and an unexpected answer as errors, and the table
// shows each route and the total.
func TestTable(t *testing.T) {
	l := &load{stats: map[string]*routeStats{}}
	for i := 1; i <= 100; i++ {
		l.record("GET /api/me", time.Duration(i)*time.Millisecond, 200, 200, nil)
	}
	l.record("GET /api/documents", 5*time.Millisecond, 200, 200, nil)
	l.record("GET /api/documents", 7*time.Millisecond, 502, 200, nil)
	l.record("POST /api/auth/login", time.Millisecond, 0, 200, errors.New("connection reset"))
	var out bytes.Buffer
	server, errs := l.table(&out, 10*time.Second)
	if server != 1 || errs != 2 {
		t.Errorf("got %d 5xx and %d errors, want 1 and 2", server, errs)
	}
	for _, want := range []string{
		"| `GET /api/me` | 100 | 10.0 | 0.00 % | 0 | 51ms | 96ms | 100ms |",
		"| `GET /api/documents` | 2 | 0.2 | 50.00 % | 1 |",
		"| all | 103 | 10.3 | 1.94 % | 1 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
