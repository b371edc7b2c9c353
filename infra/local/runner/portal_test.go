package runner

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/domain/metrics"
	"github.com/efacture/efacture/shared/domain/staff"
)

// demoActivations are the registered admins the demo must activate: every
// customer with an e-mail, the shared address's second company getting the
// local part and _1 (PRODUCT.md §4).
var demoActivations = []struct{ space, to, identifier string }{
	{"acme", "claire.martin@example.com", "claire.martin@example.com"},
	{"acme", "claire.martin@example.com", "claire.martin_1"},
	{"acme", "paul.lefevre@example.net", "paul.lefevre@example.net"},
	{"acme", "compta@imprimerie-roux.example", "compta@imprimerie-roux.example"},
	{"globex", "reception@hotel-des-alpes.example", "reception@hotel-des-alpes.example"},
	{"globex", "gestion@camping-les-pins.example", "gestion@camping-les-pins.example"},
}

var (
	identifierLine = regexp.MustCompile(`(?m)^ {4}(\S+)\s*$`)
	setPassword    = regexp.MustCompile(`(http://[0-9.:]+)/([a-z0-9-]+)/password#token=([A-Za-z0-9_-]+)`)
)

// TestPortal starts the whole portal on the repository's template with the
// demo, as `make run` does, on free ports.
func TestPortal(t *testing.T) {
	t0 := time.Now()
	var functionLogs localaws.SyncBuffer
	r := MustStart(t, Options{Demo: true, FunctionLogs: &functionLogs})
	// Lines written while the functions were built are not an invocation's.
	initLogs := len(functionLogs.String())
	t.Logf("ready in %v (emulators and provisioning %v, demo %v)", time.Since(t0).Round(time.Millisecond),
		r.Timings["emulators"].Round(time.Millisecond), r.Timings["demo"].Round(time.Millisecond))
	ctx := context.Background()

	t.Run("mail re-drive played every minute", func(t *testing.T) {
		for _, s := range r.schedules {
			if s.fn.id == "MailRedriveFunction" {
				at := time.Date(2026, 11, 30, 23, 59, 30, 0, time.UTC)
				if got, want := s.when.next(at), at.Truncate(time.Minute).Add(time.Minute); !got.Equal(want) {
					t.Errorf("next run after %v: got %v, want %v", at, got, want)
				}
				return
			}
		}
		t.Errorf("no schedule of MailRedriveFunction among the runner's %d", len(r.schedules))
	})

	t.Run("health through API Gateway's shape", func(t *testing.T) {
		got := do(t, mustRequest(t, http.MethodGet, r.PortalURL+"/api/health", ""))
		if got.status != 200 || !strings.Contains(got.body, `"status":"ok"`) || got.header.Get("Apigw-Requestid") == "" {
			t.Errorf("got %d %q (headers %v), want 200 {status: ok}", got.status, got.body, got.header)
		}
		if got := do(t, mustRequest(t, http.MethodGet, r.PortalURL+"/api/no-such-route", "")); got.status != 404 || got.body != `{"message":"Not Found"}`+"\n" {
			t.Errorf("unknown route: got %d %q, want API Gateway's 404", got.status, got.body)
		}
	})

	t.Run("demo supervisor of every space signs in to the console", func(t *testing.T) {
		if len(r.DemoStaff) != 2 {
			t.Fatalf("demo staff in %v, want both spaces", r.DemoStaff)
		}
		key, err := staff.DecodeSecret(DemoStaffSecret)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range r.DemoStaff {
			code := staff.Code(key, staff.Step(time.Now()), staff.TOTPDigits)
			body := `{"space":"` + sp + `","identifier":"` + DemoStaffIdentifier + `","password":"` + DemoStaffPassword + `","code":"` + code + `"}`
			req := mustRequest(t, http.MethodPost, r.PortalURL+"/api/staff/login", body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", r.PortalURL)
			if got := do(t, req); got.status != 200 || !strings.Contains(got.body, `"role":"supervisor"`) {
				t.Errorf("%s: got %d %s", sp, got.status, got.body)
			}
		}
	})

	t.Run("one activation mail per demo customer with an e-mail", func(t *testing.T) {
		mails, err := r.AWS.Mails(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ to, identifier string }
		links := map[key]string{}
		for _, m := range mails {
			if !strings.Contains(m.Subject, "Activation") {
				continue
			}
			id := identifierLine.FindStringSubmatch(m.Text)
			link := setPassword.FindStringSubmatch(m.Text)
			if id == nil || link == nil {
				t.Errorf("activation mail %q lacks an identifier or a link:\n%s", m.Subject, m.Text)
				continue
			}
			k := key{strings.ToLower(strings.Join(m.To, ",")), id[1]}
			if _, dup := links[k]; dup {
				t.Errorf("two activation mails for %v", k)
			}
			links[k] = link[0]
		}
		if len(links) != len(demoActivations) {
			t.Errorf("got %d activation mails, want %d: %v", len(links), len(demoActivations), links)
		}
		for _, want := range demoActivations {
			link, ok := links[key{want.to, want.identifier}]
			if !ok {
				t.Errorf("no activation mail to %s for identifier %s", want.to, want.identifier)
				continue
			}
			m := setPassword.FindStringSubmatch(link)
			if m[1] != r.PortalURL || m[2] != want.space {
				t.Errorf("%s: link %s, want %s/%s/password#token=…", want.identifier, link, r.PortalURL, want.space)
			}
			// The page the link opens is served by the same origin.
			page := do(t, mustRequest(t, http.MethodGet, r.PortalURL+"/"+m[2]+"/password", ""))
			if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") || page.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: the link's page answers %d %s %q", want.identifier, page.status, page.header.Get("Content-Type"), page.header.Get("Cache-Control"))
			}
		}
		// The shared address: the first company filed holds the address itself.
		for _, c := range []struct{ identifier, customer string }{{"claire.martin@example.com", "C1001"}, {"claire.martin_1", "C1002"}} {
			item := getItem(t, r, r.Env.MainTable, "ACCT#"+c.identifier, "ACCT")
			if item["customerNumber"] != c.customer {
				t.Errorf("account %s: got customer %q, want %s", c.identifier, item["customerNumber"], c.customer)
			}
		}
	})

	t.Run("demo documents", func(t *testing.T) {
		today := r.today()
		for _, d := range append([]demoDoc{demoFirst}, demoDocs...) {
			_, meta, err := d.render(today)
			if err != nil {
				t.Fatal(err)
			}
			doc := getItem(t, r, r.Env.DocumentsTable, d.space+"#"+d.customer, meta["issue-date"]+"#"+meta["document-number"])
			if doc == nil {
				t.Errorf("%s: not filed", meta["document-number"])
				continue
			}
			wantProfile := d.facturX
			if doc["type"] != meta["document-type"] || doc["copy"] != d.copy || doc["duplicate"] != (d.customer == "C1004") ||
				(doc["profile"] != nil || wantProfile != "") && doc["profile"] != wantProfile {
				t.Errorf("%s: got type %v copy %v duplicate %v profile %v", meta["document-number"], doc["type"], doc["copy"], doc["duplicate"], doc["profile"])
			}
		}
	})

	t.Run("the billing drop is filed and mailed within 10 s", func(t *testing.T) {
		start := time.Now()
		if _, err := exec.LookPath("aws"); err == nil {
			// The exact line `make run` prints.
			out, err := exec.Command("sh", "-c", r.BillingCommand()).CombinedOutput()
			if err != nil {
				t.Fatalf("%s\n%v: %s", r.BillingCommand(), err, out)
			}
		} else {
			body, err := os.ReadFile(r.Sample.File)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("awscli not found: dropping with the SDK, as acme's billing")
			if _, err := r.billingS3(r.Sample.Key).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(r.Sample.Key),
				Body: bytes.NewReader(body), Metadata: r.Sample.Metadata}); err != nil {
				t.Fatal(err)
			}
		}
		number := r.Sample.Metadata["document-number"]
		sk := r.Sample.Metadata["issue-date"] + "#" + number
		waitFor(t, 10*time.Second-time.Since(start), "the document and its mail", func() bool {
			if getItem(t, r, r.Env.DocumentsTable, "acme#C1001", sk) == nil {
				return false
			}
			mails, err := r.AWS.Mails(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(mails, func(m localaws.Mail) bool {
				return strings.Contains(m.Subject, number) && len(m.Attachments) == 1 && slices.Contains(m.To, "claire.martin@example.com")
			})
		})
		t.Logf("filed and mailed %v after the drop", time.Since(start).Round(time.Millisecond))
	})

	t.Run("function logs: request id on every line, business metrics in EMF", func(t *testing.T) {
		key := "inbox/acme/documents/not-a-pdf.pdf"
		if _, err := r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(key),
			Body: strings.NewReader("not a PDF")}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the rejection's report", func() bool {
			_, err := r.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String("rejected/acme/documents/not-a-pdf.pdf.error.json")})
			// The report is written just before the line that counts the rejection.
			return err == nil && strings.Contains(functionLogs.String()[initLogs:], `"message":"file rejected"`)
		})
		emitted := map[metrics.Name]float64{}
		for _, line := range strings.Split(strings.TrimSpace(functionLogs.String()[initLogs:]), "\n") {
			var l struct{ RequestID, Message, Function string }
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Errorf("not a JSON line: %q", line)
				continue
			}
			if n := strings.Count(line, `"requestId":`); n != 1 {
				t.Errorf("got %d requestId keys, want 1: %s", n, line)
			}
			if l.RequestID == "" || l.Message == "" || l.Function == "" {
				t.Errorf("got a line without requestId, message or function: %s", line)
			}
			got, err := metrics.Extract([]byte(line))
			if err != nil {
				t.Errorf("embedded metric format: %v in %s", err, line)
			}
			for name, v := range got[r.Env.MetricsNamespace] {
				emitted[name] += v
			}
		}
		for _, name := range []metrics.Name{metrics.DocumentsFiled, metrics.DocumentsRejected, metrics.MailsSent} {
			if emitted[name] < 1 {
				t.Errorf("got no %s in the function logs (emitted %v)", name, emitted)
			}
		}
		for name := range emitted {
			if !slices.Contains(metrics.Names, name) {
				t.Errorf("the code emits %s, which metrics.Names (the dashboard's list) lacks", name)
			}
		}
	})

	t.Run("every template route reaches its handler", func(t *testing.T) {
		n := 0
		for _, id := range slices.Sorted(maps.Keys(r.functions)) {
			for _, rt := range r.functions[id].def.HTTP {
				n++
				method := rt.Method
				if method == "ANY" {
					method = http.MethodGet
				}
				path := regexp.MustCompile(`\{[^}]+\+\}`).ReplaceAllString(rt.Path, "x/y")
				path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x")
				req := mustRequest(t, method, r.PortalURL+path, "{}")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", r.PortalURL)
				got := do(t, req)
				// API Gateway's 404 means the runner did not route it; Go's
				// mux 404 means the handler has no such route.
				if got.body == `{"message":"Not Found"}`+"\n" || strings.HasPrefix(got.body, "404 page not found") || got.status >= 500 {
					t.Errorf("%s %s (%s): got %d %q", method, path, id, got.status, got.body)
				}
			}
		}
		if n == 0 {
			t.Error("the template has no HttpApi route")
		}
	})

	t.Run("loopback only", func(t *testing.T) {
		pids := []int{os.Getpid(), r.AWS.MotoServer.Pid(), r.AWS.SESServer.Pid()}
		addrs, err := listening(pids)
		if err != nil {
			t.Skipf("cannot read listening sockets: %v", err)
		}
		if len(addrs) < 3 {
			t.Errorf("got listening sockets %v, want at least the portal's and the emulators'", addrs)
		}
		for _, a := range addrs {
			if !strings.HasPrefix(a, "127.0.0.1:") {
				t.Errorf("listening on %s, want 127.0.0.1 only", a)
			}
		}
	})

	t.Run("close leaves no process", func(t *testing.T) {
		pids := []int{r.AWS.MotoServer.Pid(), r.AWS.SESServer.Pid()}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("process group %d: got %v after Close, want ESRCH", pid, err)
			}
		}
		if _, err := os.Stat(filepath.Dir(r.Sample.File)); !os.IsNotExist(err) {
			t.Errorf("temporary directory: got %v, want it removed", err)
		}
		if _, err := http.Get(r.PortalURL + "/api/health"); err == nil {
			t.Error("the portal still answers after Close")
		}
	})
}

