package bench_test

import (
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/bench"
)

// stats builds summaries from "bench unit" → median.
func stats(m map[string]float64) bench.Stats {
	s := bench.Stats{}
	for k, v := range m {
		b, unit, _ := strings.Cut(k, " ")
		if s[b] == nil {
			s[b] = map[string]bench.Stat{}
		}
		s[b][unit] = bench.Stat{Median: v, CI: "2%"}
	}
	return s
}

// allMet are results meeting every target of R1–R7.
func allMet() map[string]float64 {
	return map[string]float64{
		"R1Download/first ratio": 1.05, "R1Download/repeat ratio": 1.1,
		"R2RuntimeLoop sec/op":   0.0004,
		"R3ListingHistory ratio": 1.02, "R3ListingHistory handler10x-doccalls/op": 1, "R3ListingHistory handler10x-items/op": 51,
		"R3ListingHistory handler1x-doccalls/op": 1, "R3ListingHistory handler1x-items/op": 51,
		"R4ListingDepth page1-doccalls/op": 1, "R4ListingDepth page20-doccalls/op": 1,
		"R4ListingDepth page1-items/op": 51, "R4ListingDepth page20-items/op": 51,
		"R5Ingest ratio":        0.8,
		"R6Presign sec/op":      3e-5,
		"R7Login/success ratio": 1.1,
		"R7Login/refusal ratio": 0.95,
	}
}

func TestBenchmarkRows(t *testing.T) {
	cases := []struct {
		name   string
		change map[string]float64
		drop   string
		want   map[string]bench.Verdict // rows not named are met
	}{
		{name: "all met"},
		{name: "slow repeat download", change: map[string]float64{"R1Download/repeat ratio": 1.3}, want: map[string]bench.Verdict{"R1": bench.Missed}},
		{name: "slow loop", change: map[string]float64{"R2RuntimeLoop sec/op": 0.0012}, want: map[string]bench.Verdict{"R2": bench.Missed}},
		{name: "listing reads more than a page", change: map[string]float64{"R3ListingHistory handler10x-items/op": 60}, want: map[string]bench.Verdict{"R3": bench.Missed}},
		{name: "listing slows with history", change: map[string]float64{"R3ListingHistory ratio": 1.3}, want: map[string]bench.Verdict{"R3": bench.Missed}},
		{name: "deep page reads more", change: map[string]float64{"R4ListingDepth page20-items/op": 1000}, want: map[string]bench.Verdict{"R4": bench.Missed}},
		{name: "slow ingestion", change: map[string]float64{"R5Ingest ratio": 0.6}, want: map[string]bench.Verdict{"R5": bench.Missed}},
		{name: "slow presign", change: map[string]float64{"R6Presign sec/op": 2e-4}, want: map[string]bench.Verdict{"R6": bench.Missed}},
		{name: "unknown identifiers answer fast", change: map[string]float64{"R7Login/refusal ratio": 0.85}, want: map[string]bench.Verdict{"R7": bench.Missed}},
		{name: "unknown identifiers answer slowly", change: map[string]float64{"R7Login/refusal ratio": 1.15}, want: map[string]bench.Verdict{"R7": bench.Missed}},
		{name: "ingestion did not run", drop: "R5Ingest ratio", want: map[string]bench.Verdict{"R5": bench.NotMeasurable}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := allMet()
			for k, v := range c.change {
				m[k] = v
			}
			delete(m, c.drop)
			rows := bench.BenchmarkRows(stats(m), nil)
			if len(rows) != 7 {
				t.Fatalf("got %d rows, want 7", len(rows))
			}
			for _, r := range rows {
				want := bench.Met
				if v, ok := c.want[r.ID]; ok {
					want = v
				}
				if r.Verdict != want {
					t.Errorf("%s: got %s (%s), want %s", r.ID, r.Verdict, r.Value, want)
				}
			}
		})
	}
}

func TestSizeRow(t *testing.T) {
	cases := []struct {
		name string
		bins []bench.Binary
		want bench.Verdict
	}{
		{"within", []bench.Binary{{Function: "auth", Size: 125, Reference: 100, API: true}, {Function: "ingest", Size: 200, Reference: 100}}, bench.Met},
		{"an API function over", []bench.Binary{{Function: "auth", Size: 131, Reference: 100, API: true}}, bench.Missed},
		{"nothing built", nil, bench.NotMeasurable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bench.SizeRow(c.bins); got.Verdict != c.want {
				t.Errorf("got %s (%s), want %s", got.Verdict, got.Value, c.want)
			}
		})
	}
}

