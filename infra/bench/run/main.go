// Command run is make bench: it starts a private moto, runs the Go benchmarks of
// infra/bench interleaved and repeated, summarises them with benchstat, measures the
// functions' bootstrap sizes, cold starts and the portal's page weights, and writes
// docs/BENCHMARKS.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/efacture/efacture/infra/bench"
	"github.com/efacture/efacture/infra/local/localaws"
)

// benchstatVersion pins golang.org/x/perf's benchstat, run with go run pkg@version so the
// module's requirements stay those of the product.
const benchstatVersion = "v0.0.0-20260908200009-22c9c6c9d4da"

// functions are the bootstraps R8 and R9 measure: API functions are held to the
// targets, the others reported.
var functions = []struct {
	name, logicalID string
	api             bool
}{
	{"auth", "AuthFunction", true},
	{"admin", "AdminFunction", true},
	{"documents", "DocumentsFunction", true},
	{"staff", "StaffFunction", true},
	{"ingest", "IngestFunction", false},
}

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "the report to write, relative to the repository root unless absolute")
	count := flag.Int("count", 10, "runs of each Go benchmark")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime of each run (with -bench)")
	bench := flag.String("bench", "", "go test -bench pattern of a single run with -benchtime instead of the usual groups")
	starts := flag.Int("starts", 30, "cold starts per binary")
	coldOnly := flag.Bool("cold-starts", false, "measure R9's cold starts only and print its row, leaving the report as it is")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if *coldOnly {
		if err := coldStartsOnly(*starts); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*out, *count, *benchtime, *bench, *starts); err != nil {
		log.Fatal(err)
	}
}

// coldStartsOnly builds the native binaries R9 starts, measures them against a private
// moto and prints R9's row: a shorter run when the machine has no time for make bench.
func coldStartsOnly(starts int) error {
	os.Unsetenv("AWS_CA_BUNDLE")
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "efacture-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	moto, err := localaws.StartMoto(ctx, 0)
	if err != nil {
		return err
	}
	defer moto.Stop()
	bins := map[string]string{}
	jobs := [][2]string{{"hello", "./infra/bench/reference/hello"}}
	for _, f := range functions {
		jobs = append(jobs, [2]string{"native/" + f.name, "./functions/" + f.name}, [2]string{"native/reference/" + f.name, "./infra/bench/reference/" + f.name})
	}
	for _, j := range jobs {
		out := filepath.Join(tmp, filepath.FromSlash(j[0]))
		if err := bench.Build(ctx, root, j[1], out, bench.Native); err != nil {
			return err
		}
		bins[j[0]] = out
	}
	log.Printf("cold starts: %d per binary (load %s)", starts, loadavg())
	hello, fns, err := coldStarts(ctx, root, moto.URL, bins, starts)
	if err != nil {
		return err
	}
	row := bench.ColdStartRow(hello, fns)
	log.Printf("%s %s: %s (load after: %s)", row.ID, row.Verdict, row.Value, loadavg())
	return nil
}