func mustRequest(t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// getItem reads an item's string and boolean attributes, nil when absent.
func getItem(t *testing.T, r *Runner, table, pk, sk string) map[string]any {
	t.Helper()
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}
	if sk != "" {
		key["sk"] = &ddbtypes.AttributeValueMemberS{Value: sk}
	}
	out, err := r.AWS.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	m := map[string]any{}
	for k, v := range out.Item {
		switch v := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			m[k] = v.Value
		case *ddbtypes.AttributeValueMemberBOOL:
			m[k] = v.Value
		}
	}
	return m
}

// listening returns the local addresses of the TCP sockets the processes
// pids listen on, from /proc.
func listening(pids []int) ([]string, error) {
	inodes := map[string]bool{}
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && strings.HasPrefix(target, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
			}
		}
	}
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is hex ip:port; state 0A is LISTEN; field 9 the inode.
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			out = append(out, procAddr(f[1]))
		}
	}
	return out, nil
}

// procAddr decodes /proc/net/tcp's little-endian hex address.
func procAddr(s string) string {
	ipHex, portHex, _ := strings.Cut(s, ":")
	port, _ := strconv.ParseUint(portHex, 16, 16)
	b, _ := hex.DecodeString(ipHex)
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d:%d", b[3], b[2], b[1], b[0], port)
	}
	// IPv6: four little-endian 32-bit words.
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.JoinHostPort(net.IP(b).String(), strconv.FormatUint(port, 10))
}
