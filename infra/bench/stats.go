package bench

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stat is benchstat's summary of one metric of one benchmark over the repeated runs: the
// median and its 95 % confidence interval as benchstat writes it ("± 3%", "± ∞" with too
// few runs).
type Stat struct {
	Median float64
	CI     string
}

// Stats are summaries by benchmark name (without the -GOMAXPROCS suffix) and unit.
type Stats map[string]map[string]Stat

// Get returns a benchmark's summary in unit.
func (s Stats) Get(bench, unit string) (Stat, bool) {
	st, ok := s[bench][unit]
	return st, ok
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBenchstatCSV reads what `benchstat -format csv` writes for a single input: one
// table per unit, each a header line, a ",unit,CI" line and a line per benchmark, tables
// apart by blank lines, possibly after configuration lines.
func ParseBenchstatCSV(r io.Reader) (Stats, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	out := Stats{}
	unit := ""
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) < 2 {
			continue // configuration lines such as "goos: linux"
		}
		if rec[0] == "" {
			if len(rec) >= 3 && rec[2] == "CI" {
				unit = rec[1]
			}
			continue
		}
		if unit == "" || rec[0] == "geomean" {
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return nil, fmt.Errorf("benchstat csv: %q: %v", rec, err)
		}
		name := procsSuffix.ReplaceAllString(rec[0], "")
		if out[name] == nil {
			out[name] = map[string]Stat{}
		}
		ci := ""
		if len(rec) > 2 {
			ci = rec[2]
		}
		out[name][unit] = Stat{Median: v, CI: ci}
	}
	if len(out) == 0 {
		return nil, errors.New("benchstat csv: no benchmark")
	}
	return out, nil
}

// callsLine matches what the benchmarks log of each arm's calls: "CALLS handler: …".
var callsLine = regexp.MustCompile(`^\s+\S+\.go:\d+: CALLS (\S+): (.*)$`)

// ArmCalls extracts, from go test -bench output, the AWS calls each arm of each benchmark
// made in its last iteration, by benchmark name (without -GOMAXPROCS) and arm; the last
// run wins.
func ArmCalls(out string) map[string]map[string]string {
	res := map[string]map[string]string{}
	bench := ""
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "--- BENCH: "); ok {
			bench = procsSuffix.ReplaceAllString(strings.TrimPrefix(strings.TrimSpace(name), "Benchmark"), "")
			continue
		}
		if m := callsLine.FindStringSubmatch(line); m != nil && bench != "" {
			if res[bench] == nil {
				res[bench] = map[string]string{}
			}
			res[bench][m[1]] = m[2]
		}
	}
	return res
}

// BenchmarkLines keeps what benchstat reads of go test output: the configuration lines
// and the result lines, without the benchmarks' logs.
func BenchmarkLines(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Benchmark") || isConfigLine(line) {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var configLine = regexp.MustCompile(`^[a-z][a-zA-Z0-9_-]*: `)

func isConfigLine(line string) bool { return configLine.MatchString(line) }

// Median returns the median of ds, 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
