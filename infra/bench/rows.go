package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Verdict says whether a row's value meets its target.
type Verdict string

const (
	Met           Verdict = "met"
	Missed        Verdict = "missed"
	NotMeasurable Verdict = "not measurable"
)

// Kind says whether a figure compares across machines.
type Kind string

const (
	Ratio    Kind = "ratio"
	Absolute Kind = "absolute (this machine)"
	Count    Kind = "count"
	Size     Kind = "ratio of sizes"
	Bytes    Kind = "absolute (bytes)"
)

// Row is one line of docs/BENCHMARKS.md's table.
type Row struct {
	ID, Measure, Target string
	Value               string
	Kinds               []Kind
	Verdict             Verdict
	// Details are shown under the table: the figures behind the value.
	Details []string
}

func verdict(ok bool) Verdict {
	if ok {
		return Met
	}
	return Missed
}

// all combines verdicts: not measurable wins, then missed.
func all(vs ...Verdict) Verdict {
	out := Met
	for _, v := range vs {
		switch {
		case v == NotMeasurable:
			return NotMeasurable
		case v == Missed:
			out = Missed
		}
	}
	return out
}

// missing is a row whose benchmark produced nothing.
func missing(r Row, what string) Row {
	r.Value, r.Verdict = "—", NotMeasurable
	r.Details = append(r.Details, "No result for "+what+": the benchmark did not run or failed (see make bench's output).")
	return r
}

func ms(sec float64) string { return fmt.Sprintf("%.2f ms", sec*1e3) }

func withCI(v string, st Stat) string {
	if st.CI == "" {
		return v
	}
	return v + " ± " + st.CI
}

// armLine describes one arm of a benchmark: its median time and its calls.
func armLine(s Stats, bench, arm, label string, calls map[string]map[string]string) string {
	t, ok := s.Get(bench, arm+"-ms/op")
	if !ok {
		return ""
	}
	line := fmt.Sprintf("%s: %s per request", label, withCI(fmt.Sprintf("%.2f ms", t.Median), t))
	if c, ok := s.Get(bench, arm+"-calls/op"); ok {
		line += fmt.Sprintf(", %.4g AWS calls", c.Median)
		if r, ok := s.Get(bench, arm+"-rounds/op"); ok && r.Median < c.Median {
			line += fmt.Sprintf(" in %.4g round trips (the rest issued at once)", r.Median)
		}
	}
	if seq := calls[bench][arm]; seq != "" {
		line += " (" + seq + ")"
	}
	return line
}

func addLines(r *Row, lines ...string) {
	for _, l := range lines {
		if l != "" {
			r.Details = append(r.Details, l)
		}
	}
}

// BenchmarkRows turns benchstat's summaries of the Go benchmarks into rows R1–R7, with
// the calls each arm made (ArmCalls).
func BenchmarkRows(s Stats, calls map[string]map[string]string) []Row {
	return []Row{r1(s, calls), r2(s), r3(s, calls), r4(s, calls), r5(s, calls), r6(s), r7(s, calls)}
}

func r1(s Stats, calls map[string]map[string]string) Row {
	r := Row{ID: "R1", Measure: "`GET /api/documents/{id}/download` through the Lambda adapter ÷ its floor", Target: "≤ 1.2", Kinds: []Kind{Ratio}}
	first, ok1 := s.Get("R1Download/first", "ratio")
	repeat, ok2 := s.Get("R1Download/repeat", "ratio")
	if !ok1 || !ok2 {
		return missing(r, "BenchmarkR1Download")
	}
	r.Value = fmt.Sprintf("%.2f (first download), %.2f (repeat)", first.Median, repeat.Median)
	r.Verdict = verdict(first.Median <= 1.2 && repeat.Median <= 1.2)
	for _, sub := range []string{"first", "repeat"} {
		b := "R1Download/" + sub
		addLines(&r, armLine(s, b, "handler", "handler, "+sub, calls), armLine(s, b, "floor", "floor, "+sub, calls))
	}
	return r
}

func r2(s Stats) Row {
	r := Row{ID: "R2", Measure: "aws-lambda-go runtime loop per API Gateway v2 call through a fake Runtime API", Target: "≤ 1 ms", Kinds: []Kind{Absolute}}
	t, ok := s.Get("R2RuntimeLoop", "sec/op")
	if !ok {
		return missing(r, "BenchmarkR2RuntimeLoop")
	}
	r.Value = withCI(ms(t.Median), t)
	r.Verdict = verdict(t.Median <= 1e-3)
	return r
}