func run(outPath string, count int, benchtime, pattern string, starts int) error {
	began := time.Now()
	// The runs reach nothing but loopback: no CA bundle is needed, and a stale one
	// breaks the SDK's configuration loading.
	os.Unsetenv("AWS_CA_BUNDLE")
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	ctx := context.Background()
	rep := bench.Report{Count: count, Starts: starts, Machine: machine(ctx)}

	tmp, err := os.MkdirTemp("", "efacture-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	log.Print("starting moto")
	moto, err := localaws.StartMoto(ctx, 0)
	if err != nil {
		return err
	}
	defer moto.Stop()

	log.Print("building the benchmarks, functions and yardsticks")
	bins, err := build(ctx, root, tmp)
	if err != nil {
		return err
	}

	runs := groups
	if pattern != "" {
		runs = []group{{pattern, benchtime}}
	}
	var raw string
	for _, g := range runs {
		log.Printf("Go benchmarks %s: -count=%d -benchtime=%s", g.pattern, count, g.benchtime)
		out, err := goBenchmarks(ctx, root, bins["bench.test"], moto.URL, bins["loop"], count, g.benchtime, g.pattern)
		if err != nil {
			// The other runs still count: the report shows the failure and make bench fails.
			log.Printf("benchmark failure: %v", err)
			rep.Failures = append(rep.Failures, err.Error())
		}
		raw += out
	}
	rep.BenchTime = describe(runs)
	stats, table, err := benchstat(ctx, root, tmp, raw)
	if err != nil {
		return err
	}
	rep.Benchstat = table
	rep.Rows = bench.BenchmarkRows(stats, bench.ArmCalls(raw))

	var sizes []bench.Binary
	for _, f := range functions {
		s, err1 := bench.FileSize(bins["arm64/"+f.name])
		ref, err2 := bench.FileSize(bins["arm64/reference/"+f.name])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("sizes of %s: %v %v", f.name, err1, err2)
		}
		sizes = append(sizes, bench.Binary{Function: f.name, Size: s, Reference: ref, API: f.api})
	}
	rep.Rows = append(rep.Rows, bench.SizeRow(sizes))

	log.Printf("cold starts: %d per binary", starts)
	hello, fns, err := coldStarts(ctx, root, moto.URL, bins, starts)
	if err != nil {
		return err
	}
	rep.Rows = append(rep.Rows, bench.ColdStartRow(hello, fns))

	log.Print("web pages")
	pages, why := webPages(ctx, root, tmp)
	rep.Rows = append(rep.Rows, bench.WebRow(pages, why))

	rep.Machine.LoadAfter = loadavg()
	rep.Duration = time.Since(began)
	path := outPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, outPath)
	}
	if err := os.WriteFile(path, []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		log.Printf("%-3s %-14s %s", r.ID, r.Verdict, r.Value)
	}
	log.Printf("wrote %s in %s", outPath, rep.Duration.Round(time.Second))
	if len(rep.Failures) > 0 {
		return fmt.Errorf("%d group(s) of benchmarks failed; see the report", len(rep.Failures))
	}
	return nil
}

// group is one run of the benchmark binary.
type group struct{ pattern, benchtime string }

// groups run the listing benchmarks, whose iterations take a second against moto, and
// those that start each run on new tables (ingestion, login) a fixed number of
// iterations; the others a second.
var groups = []group{
	{"^Benchmark(R1|R2|R6|R7Hash)", "1s"},
	{"^Benchmark(R5|R7Login)", "20x"},
	{"^Benchmark(R3|R4)", "4x"},
}

func describe(gs []group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, fmt.Sprintf("%s for `%s`", g.benchtime, g.pattern))
	}
	return strings.Join(parts, ", ")
}

// build compiles the benchmark binary, the native binaries R2 and R9 start, and the
// arm64 bootstraps R8 weighs, into dir; it returns their paths by name.
func build(ctx context.Context, root, dir string) (map[string]string, error) {
	bins := map[string]string{"bench.test": filepath.Join(dir, "bench.test")}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "test", "-c", "-o", bins["bench.test"], "./infra/bench")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go test -c: %v\n%s", err, b)
	}
	type job struct {
		name, pkg string
		target    bench.Target
	}
	jobs := []job{
		{"loop", "./infra/bench/reference/loop", bench.Native},
		{"hello", "./infra/bench/reference/hello", bench.Native},
	}
	for _, f := range functions {
		jobs = append(jobs,
			job{"native/" + f.name, "./functions/" + f.name, bench.Native},
			job{"native/reference/" + f.name, "./infra/bench/reference/" + f.name, bench.Native},
			job{"arm64/" + f.name, "./functions/" + f.name, bench.Lambda},
			job{"arm64/reference/" + f.name, "./infra/bench/reference/" + f.name, bench.Lambda},
		)
	}
	for _, j := range jobs {
		out := filepath.Join(dir, filepath.FromSlash(j.name))
		if err := bench.Build(ctx, root, j.pkg, out, j.target); err != nil {
			return nil, err
		}
		bins[j.name] = out
	}
	return bins, nil
}

