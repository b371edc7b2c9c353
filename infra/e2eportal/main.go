// Command e2eportal runs the whole portal for the browser tests of web/e2e:
// the local runner with its own emulators on free ports and no demo data,
// plus a small control server on another loopback port through which the
// tests play billing (spaces, referentials, PDFs into the inbox) and read the
// mails the SES emulator captured.
//
// It prints one JSON line on stdout once ready:
//
//	{"portalUrl":"http://127.0.0.1:…","controlUrl":"http://127.0.0.1:…","sesUrl":"http://127.0.0.1:…","functionLog":"…"}
//
// and runs until its standard input closes, or SIGINT or SIGTERM arrives.
//
// Control routes (JSON in and out, loopback only):
//
//	POST /spaces       a spaces file (docs/SPACES.md), applied as ops would
//	POST /referential  {space, file, content}: a referential dropped into the inbox, once applied its report
//	POST /documents    {space, customer, number, type, daysAgo, copy, buyer, lines}: a sample PDF dropped into the inbox, once filed {key, sha256, size, amount, issueDate}
//	POST /digest       {space}: the digest function run at the space's digest hour today, as the hourly schedule would
//	GET  /mails        the captured mails, oldest first ({to, subject, text, html, at, attachments})
//	POST /staff        {space, identifier, role}: a staff member created as the ops command does, {link, secret}
//	POST /mail-event   {space, customer, type, subType}: an SES bounce or complaint event for the customer's mail, published as SNS delivers it
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/service/mailevents"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

func main() {
	webDir := flag.String("web", "", "frontend directory (default web/dist when built, else web/)")
	flag.Parse()
	if err := run(*webDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2eportal:", err)
		os.Exit(1)
	}
}

// ready is the line the tests wait for.
type ready struct {
	PortalURL   string `json:"portalUrl"`
	ControlURL  string `json:"controlUrl"`
	SESURL      string `json:"sesUrl"`
	FunctionLog string `json:"functionLog"`
}