func TestColdStartRow(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	hello := bench.Start{Function: "hello", Runs: ms(3, 4, 5), Init: ms(1)}
	cases := []struct {
		name string
		fns  []bench.Start
		want bench.Verdict
	}{
		{"within", []bench.Start{{Function: "auth", Runs: ms(10, 11, 12), Init: ms(6), API: true}}, bench.Met},
		{"slow start", []bench.Start{{Function: "auth", Runs: ms(12, 13, 14), Init: ms(6), API: true}}, bench.Missed},
		{"slow init", []bench.Start{{Function: "auth", Runs: ms(10), Init: ms(11), API: true}}, bench.Missed},
		{"only reported ones slow", []bench.Start{
			{Function: "auth", Runs: ms(5), Init: ms(2), API: true},
			{Function: "ingest", Runs: ms(40), Init: ms(20)},
			{Function: "auth", Runs: ms(40), Init: ms(20), Yardstick: true},
		}, bench.Met},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bench.ColdStartRow(hello, c.fns); got.Verdict != c.want {
				t.Errorf("got %s (%s), want %s", got.Verdict, got.Value, c.want)
			}
		})
	}
	if got := bench.ColdStartRow(bench.Start{}, nil); got.Verdict != bench.NotMeasurable {
		t.Errorf("no starts: got %s", got.Verdict)
	}
}

func TestWebRow(t *testing.T) {
	cases := []struct {
		name  string
		pages []bench.PageWeight
		why   string
		want  bench.Verdict
	}{
		{"light pages", []bench.PageWeight{{Page: "a.html", JS: 20000, CSS: 3000}, {Page: "b.html", JS: 1000}}, "", bench.Met},
		{"one heavy page", []bench.PageWeight{{Page: "a.html", JS: 29000, CSS: 3000}}, "", bench.Missed},
		{"not built", nil, "npm run build failed", bench.NotMeasurable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bench.WebRow(c.pages, c.why); got.Verdict != c.want {
				t.Errorf("got %s (%s), want %s", got.Verdict, got.Value, c.want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	rep := bench.Report{
		Machine: bench.Machine{CPUs: 2, CPU: "AMD EPYC", Go: "go1.26.8 linux/amd64", Date: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)},
		Rows:    append(bench.BenchmarkRows(stats(allMet()), nil), bench.WebRow(nil, "npm run build failed")),
		Count:   10, BenchTime: "1s", Starts: 30, Duration: 9 * time.Minute, Benchstat: "R6Presign-2 31µ ± 3%\n",
	}
	md := rep.Markdown()
	for _, want := range []string{
		"| R1 | `GET /api/documents/{id}/download` through the Lambda adapter ÷ its floor | ≤ 1.2 | 1.05 (first download), 1.10 (repeat) | ratio | met |",
		"| R10 | shipped JS+CSS per page, gzip | ≤ 30 KB | — | absolute (bytes) | not measurable |",
		"- CPUs (`nproc`): 2\n", "- CPU: AMD EPYC\n", "- Go: go1.26.8 linux/amd64\n", "2026-11-26 08:00 UTC, 9m0s in all",
		"(`-count=10`", "### R10 — not measurable", "- npm run build failed\n", "```text\nR6Presign-2 31µ ± 3%\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestMarkdownFailures(t *testing.T) {
	rep := bench.Report{Rows: bench.BenchmarkRows(stats(allMet()), nil), Failures: []string{"^BenchmarkR7Login (exit status 1):\n--- FAIL: BenchmarkR7Login/refusal-2\n    bench_test.go:1: got 500, want 401"}}
	md := rep.Markdown()
	if !strings.Contains(md, "## Failures") || !strings.Contains(md, "got 500, want 401") {
		t.Errorf("report lacks the failure:\n%s", md)
	}
	if md := (bench.Report{}).Markdown(); strings.Contains(md, "## Failures") {
		t.Error("a run without failures shows a Failures section")
	}
}
