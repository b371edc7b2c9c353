package bench

import (
	"fmt"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	CPUs       int
	CPU        string
	Go         string
	Kernel     string
	Moto       string
	Date       time.Time
	LoadBefore string // /proc/loadavg's first three fields
	LoadAfter  string
}

// Report is what docs/BENCHMARKS.md shows of a run.
type Report struct {
	Machine   Machine
	Rows      []Row
	Duration  time.Duration
	Count     int    // runs of each Go benchmark
	BenchTime string // -benchtime of each group of benchmarks
	Starts    int    // cold starts per binary
	Benchstat string // benchstat's text table
	// Failures are the output of benchmark runs that failed; their other runs still count.
	Failures []string
}

// notes explain, per row, the floor and what the code does about it; they hold whatever
// the verdict.
var notes = map[string]string{
	"R1": "Floor: the session's `GetItem` ×2 (the space is cached), `GetItem` of the document, the presign, " +
		"`PutItem` of the audit entry, and for a first download `UpdateItem` of `downloadedAt`. " +
		"A repeat download skips that write: the document just read already has `downloadedAt`. The handler's " +
		"presign shows no call: it signs with the SDK's signer directly, the SDK's operation stack having run " +
		"once, for the bucket's URL (R6).",
	"R2": "`infra/bench/reference/loop` is `lambda.Start` over `apigw.Handler` with a handler that does no I/O, " +
		"built with `-tags lambda.norpc`; each call is a browser's listing request (about 1.3 KB of JSON) handed to " +
		"`/next`, timed until the answer reaches `/response`.",
	"R3": "Both companies' documents are spread over the same 700 days, inside the 24-month display history, so the " +
		"10× company has ten times as many documents in the page's key range. moto reads every item of a table for " +
		"each Query, whatever its key condition; dividing by the floor's own ratio takes moto's cost out, leaving what " +
		"the code adds. Calls and items are counted by a middleware on the SDK clients (items: `ScannedCount` of each " +
		"Query).",
	"R4": "The cursor of page 20 is the one the API returned after page 19. Each page is one `Query` of `Limit` 51 " +
		"starting after the cursor's key, so depth costs nothing in calls or items.",
	"R5": "Floor: `GetObject`, `GetItem` customer, the SHA-256 that names the archive copy, `CopyObject`, " +
		"`TransactWriteItems` (claim and document), `DeleteObject`; the space is cached. Each side files its own " +
		"Factur-X (EN 16931) PDF of about 5 KB, dropped in the inbox beforehand. The handler also reads the " +
		"embedded XML and checks it against the metadata, which no AWS call replaces.",
	"R6": "`objects.Presigner.Download`: a SigV4 query-string signature, no network. The figure is wall time on a " +
		"shared machine.",
	"R7": "Floor of a login (DATA.md, `POST /api/auth/login`): a conditional `UpdateItem` of the client's counter " +
		"and one of the account, which returns it (the places a login takes before its hash), one argon2id " +
		"verification (the hash time), `TransactWriteItems` (account, session, audit entry) with the client's " +
		"place given back alongside (`UpdateItem`, issued at once), `GetItem` customer. Both refusals cost one " +
		"argon2id verification after the same two conditional writes (for an unknown identifier the account's " +
		"finds no item), then one `PutItem` of its audit entry: a known identifier's in its company's log, an " +
		"unknown one's in the log of identifiers no account has (`audit.UnknownLog`).",
	"R8": "Functions are built as `infra/sam.mk` builds them (`CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build " +
		"-tags lambda.norpc -trimpath -ldflags \"-s -w\"`). Each yardstick under `infra/bench/reference/{function}` " +
		"links aws-lambda-go, `config.LoadDefaultConfig` and exactly the SDK clients and operations the function " +
		"uses (DATA.md), and nothing of the project. Each function's binary links only that function's code: " +
		"the list of every function (`app.Functions`) is built by a call, since a package variable's initialiser " +
		"linked all eleven into each binary, the mailer's templates with them, whose reflective method calls keep " +
		"every exported method of the SDK clients (24 MB instead of 13 MB for auth). Each main also builds only " +
		"the SDK clients its function uses (`app.Start(…, app.DynamoDB, app.Secrets)`), so auth and admin link " +
		"no S3, SES v2 or SQS client.",
	"R9": "Native builds with the same flags, started with `AWS_LAMBDA_RUNTIME_API` pointing at a fake Runtime API, " +
		"which notes when the first `/next` arrives; then the process is killed. Binaries start in a shuffled order " +
		"each round. The functions get their template environment, static credentials and `AWS_ENDPOINT_URL` on the " +
		"run's moto. The admin, documents and staff functions start reading the signing secret (Secrets Manager) " +
		"in a goroutine at init and ask for their first event without waiting for it; the first request waits for " +
		"whatever is left of the read (app.withKey), so the round trip overlaps init and the runtime's first " +
		"/next instead of preceding them. Init totals come from separate traced starts. The yardsticks of admin, " +
		"documents and staff still read the secret before their first /next, as the functions once did: they show " +
		"what the overlap saves. The rest of the gap is package init of SDK service packages the API functions " +
		"link without calling (fewer since each main builds only its own clients); in the SDK versions of go.mod " +
		"each service package also builds its schema tables at init (`service/*/schemas`: some 0.6 MB and 3,000 allocations " +
		"for DynamoDB and for SES v2 each). The project's own init work is gone: the customer-number, SIREN, " +
		"identifier, space-id and IAM-principal checks were regexps compiled at every start and are loops now " +
		"(the space and principal ones, added with billing principals, cost up to 19 ms of init on their own).",
	"R10": "`npm run build` of `web/` into a scratch directory; each page's entry script, module preloads, their " +
		"static imports and its style sheets, each gzipped at the default level; where a module imports others on " +
		"demand (the help page's French and English texts) the largest one counts, since one always loads.",
}