func r3(s Stats, calls map[string]map[string]string) Row {
	r := Row{ID: "R3", Measure: "list page of 50 at 10× history ÷ at 1×, divided by the same ratio of its floor; documents-table calls per page; items read per unfiltered page", Target: "≤ 1.1; 1; ≤ 51", Kinds: []Kind{Ratio, Count, Count}}
	const b = "R3ListingHistory"
	ratio, ok := s.Get(b, "ratio")
	docs, ok2 := s.Get(b, "handler10x-doccalls/op")
	items, ok3 := s.Get(b, "handler10x-items/op")
	docs1, _ := s.Get(b, "handler1x-doccalls/op")
	items1, _ := s.Get(b, "handler1x-items/op")
	if !ok || !ok2 || !ok3 {
		return missing(r, "BenchmarkR3ListingHistory")
	}
	r.Value = fmt.Sprintf("%.2f; %.4g; %.4g", ratio.Median, max(docs.Median, docs1.Median), max(items.Median, items1.Median))
	r.Verdict = verdict(ratio.Median <= 1.1 && docs.Median == 1 && docs1.Median == 1 && items.Median <= 51 && items1.Median <= 51)
	addLines(&r,
		armLine(s, b, "handler1x", "handler, 500 documents", calls), armLine(s, b, "handler10x", "handler, 5,000 documents", calls),
		armLine(s, b, "floor1x", "floor, 500 documents", calls), armLine(s, b, "floor10x", "floor, 5,000 documents", calls))
	return r
}

func r4(s Stats, calls map[string]map[string]string) Row {
	r := Row{ID: "R4", Measure: "page 20 ÷ page 1 of one listing, in documents-table calls and items read", Target: "equal", Kinds: []Kind{Count}}
	const b = "R4ListingDepth"
	d1, ok1 := s.Get(b, "page1-doccalls/op")
	d20, ok2 := s.Get(b, "page20-doccalls/op")
	i1, ok3 := s.Get(b, "page1-items/op")
	i20, ok4 := s.Get(b, "page20-items/op")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return missing(r, "BenchmarkR4ListingDepth")
	}
	r.Value = fmt.Sprintf("calls %.4g ÷ %.4g, items %.4g ÷ %.4g", d20.Median, d1.Median, i20.Median, i1.Median)
	r.Verdict = verdict(d1.Median == d20.Median && i1.Median == i20.Median)
	line := ""
	if t, ok := s.Get(b, "ratio"); ok {
		line = fmt.Sprintf("time of page 20 ÷ page 1: %s (moto skips the earlier items one by one; DynamoDB seeks the key)", withCI(fmt.Sprintf("%.2f", t.Median), t))
	}
	addLines(&r, armLine(s, b, "page1", "page 1", calls), armLine(s, b, "page20", "page 20", calls), line)
	return r
}

func r5(s Stats, calls map[string]map[string]string) Row {
	r := Row{ID: "R5", Measure: "ingestion through the handler ÷ its floor, documents per second", Target: "≥ 0.7", Kinds: []Kind{Ratio}}
	const b = "R5Ingest"
	ratio, ok := s.Get(b, "ratio")
	if !ok {
		return missing(r, "BenchmarkR5Ingest")
	}
	r.Value = withCI(fmt.Sprintf("%.2f", ratio.Median), ratio)
	r.Verdict = verdict(ratio.Median >= 0.7)
	line := ""
	if d, ok := s.Get(b, "handler-docs/s"); ok {
		line = fmt.Sprintf("handler throughput on one container: %.1f documents/s against moto (absolute, this machine)", d.Median)
	}
	addLines(&r, armLine(s, b, "handler", "handler", calls), armLine(s, b, "floor", "floor", calls), line)
	return r
}

func r6(s Stats) Row {
	r := Row{ID: "R6", Measure: "one presign", Target: "≤ 0.1 ms", Kinds: []Kind{Absolute}}
	t, ok := s.Get("R6Presign", "sec/op")
	if !ok {
		return missing(r, "BenchmarkR6Presign")
	}
	r.Value = withCI(fmt.Sprintf("%.1f µs", t.Median*1e6), t)
	r.Verdict = verdict(t.Median <= 1e-4)
	if a, ok := s.Get("R6Presign", "allocs/op"); ok {
		addLines(&r, fmt.Sprintf("%.0f allocations per presign", a.Median))
	}
	return r
}

func r7(s Stats, calls map[string]map[string]string) Row {
	r := Row{ID: "R7", Measure: "login ÷ (hash time + its floor); unknown identifier ÷ known identifier", Target: "≤ 1.2; 1.0 ± 0.1", Kinds: []Kind{Ratio, Ratio}}
	login, ok1 := s.Get("R7Login/success", "ratio")
	refusal, ok2 := s.Get("R7Login/refusal", "ratio")
	if !ok1 || !ok2 {
		return missing(r, "BenchmarkR7Login")
	}
	r.Value = fmt.Sprintf("%.2f; %.2f", login.Median, refusal.Median)
	r.Verdict = verdict(login.Median <= 1.2 && refusal.Median >= 0.9 && refusal.Median <= 1.1)
	hash := ""
	if h, ok := s.Get("R7Hash", "sec/op"); ok {
		hash = "one argon2id verification (19 MiB, 2 passes, 1 thread): " + withCI(ms(h.Median), h) + " (absolute, this machine)"
	}
	addLines(&r,
		armLine(s, "R7Login/success", "handler", "login", calls), armLine(s, "R7Login/success", "floor", "floor (hash included)", calls),
		armLine(s, "R7Login/refusal", "unknown", "unknown identifier", calls), armLine(s, "R7Login/refusal", "known", "known identifier, wrong password", calls),
		hash)
	return r
}