func run(webDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The tests end the portal by closing its standard input, so a test runner
	// that dies leaves nothing behind.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	logFile, err := os.CreateTemp("", "efacture-e2e-functions-*.log")
	if err != nil {
		return err
	}
	defer logFile.Close()

	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	r, err := runner.Start(startCtx, runner.Options{
		WebDir:       webDir,
		FunctionLogs: logFile,
		Log:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer r.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c := &control{r: r}
	srv := &http.Server{Handler: c.routes(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	line, _ := json.Marshal(ready{
		PortalURL: r.PortalURL, ControlURL: "http://" + ln.Addr().String(),
		SESURL: r.MailViewerURL, FunctionLog: logFile.Name(),
	})
	fmt.Println(string(line))

	<-ctx.Done()
	return nil
}

// control is the tests' stand-in for billing and ops.
type control struct {
	r *runner.Runner
}

func (c *control) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /spaces", c.spaces)
	mux.HandleFunc("POST /referential", c.referential)
	mux.HandleFunc("POST /documents", c.document)
	mux.HandleFunc("POST /digest", c.digest)
	mux.HandleFunc("GET /mails", c.mails)
	mux.HandleFunc("POST /staff", c.staff)
	mux.HandleFunc("POST /mail-event", c.mailEvent)
	return mux
}

// digest runs the digest function with its clock at the space's digest hour today, so
// the tests need not wait for it; the runner's mailer then sends the digest mails.
func (c *control) digest(w http.ResponseWriter, req *http.Request) {
	var in struct{ Space string }
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || !safeName.MatchString(in.Space) {
		fail(w, http.StatusBadRequest, fmt.Errorf("want {space}: %v", err))
		return
	}
	clients := app.NewClients(c.r.AWS.Config, c.r.AWS.SESConfig)
	sp, err := app.Store(c.r.Env, clients, app.Options{}).Space(req.Context(), in.Space)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	today := time.Now().In(sp.Location())
	at := time.Date(today.Year(), today.Month(), today.Day(), sp.Hour(), 0, 5, 0, sp.Location())
	h, err := app.DigestFunction(c.r.Env, clients, app.Options{Now: func() time.Time { return at }})
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	run, ok := h.(lambdaevents.ScheduleHandler)
	if !ok {
		fail(w, http.StatusInternalServerError, fmt.Errorf("digest handler is %T", h))
		return
	}
	if err := run(req.Context(), nil); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	reply(w, map[string]any{"at": at.Format(time.RFC3339)})
}

func (c *control) spaces(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	dir, err := os.MkdirTemp("", "efacture-e2e-spaces-")
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "spaces.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	st := app.Store(c.r.Env, app.NewClients(c.r.AWS.Config, c.r.AWS.SESConfig), app.Options{})
	applied, err := app.ApplySpaces(req.Context(), st, file)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	ids := make([]string, len(applied))
	for i, sp := range applied {
		ids[i] = sp.ID
	}
	reply(w, map[string]any{"applied": ids})
}

// safeName is a file or space name the control server accepts in a key.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$`)

func (c *control) referential(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Space, File, Content string
	}
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || !safeName.MatchString(in.Space) || !safeName.MatchString(in.File) {
		fail(w, http.StatusBadRequest, fmt.Errorf("want {space, file, content}: %v", err))
		return
	}
	key := "inbox/" + in.Space + "/customers/" + in.File
	if err := c.drop(req.Context(), key, []byte(in.Content), nil); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	if err := c.waitGone(req.Context(), key); err != nil {
		fail(w, http.StatusGatewayTimeout, err)
		return
	}
	report, err := c.newest(req.Context(), "reports/"+in.Space+"/customers/"+in.File+".")
	if err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(report)
}

// documentIn describes a sample document to drop.
type documentIn struct {
	Space      string           `json:"space"`
	Customer   string           `json:"customer"`
	Number     string           `json:"number"`
	Type       string           `json:"type"`    // invoice (default) or credit_note
	DaysAgo    int              `json:"daysAgo"` // issue date, days before today in Europe/Paris
	Copy       bool             `json:"copy"`
	Buyer      string           `json:"buyer"`
	BuyerSIREN string           `json:"buyerSiren"`
	Lines      []samplepdf.Line `json:"lines"`
}

// paris is the test spaces' zone, which fixes "today" for issue dates.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

func (c *control) document(w http.ResponseWriter, req *http.Request) {
	var in documentIn
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || !safeName.MatchString(in.Space) || !safeName.MatchString(in.Number) {
		fail(w, http.StatusBadRequest, fmt.Errorf("want {space, customer, number, …}: %v", err))
		return
	}
	if in.Type == "" {
		in.Type = samplepdf.TypeInvoice
	}
	if len(in.Lines) == 0 {
		in.Lines = []samplepdf.Line{{Description: "Prestation de test", Quantity: 1, UnitPriceCents: 12345}}
	}
	if in.Buyer == "" {
		in.Buyer = "Client " + in.Customer
	}
	issue := time.Now().In(paris).AddDate(0, 0, -in.DaysAgo).Format(time.DateOnly)
	inv := samplepdf.Invoice{
		Number: in.Number, Type: in.Type, IssueDate: issue, SellerName: "Fournisseur de test SAS",
		SellerSIREN: "732829320", BuyerName: in.Buyer, BuyerSIREN: in.BuyerSIREN, Currency: "EUR", Lines: in.Lines,
	}
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	meta := map[string]string{
		"customer-number": in.Customer, "document-number": in.Number, "document-type": in.Type,
		"issue-date": issue, "amount": inv.GrandTotal(), "currency": "EUR",
	}
	if in.Copy {
		meta["copy"] = "true"
	}
	key := "inbox/" + in.Space + "/documents/" + in.Number + ".pdf"
	if err := c.drop(req.Context(), key, pdf, meta); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	if err := c.waitGone(req.Context(), key); err != nil {
		fail(w, http.StatusGatewayTimeout, err)
		return
	}
	rejected := "rejected/" + strings.TrimPrefix(key, "inbox/") + ".error.json"
	if why, err := c.get(req.Context(), rejected); err == nil {
		fail(w, http.StatusUnprocessableEntity, fmt.Errorf("rejected: %s", why))
		return
	}
	sum := sha256.Sum256(pdf)
	reply(w, map[string]any{
		"key": key, "sha256": hex.EncodeToString(sum[:]), "size": len(pdf),
		"amount": inv.GrandTotal(), "issueDate": issue,
	})
}

// mailOut is a captured mail as the tests read it.
type mailOut struct {
	To          []string `json:"to"`
	Subject     string   `json:"subject"`
	Text        string   `json:"text"`
	HTML        string   `json:"html"`
	At          string   `json:"at"`
	Attachments []string `json:"attachments"`
}

func (c *control) mails(w http.ResponseWriter, req *http.Request) {
	mails, err := localaws.SESStore(req.Context(), c.r.MailViewerURL)
	if err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	out := make([]mailOut, 0, len(mails))
	for _, m := range mails {
		o := mailOut{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, At: m.At.Format(time.RFC3339), Attachments: []string{}}
		for _, a := range m.Attachments {
			o.Attachments = append(o.Attachments, a.Filename)
		}
		out = append(out, o)
	}
	reply(w, out)
}

// mailEventIn is an SES event to play: kind bounce (permanent), complaint or delivery,
// about to, for a mail of the customer (or, with customer "", of no single company).
type mailEventIn struct {
	Space    string `json:"space"`
	Customer string `json:"customer"`
	To       string `json:"to"`
	Kind     string `json:"kind"`
	SubType  string `json:"subType"` // bounces: MailboxFull, NoEmail…
}

// mailEvent publishes an SES event to the mail-events topic, as the configuration set
// does: no emulator here sends them.
func (c *control) mailEvent(w http.ResponseWriter, req *http.Request) {
	var in mailEventIn
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || !safeName.MatchString(in.Space) || in.To == "" {
		fail(w, http.StatusBadRequest, fmt.Errorf("want {space, customer, to, kind, subType}: %v", err))
		return
	}
	type header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type recipient struct {
		EmailAddress string `json:"emailAddress"`
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	headers := []header{{"To", in.To}, {mailevents.SpaceHeader, in.Space}}
	if in.Customer != "" {
		headers = append(headers, header{mailevents.CompanyHeader, in.Space + "#" + in.Customer})
	}
	ev := map[string]any{"mail": map[string]any{"timestamp": now, "destination": []string{in.To}, "headers": headers}}
	switch in.Kind {
	case "bounce":
		ev["eventType"] = "Bounce"
		ev["bounce"] = map[string]any{"bounceType": "Permanent", "bounceSubType": in.SubType, "bouncedRecipients": []recipient{{in.To}}, "timestamp": now}
	case "complaint":
		ev["eventType"] = "Complaint"
		ev["complaint"] = map[string]any{"complainedRecipients": []recipient{{in.To}}, "timestamp": now}
	case "delivery":
		ev["eventType"] = "Delivery"
		ev["delivery"] = map[string]any{"recipients": []string{in.To}, "timestamp": now}
	default:
		fail(w, http.StatusBadRequest, fmt.Errorf("kind %q: want bounce, complaint or delivery", in.Kind))
		return
	}
	body, _ := json.Marshal(ev)
	if err := c.r.Publish(req.Context(), "MailEventsTopic", "", string(body)); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	reply(w, map[string]any{"published": in.Kind})
}

// drop writes an object into the inbox bucket as billing does.
func (c *control) drop(ctx context.Context, key string, body []byte, meta map[string]string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(c.r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta}
	if path.Ext(key) == ".pdf" {
		in.ContentType = aws.String("application/pdf")
	}
	_, err := c.r.AWS.S3.PutObject(ctx, in)
	return err
}

// waitGone waits until ingestion has taken key out of the inbox: filed,
// applied or rejected.
func (c *control) waitGone(ctx context.Context, key string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, err := c.r.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.r.Env.InboxBucket), Key: aws.String(key)})
		if err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s still in the inbox after a minute", key)
}