// Markdown renders the report.
func (r Report) Markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.Machine
	p("# Benchmarks\n\n")
	p("Written by `make bench` (`infra/bench`); the next run rewrites this file. Run of %s, %s in all.\n\n",
		m.Date.UTC().Format("2006-01-02 15:04 MST"), r.Duration.Round(time.Second))
	p("| # | measure | target | value | kind | verdict |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, row := range r.Rows {
		kinds := make([]string, len(row.Kinds))
		for i, k := range row.Kinds {
			kinds[i] = string(k)
		}
		p("| %s | %s | %s | %s | %s | %s |\n", row.ID, row.Measure, row.Target, row.Value, strings.Join(kinds, "; "), row.Verdict)
	}
	p("\nA *ratio* divides two figures measured in the same run, interleaved, on the same machine: it carries to " +
		"other machines. An *absolute* figure is this machine's, under its load at the time (see below), and does " +
		"not. Counts of calls and items are exact, and sizes are ratios of bytes.\n\n")

	p("## Machine\n\n")
	p("- CPUs (`nproc`): %d\n- CPU: %s\n- Go: %s\n- Kernel: %s\n- moto: %s\n- Date: %s\n", m.CPUs, m.CPU, m.Go, m.Kernel, m.Moto, m.Date.UTC().Format(time.RFC3339))
	p("- Load average (1, 5, 15 min) at start: %s; at end: %s. The machine is shared: other builds and tests ran "+
		"alongside, which is why every comparison is interleaved.\n\n", m.LoadBefore, m.LoadAfter)

	p("## Method\n\n")
	p("- `make bench` unsets `AWS_CA_BUNDLE`, then `go run ./infra/bench/run` starts a private moto on a free " +
		"loopback port and stops it at the end; it never touches another server. Each group of benchmarks " +
		"provisions `template.yaml` under its own prefix there, because moto copies a whole table for every " +
		"transaction and reads a whole table for every Query; ingestion and login, which fill their tables, " +
		"start each run on new ones.\n")
	p("- The Go benchmarks (`infra/bench/*_test.go`) call the handlers the functions' mains build, through the " +
		"same constructors (`shared/app`), with the Lambda adapter for API functions. Each *floor* issues, " +
		"with the SDK directly on the same emulator, exactly the calls `docs/DATA.md` lists for the path, and " +
		"nothing else: no decoding beyond what the next call needs.\n")
	p("- Interleaving: every iteration runs the handler and its floor (or the two sides of a comparison) back "+
		"to back, in an order that rotates, and each side is timed alone; a ratio is computed per run. Each "+
		"benchmark runs %d times (`-count=%d`; `-benchtime` %s); the table shows benchstat's median over the "+
		"runs, with its 95 %% confidence interval where shown.\n", r.Count, r.Count, r.BenchTime)
	p("- A middleware on the SDK clients records every operation (a presign runs the stack but sends nothing, " +
		"and is not counted as a call), the table it names and each Query's `ScannedCount`; the call lists below " +
		"are the last iteration's.\n")
	p("- Cold starts: %d starts per binary, medians; sizes and bundles are measured once.\n\n", r.Starts)

	p("## Rows\n\n")
	for _, row := range r.Rows {
		p("### %s — %s\n\n", row.ID, row.Verdict)
		if n := notes[row.ID]; n != "" {
			p("%s\n\n", n)
		}
		for _, d := range row.Details {
			p("- %s\n", d)
		}
		if len(row.Details) > 0 {
			p("\n")
		}
	}
	if len(r.Failures) > 0 {
		p("## Failures\n\nThese runs failed; the rows use the runs that did not.\n\n")
		for _, f := range r.Failures {
			p("```text\n%s\n```\n\n", strings.TrimRight(f, "\n"))
		}
	}
	if r.Benchstat != "" {
		p("## benchstat\n\n```text\n%s\n```\n", strings.TrimRight(r.Benchstat, "\n"))
	}
	return b.String()
}