// Binary is one built bootstrap and its yardstick.
type Binary struct {
	Function  string // auth, admin, documents, ingest
	Size      int64
	Reference int64 // the yardstick built alike; 0 when none
	API       bool  // API functions are held to the target; the others are reported
}

// SizeRow is R8.
func SizeRow(bins []Binary) Row {
	r := Row{ID: "R8", Measure: "stripped bootstrap of each API function ÷ aws-lambda-go + config + the same SDK service clients, built alike; ingest reported", Target: "≤ 1.3", Kinds: []Kind{Size}}
	if len(bins) == 0 {
		return missing(r, "the builds")
	}
	var vals []string
	var vs []Verdict
	for _, b := range bins {
		ratio := float64(b.Size) / float64(b.Reference)
		label := b.Function
		if !b.API {
			label += " (reported)"
		} else {
			vs = append(vs, verdict(ratio <= 1.3))
		}
		vals = append(vals, fmt.Sprintf("%s %.2f", label, ratio))
		r.Details = append(r.Details, fmt.Sprintf("%s: %s ÷ %s (infra/bench/reference/%s)", b.Function, mib(b.Size), mib(b.Reference), b.Function))
	}
	r.Value = strings.Join(vals, ", ")
	r.Verdict = all(vs...)
	return r
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// Start is the cold starts of one binary.
type Start struct {
	Function string
	Runs     []time.Duration // exec → first /next
	Init     []time.Duration // package init totals, traced runs
	API      bool
	// Yardstick marks a size yardstick (infra/bench/reference) started alike: shown for
	// what its function's start cannot avoid, not judged.
	Yardstick bool
}

// ColdStartRow is R9; hello is the Go hello-world's starts.
func ColdStartRow(hello Start, fns []Start) Row {
	r := Row{ID: "R9", Measure: "exec → first `/next` of each API function ÷ a Go hello-world, native builds; package init total (`GODEBUG=inittrace=1`); ingest reported", Target: "≤ 3; ≤ 10 ms", Kinds: []Kind{Ratio, Absolute}}
	base := Median(hello.Runs)
	if base == 0 || len(fns) == 0 {
		return missing(r, "the cold starts")
	}
	var vals []string
	var vs []Verdict
	r.Details = append(r.Details, fmt.Sprintf("hello-world: %s median over %d starts, init %s", msd(base), len(hello.Runs), msd(Median(hello.Init))))
	for _, f := range fns {
		ratio := float64(Median(f.Runs)) / float64(base)
		init := Median(f.Init)
		if f.Yardstick {
			r.Details = append(r.Details, fmt.Sprintf("yardstick of %s (aws-lambda-go, configuration, its clients; no project code): %s median (%.2f× the hello-world), init %s",
				f.Function, msd(Median(f.Runs)), ratio, msd(init)))
			continue
		}
		label := f.Function
		if f.API {
			vs = append(vs, verdict(ratio <= 3 && init <= 10*time.Millisecond))
		} else {
			label += " (reported)"
		}
		vals = append(vals, fmt.Sprintf("%s %.2f, init %s", label, ratio, msd(init)))
		r.Details = append(r.Details, fmt.Sprintf("%s: %s median over %d starts (fastest %s), init %s", f.Function, msd(Median(f.Runs)), len(f.Runs), msd(minimum(f.Runs)), msd(init)))
	}
	r.Value = strings.Join(vals, "; ")
	r.Verdict = all(vs...)
	return r
}

func msd(d time.Duration) string { return fmt.Sprintf("%.2f ms", d.Seconds()*1e3) }

func minimum(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// WebLimit is R10's bound: 30 KB, in bytes.
const WebLimit = 30_000

// WebRow is R10; why says what kept the pages from being measured.
func WebRow(pages []PageWeight, why string) Row {
	r := Row{ID: "R10", Measure: "shipped JS+CSS per page, gzip", Target: "≤ 30 KB", Kinds: []Kind{Bytes}}
	if why != "" {
		r.Value, r.Verdict = "—", NotMeasurable
		r.Details = append(r.Details, why)
		return r
	}
	if len(pages) == 0 {
		return missing(r, "the built pages")
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].Total() > pages[j].Total() })
	var vs []Verdict
	for _, p := range pages {
		vs = append(vs, verdict(p.Total() <= WebLimit))
		r.Details = append(r.Details, fmt.Sprintf("%s: %.1f KB (JS %.1f KB, CSS %.1f KB: %s)", p.Page, kb(p.Total()), kb(p.JS), kb(p.CSS), strings.Join(p.Files, ", ")))
	}
	r.Value = fmt.Sprintf("largest %.1f KB (%s), smallest %.1f KB", kb(pages[0].Total()), pages[0].Page, kb(pages[len(pages)-1].Total()))
	r.Verdict = all(vs...)
	return r
}

func kb(n int) float64 { return float64(n) / 1000 }