// goBenchmarks runs the benchmark binary against moto and returns its output, which it
// also streams to stderr.
func goBenchmarks(ctx context.Context, root, bin, motoURL, loop string, count int, benchtime, pattern string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.bench="+pattern, "-test.benchmem",
		fmt.Sprintf("-test.count=%d", count), "-test.benchtime="+benchtime, "-test.timeout=60m")
	cmd.Dir = filepath.Join(root, "infra", "bench") // where go test would run it
	cmd.Env = append(os.Environ(), "BENCH_MOTO_URL="+motoURL, "BENCH_LOOP_BIN="+loop)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, progress{new(bytes.Buffer)})
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	if i := strings.Index(out.String(), "--- FAIL"); err != nil || i >= 0 {
		// The failure's own lines say why.
		if i < 0 {
			i = max(0, out.Len()-4000)
		}
		return out.String(), fmt.Errorf("%s (%v):\n%s", pattern, err, tail(out.String()[i:], 4000))
	}
	return out.String(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// progress shows the result lines on stderr as they complete.
type progress struct{ partial *bytes.Buffer }

func (p progress) Write(b []byte) (int, error) {
	p.partial.Write(b)
	for {
		line, err := p.partial.ReadString('\n')
		if err != nil {
			p.partial.Reset()
			p.partial.WriteString(line) // no newline yet: wait for the rest
			return len(b), nil
		}
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "FAIL") {
			os.Stderr.WriteString(line)
		}
	}
}

// benchstat summarises the runs: the CSV for the rows, the text table for the report.
func benchstat(ctx context.Context, root, dir, raw string) (bench.Stats, string, error) {
	in := filepath.Join(dir, "benchmarks.txt")
	if err := os.WriteFile(in, []byte(bench.BenchmarkLines(raw)), 0o644); err != nil {
		return nil, "", err
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	runBS := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, goCmd, append([]string{"run", "golang.org/x/perf/cmd/benchstat@" + benchstatVersion}, args...)...)
		cmd.Dir = dir // outside the module: go run pkg@version ignores its go.mod
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("benchstat: %v\n%s", err, stderr.String())
		}
		return out, nil
	}
	csvOut, err := runBS("-format", "csv", "benchmarks.txt")
	if err != nil {
		return nil, "", err
	}
	stats, err := bench.ParseBenchstatCSV(bytes.NewReader(csvOut))
	if err != nil {
		return nil, "", err
	}
	// The text table keeps times and ratios; the counts are in the rows.
	text, err := runBS("-filter", `.unit:/^(sec\/op|ratio|.*-ms\/op)$/`, "benchmarks.txt")
	if err != nil {
		return nil, "", err
	}
	return stats, string(text), nil
}

