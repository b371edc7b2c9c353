package bench_test

import (
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/bench"
)

// benchstatCSV is what benchstat -format csv writes for one input file.
const benchstatCSV = `goos: linux
goarch: amd64
pkg: github.com/efacture/efacture/infra/bench
cpu: AMD EPYC
,benchmarks.txt,
,sec/op,CI
R6Presign-2,3.1e-05,3%
R1Download/first-2,0.04,∞
geomean,0.001,

,benchmarks.txt,
,ratio,CI
R1Download/first-2,1.02,1%
R1Download/repeat-2,0.98,2%
geomean,1,
`

func TestParseBenchstatCSV(t *testing.T) {
	s, err := bench.ParseBenchstatCSV(strings.NewReader(benchstatCSV))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		bench, unit string
		want        bench.Stat
	}{
		{"R6Presign", "sec/op", bench.Stat{Median: 3.1e-5, CI: "3%"}},
		{"R1Download/first", "sec/op", bench.Stat{Median: 0.04, CI: "∞"}},
		{"R1Download/first", "ratio", bench.Stat{Median: 1.02, CI: "1%"}},
		{"R1Download/repeat", "ratio", bench.Stat{Median: 0.98, CI: "2%"}},
	}
	for _, c := range cases {
		t.Run(c.bench+" "+c.unit, func(t *testing.T) {
			got, ok := s.Get(c.bench, c.unit)
			if !ok || got != c.want {
				t.Errorf("got %+v (%v), want %+v", got, ok, c.want)
			}
		})
	}
	if _, ok := s.Get("geomean", "ratio"); ok {
		t.Error("geomean parsed as a benchmark")
	}
	if _, err := bench.ParseBenchstatCSV(strings.NewReader("goos: linux\n")); err == nil {
		t.Error("no table: got no error")
	}
}

// goTestOutput is go test -bench output with the benchmarks' logs.
const goTestOutput = `goos: linux
goarch: amd64
pkg: github.com/efacture/efacture/infra/bench
cpu: AMD EPYC
BenchmarkR1Download/first-2   	      28	  38623678 ns/op	         1.005 ratio
--- BENCH: BenchmarkR1Download/first-2
    bench_test.go:220: CALLS handler: GetItem main, GetItem main, presign GetObject
    bench_test.go:220: CALLS floor: GetItem main
    bench_test.go:220: CALLS floor: GetItem main, GetItem documents
BenchmarkR6Presign-2   	   30039	     35184 ns/op
PASS
ok  	github.com/efacture/efacture/infra/bench	96.074s
`

func TestArmCalls(t *testing.T) {
	got := bench.ArmCalls(goTestOutput)
	want := map[string]string{"handler": "GetItem main, GetItem main, presign GetObject", "floor": "GetItem main, GetItem documents"}
	for arm, seq := range want {
		if got["R1Download/first"][arm] != seq {
			t.Errorf("%s: got %q, want %q", arm, got["R1Download/first"][arm], seq)
		}
	}
	if len(got) != 1 {
		t.Errorf("got calls of %d benchmarks, want 1: %v", len(got), got)
	}
}

func TestBenchmarkLines(t *testing.T) {
	got := bench.BenchmarkLines(goTestOutput)
	want := "goos: linux\ngoarch: amd64\npkg: github.com/efacture/efacture/infra/bench\ncpu: AMD EPYC\n" +
		"BenchmarkR1Download/first-2   \t      28\t  38623678 ns/op\t         1.005 ratio\n" +
		"BenchmarkR6Presign-2   \t   30039\t     35184 ns/op\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3 * ms},
		{[]time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 10 * ms}, 3 * ms},
	}
	for _, c := range cases {
		if got := bench.Median(c.in); got != c.want {
			t.Errorf("Median(%v): got %v, want %v", c.in, got, c.want)
		}
	}
}