// get reads an object of the inbox bucket.
func (c *control) get(ctx context.Context, key string) ([]byte, error) {
	out, err := c.r.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.r.Env.InboxBucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// newest reads the last object, by key, under prefix (report keys end with a
// UTC timestamp).
func (c *control) newest(ctx context.Context, prefix string) ([]byte, error) {
	out, err := c.r.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.r.Env.InboxBucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	last := ""
	for _, o := range out.Contents {
		if k := aws.ToString(o.Key); k > last {
			last = k
		}
	}
	if last == "" {
		return nil, errors.New("no report under " + prefix)
	}
	return c.get(ctx, last)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// staff creates a staff member through the service the ops command uses, and returns
// its one-time set-password link and TOTP secret, as ops would hand them over.
func (c *control) staff(w http.ResponseWriter, req *http.Request) {
	var in struct{ Space, Identifier, Role string }
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<16)).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	st := app.Store(c.r.Env, app.NewClients(c.r.AWS.Config, c.r.AWS.SESConfig), app.Options{})
	e, err := app.StaffService(st, app.Options{}).Add(req.Context(), staff.NewMember{Space: in.Space, Identifier: in.Identifier, Role: in.Role})
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	reply(w, map[string]string{
		"link":   c.r.PortalURL + "/" + e.Member.Space + "/staff/password#token=" + e.Token,
		"secret": e.Secret,
	})
}