// coldStarts starts each native binary starts times, in a shuffled order each round,
// then a few more times traced for the package init totals.
func coldStarts(ctx context.Context, root, motoURL string, bins map[string]string, starts int) (bench.Start, []bench.Start, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cfg, err := localaws.Config(cctx, motoURL)
	if err != nil {
		return bench.Start{}, nil, err
	}
	params, err := localaws.LocalParams(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		return bench.Start{}, nil, err
	}
	stack, err := localaws.Provision(cctx, cfg, filepath.Join(root, "template.yaml"), "cold"+fmt.Sprint(os.Getpid()%100000), params)
	if err != nil {
		return bench.Start{}, nil, err
	}
	type subject struct {
		start *bench.Start
		bin   string
		env   []string
	}
	hello := &bench.Start{Function: "hello"}
	subjects := []subject{{hello, bins["hello"], lambdaEnv(nil, motoURL)}}
	var fns []*bench.Start
	for _, f := range functions {
		s := &bench.Start{Function: f.name, API: f.api}
		fns = append(fns, s)
		subjects = append(subjects, subject{s, bins["native/"+f.name], lambdaEnv(stack.FunctionEnv(f.logicalID), motoURL)})
	}
	for _, f := range functions {
		if !f.api {
			continue
		}
		s := &bench.Start{Function: f.name, Yardstick: true}
		fns = append(fns, s)
		subjects = append(subjects, subject{s, bins["native/reference/"+f.name], lambdaEnv(stack.FunctionEnv(f.logicalID), motoURL)})
	}
	// Every function must start at all before anything is timed.
	for _, s := range subjects {
		if _, err := bench.MeasureColdStart(ctx, s.bin, s.env, false); err != nil {
			return bench.Start{}, nil, fmt.Errorf("%s: %w", s.start.Function, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	order := make([]int, len(subjects))
	for i := range order {
		order[i] = i
	}
	for round := 0; round < starts; round++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			cs, err := bench.MeasureColdStart(ctx, subjects[i].bin, subjects[i].env, false)
			if err != nil {
				return bench.Start{}, nil, err
			}
			subjects[i].start.Runs = append(subjects[i].start.Runs, cs.ToFirstNext)
		}
	}
	for round := 0; round < 5; round++ {
		for _, s := range subjects {
			cs, err := bench.MeasureColdStart(ctx, s.bin, s.env, true)
			if err != nil {
				return bench.Start{}, nil, err
			}
			s.start.Init = append(s.start.Init, cs.Init)
		}
	}
	out := make([]bench.Start, len(fns))
	for i, f := range fns {
		out[i] = *f
	}
	return *hello, out, nil
}

// lambdaEnv is a function's environment as Lambda would set it, with its AWS calls sent
// to moto: static credentials, no shared files, no instance metadata.
func lambdaEnv(fn map[string]string, motoURL string) []string {
	env := []string{
		"AWS_REGION=" + localaws.Region, "AWS_DEFAULT_REGION=" + localaws.Region,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_CONFIG_FILE=/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + motoURL,
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "TZ=UTC",
	}
	// The template's variables first: the loopback settings above must win over the
	// empty AWS_ENDPOINT_URL it declares for sam local (exec keeps the last duplicate).
	vars := make([]string, 0, len(fn)+len(env))
	for k, v := range fn {
		vars = append(vars, k+"="+v)
	}
	return append(vars, env...)
}

// webPages builds web/ into a scratch directory (web/dist stays as it is) and weighs
// its pages; why says what prevented it.
func webPages(ctx context.Context, root, tmp string) ([]bench.PageWeight, string) {
	web := filepath.Join(root, "web")
	if _, err := os.Stat(filepath.Join(web, "package.json")); err != nil {
		return nil, "web/package.json is missing: there is no portal to build yet."
	}
	npm := os.Getenv("NPM")
	if npm == "" {
		npm = "npm"
	}
	runNPM := func(args ...string) error {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, npm, args...)
		cmd.Dir = web
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("npm %s: %v: %s", strings.Join(args, " "), err, lastLines(string(b), 15))
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules")); err != nil {
		if err := runNPM("ci", "--no-audit", "--no-fund", "--loglevel=error"); err != nil {
			return nil, "web/ dependencies could not be installed: " + err.Error()
		}
	}
	dist := filepath.Join(tmp, "web-dist")
	if err := runNPM("run", "build", "--", "--outDir", dist, "--emptyOutDir"); err != nil {
		return nil, "`npm run build` failed, so the pages could not be weighed: " + err.Error()
	}
	pages, err := bench.PageWeights(dist)
	if err != nil {
		return nil, "the built pages could not be weighed: " + err.Error()
	}
	return pages, ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "`" + strings.Join(lines, " / ") + "`"
}

// machine describes this machine.
func machine(ctx context.Context) bench.Machine {
	m := bench.Machine{CPUs: runtime.NumCPU(), Date: time.Now(), LoadBefore: loadavg(), CPU: "unknown", Kernel: "unknown", Moto: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Go = runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	// moto_server has no version flag; its Python package says.
	if b, err := exec.CommandContext(ctx, "python3", "-c", "import moto; print(moto.__version__)").Output(); err == nil {
		m.Moto = strings.TrimSpace(string(b))
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}
