// Package ingest files what billing drops into the inbox: documents exactly once,
// referentials as upserts, and everything else rejected with a readable reason
// (PRODUCT.md §3). It decides; the stores it is given do the I/O.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/metrics"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// ErrGone is returned by Objects.Get when the inbox object no longer exists: an earlier
// delivery of the same event already dealt with it.
var ErrGone = errors.New("inbox object gone")

// ErrConflict is returned by Store.File when the company already has a document with this
// number and other bytes.
var ErrConflict = errors.New("document number already filed with other content")

// Object is an inbox object's bytes and S3 user metadata.
type Object struct {
	Body     []byte
	Metadata map[string]string
}

// Objects is the S3 side: the inbox bucket and the private archive bucket.
type Objects interface {
	// Get returns the inbox object, or ErrGone.
	Get(ctx context.Context, key string) (Object, error)
	// Open reads an inbox object as a stream from offset on, or returns ErrGone.
	Open(ctx context.Context, key string, offset int64) (Stream, error)
	// Archive copies an inbox object, bytes unchanged, to the archive bucket.
	Archive(ctx context.Context, inboxKey, archiveKey string) error
	// DeleteArchived removes an archive object (only ever one this delivery wrote).
	DeleteArchived(ctx context.Context, archiveKey string) error
	// Copy copies within the inbox bucket (rejected/, processed/).
	Copy(ctx context.Context, src, dst string) error
	// Put writes a small object into the inbox bucket (error and report files).
	Put(ctx context.Context, key string, body []byte, contentType string) error
	// Delete removes an inbox object; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// Store is the DynamoDB side.
type Store interface {
	// Space returns a space's settings, or a fault.ErrNotFound.
	Space(ctx context.Context, id string) (spaces.Space, error)
	// Customer returns a customer, or a fault.ErrNotFound.
	Customer(ctx context.Context, space, number string) (customers.Customer, error)
	// Job returns the referential job of a space, found false when there is none.
	Job(ctx context.Context, space string) (job Job, found bool, err error)
	// SaveJob stores job if the stored job's version is job.Version-1 (none for 1), or
	// returns ErrStale.
	SaveJob(ctx context.Context, job Job) error
	// EndJob deletes the space's job if it is still at version.
	EndJob(ctx context.Context, space string, version int64) error
	// RowMarks returns the row marks of those of the space's customers that exist (an
	// empty mark for one no referential row was applied to).
	RowMarks(ctx context.Context, space string, numbers []string) (map[string]RowMark, error)
	// CreateRows creates customers (of one space, each once) that RowMarks found missing.
	// Only the space's referential job creates customers, so it needs no condition.
	CreateRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error
	// ApplyRows upserts the referential's fields of customers (of one space, each once)
	// with their row mark, leaving the other fields alone.
	ApplyRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error
	// ClaimOf returns the SHA-256 of the document already filed under this number, or "".
	ClaimOf(ctx context.Context, company, number string) (string, error)
	// File records a document and everything caused by it in one transaction. It returns
	// ErrConflict when the number is taken by other bytes, and (false, nil) when the same
	// bytes are already filed.
	File(ctx context.Context, req FileRequest) (created bool, err error)
}

// FileRequest is one document and what it causes, written atomically.
type FileRequest struct {
	Document   documents.Document
	Activation *Activation     // nil unless PRODUCT.md §3 step 5 applies
	Mails      []outbox.Record // per-document notifications
	Digest     bool            // queue the document for the customer's next digest
}

// Activation creates the registered-admin account. The store tries identifiers in order
// (accounts.CandidateIdentifier) and calls Make with the first free one.
type Activation struct {
	Email         string
	PreviousAdmin string // identifier of the account this one replaces, "" if none
	Make          func(identifier string) (accounts.Account, tokens.Record, outbox.Record)
}

// FacturXReader reads the embedded Factur-X XML of a PDF; it returns ErrNoXML for a PDF
// without one. It is injected so that only the ingest
// function links the PDF library.
type FacturXReader func(pdf []byte) (*XMLInvoice, error)

// XMLInvoice is what ingestion uses of a Factur-X XML.
type XMLInvoice struct {
	Number     string
	TypeCode   string
	IssueDate  string
	DueDate    string
	BuyerName  string
	BuyerSIREN string
	GrandTotal string
	Currency   string
	Profile    string
	Flagged    bool
}

// ErrNoXML is what a FacturXReader returns for a plain PDF.
var ErrNoXML = errors.New("no Factur-X XML in PDF")

// Service handles inbox keys.
type Service struct {
	Objects Objects
	Store   Store
	ReadXML FacturXReader // nil: XML is not read
	// MailKey derives activation tokens, of which only the hash is written.
	MailKey *tokens.MailKey
	Now     func() time.Time
	Log     *slog.Logger
	// Metrics makes the filed and rejected documents' log lines count DocumentsFiled
	// and DocumentsRejected; the zero value counts nothing.
	Metrics metrics.Recorder
	// Queue carries a referential on to the next invocation; nil applies it whole in
	// one (tests).
	Queue Requeue
	// ChunkTime bounds the time an invocation applies rows (default ChunkTime), ChunkRows
	// the rows it reads (0: no bound), WaitDelay how long a referential waits for the
	// previous one of its space (default WaitDelay; negative: none).
	ChunkTime time.Duration
	ChunkRows int
	WaitDelay time.Duration
}

// Handle processes one S3 event key (URL-encoded as S3 sends it) written by principal
// (the event's userIdentity.principalId). It returns an error only when the event must be
// retried; every bad input ends as a rejection, not an error.
func (s *Service) Handle(ctx context.Context, eventKey, principal string) error {
	key, space, err := s.admit(ctx, eventKey, principal)
	if key == nil || err != nil {
		return err
	}
	switch key.Kind {
	case documents.KindDocument:
		return s.document(ctx, space, *key)
	case documents.KindReferential:
		return s.referential(ctx, *key, principal)
	}
	return s.reject(ctx, *key, documents.Reject(documents.CodeBadValue, []string{"key"},
		"unknown folder: documents go under inbox/%s/documents/, referentials under inbox/%s/customers/",
		"dossier inconnu : les documents se déposent sous inbox/%s/documents/, les référentiels sous inbox/%s/customers/",
		key.Space, key.Space))
}

// admit parses an event key and reads its space, and rejects the file when the space
// does not exist or principal is not one of its billing principals (PRODUCT.md §9). A
// nil key means the event is dealt with: ignored, rejected, or err to retry.
func (s *Service) admit(ctx context.Context, eventKey, principal string) (*documents.InboxKey, spaces.Space, error) {
	key, ok := documents.ParseInboxKey(eventKey)
	if !ok {
		s.Log.InfoContext(ctx, "ignored key outside inbox", "key", eventKey)
		return nil, spaces.Space{}, nil
	}
	space, err := s.Store.Space(ctx, key.Space)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, spaces.Space{}, s.reject(ctx, key, documents.Reject(documents.CodeUnknownSpace, []string{"key"},
			"space %q does not exist; files go under inbox/{space}/documents/ or inbox/{space}/customers/",
			"l'espace %q n'existe pas ; les fichiers se déposent sous inbox/{espace}/documents/ ou inbox/{espace}/customers/",
			key.Space))
	}
	if err != nil {
		return nil, spaces.Space{}, err
	}
	if !space.BillingAllows(principal) {
		// Checked before the object is read: nothing of the space is looked at or changed.
		s.Log.WarnContext(ctx, "file from a principal outside the space's billing", "key", key.Raw, "principal", principal)
		return nil, spaces.Space{}, s.reject(ctx, key, documents.Reject(documents.CodeForbiddenSpace, []string{"principal"},
			"this file was written by %s, which is not one of space %q's billing principals; only they may drop files under inbox/%s/",
			"ce fichier a été déposé par %s, qui ne fait pas partie des principaux de facturation de l'espace %q ; eux seuls peuvent déposer sous inbox/%s/",
			principalLabel(principal), key.Space, key.Space))
	}
	return &key, space, nil
}

// principalLabel quotes an event's principal id for a report, which billing reads.
func principalLabel(principal string) string {
	if principal == "" {
		return "an unknown principal"
	}
	return fmt.Sprintf("%q", truncate(principal, 200))
}

// UnreadableAfter is how many deliveries of a document may fail before the next one
// rejects it as unreadable (PRODUCT.md §3 and §10): a PDF that crashes the function or
// makes it time out would otherwise be retried until the dead-letter queue takes it.
const UnreadableAfter = 3

// RejectUnreadable rejects the document of an S3 event key as `unreadable` without
// reading it, for a delivery that follows UnreadableAfter failed ones. Other keys, such
// as referentials, which are retried whole, are handled as by Handle.
func (s *Service) RejectUnreadable(ctx context.Context, eventKey, principal string) error {
	key, ok := documents.ParseInboxKey(eventKey)
	if !ok || key.Kind != documents.KindDocument {
		return s.Handle(ctx, eventKey, principal)
	}
	// A file from outside the space's billing is refused as such, unread.
	if k, _, err := s.admit(ctx, eventKey, principal); k == nil || err != nil {
		return err
	}
	// Reading the PDF is what failed: reject sees only its key, and a document an
	// earlier delivery filed is already gone from the inbox.
	return s.reject(ctx, key, documents.Reject(documents.CodeUnreadable, []string{"body"},
		"the file could not be processed: it crashed or timed out ingestion %d times (a PDF that inflates beyond the memory limits does); check the PDF, then drop it again",
		"le fichier n'a pas pu être traité : il a fait échouer ou dépasser le délai de l'ingestion %d fois (c'est le cas d'un PDF qui se décompresse au-delà des limites de mémoire) ; vérifiez le PDF puis déposez-le à nouveau",
		UnreadableAfter))
}

func (s *Service) document(ctx context.Context, space spaces.Space, key documents.InboxKey) error {
	if key.Ext() != "pdf" {
		return s.reject(ctx, key, documents.Reject(documents.CodeBadExtension, []string{"key"},
			"documents must be PDF files ending in .pdf, got %q", "les documents doivent être des PDF en .pdf, reçu %q", "."+key.Ext()))
	}
	obj, err := s.Objects.Get(ctx, key.Raw)
	if errors.Is(err, ErrGone) {
		return nil
	}
	if err != nil {
		return err
	}
	if rej := checkBytes(obj.Body, space.MaxDocumentBytes); rej != nil {
		return s.reject(ctx, key, rej)
	}
	// The XML is read first: a Factur-X PDF needs no metadata but its customer number.
	var xml *XMLInvoice
	if s.ReadXML != nil {
		xml, err = s.ReadXML(obj.Body)
		switch {
		case errors.Is(err, ErrNoXML):
			xml = nil
		case err != nil:
			return s.reject(ctx, key, documents.Reject(documents.CodeBadValue, []string{"factur-x.xml"},
				"the embedded Factur-X XML cannot be read: %v", "le XML Factur-X joint au PDF est illisible : %v", err))
		}
	}
	f, err := documents.ParseMetadataWith(obj.Metadata, embedded(xml))
	if err != nil {
		return s.reject(ctx, key, err)
	}
	now := s.Now()
	if rej := checkDates(space, f.IssueDate, now); rej != nil {
		return s.reject(ctx, key, rej)
	}
	if xml != nil {
		if rej := crossCheck(f, xml); rej != nil {
			return s.reject(ctx, key, rej)
		}
	}
	cust, err := s.Store.Customer(ctx, space.ID, f.CustomerNumber)
	known := err == nil
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if known && xml != nil && xml.BuyerSIREN != "" && cust.SIREN != "" && xml.BuyerSIREN != cust.SIREN {
		return s.reject(ctx, key, documents.Reject(documents.CodeSirenMismatch, []string{"BuyerTradeParty"},
			"the XML's buyer SIREN %s is not customer %s's SIREN in the referential",
			"le SIREN de l'acheteur dans le XML (%s) n'est pas celui du client %s dans le référentiel",
			xml.BuyerSIREN, f.CustomerNumber))
	}

	sum := sha256.Sum256(obj.Body)
	digest := hex.EncodeToString(sum[:])
	company := documents.Company(space.ID, f.CustomerNumber)
	switch prior, err := s.Store.ClaimOf(ctx, company, f.Number); {
	case err != nil:
		return err
	case prior == digest:
		return s.Objects.Delete(ctx, key.Raw) // the same bytes again: silent no-op
	case prior != "":
		return s.reject(ctx, key, conflict(f))
	}

	expires, err := space.ExpiresAt(f.IssueDate)
	if err != nil {
		return err
	}
	doc := documents.Document{
		Space: space.ID, CustomerNumber: f.CustomerNumber, Number: f.Number, Type: f.Type,
		IssueDate: f.IssueDate, Amount: f.Amount, Currency: f.Currency, Copy: f.Copy,
		Duplicate: known && cust.Delivery == customers.DeliveryPaper,
		SHA256:    digest, Size: int64(len(obj.Body)),
		// The id keeps two numbers with the same bytes apart, so purging or undoing one
		// never removes the other's PDF; the digest keeps other bytes apart.
		ArchiveKey: "documents/" + space.ID + "/" + f.CustomerNumber + "/" + documents.EncodeID(f.IssueDate+"#"+f.Number) + "-" + digest + ".pdf",
		SourceKey:  key.Raw, IngestedAt: now.UTC(), ExpiresAt: expires,
	}
	if xml != nil {
		doc.Profile, doc.Flagged, doc.DueDate = xml.Profile, xml.Flagged, xml.DueDate
	}
	if err := s.Objects.Archive(ctx, key.Raw, doc.ArchiveKey); err != nil {
		return err
	}
	req := FileRequest{Document: doc}
	if known {
		req.Activation = s.activation(space, cust, now)
		req.Mails = notifications(space, cust, doc, now)
		req.Digest = cust.Email != "" && cust.Notification == customers.NotifyDigest && !cust.MailHeld()
	}
	created, err := s.Store.File(ctx, req)
	if errors.Is(err, ErrConflict) {
		// Another delivery filed other bytes under this number between ClaimOf and File.
		if err := s.Objects.DeleteArchived(ctx, doc.ArchiveKey); err != nil {
			return err
		}
		return s.reject(ctx, key, conflict(f))
	}
	if err != nil {
		return err
	}
	if created {
		s.Log.InfoContext(ctx, "document filed", append(s.Metrics.Count(metrics.DocumentsFiled), "space", space.ID, "customer", f.CustomerNumber,
			"number", f.Number, "known_customer", known, "activation", req.Activation != nil,
			"mail_held", known && cust.MailHeld())...)
	}
	return s.Objects.Delete(ctx, key.Raw)
}

func conflict(f documents.Fields) *documents.Rejection {
	return documents.Reject(documents.CodeConflict, []string{documents.MetaNumber},
		"document %s of customer %s is already filed with other content; issue a credit note to correct it",
		"le document %s du client %s est déjà déposé avec un autre contenu ; une correction se fait par un avoir",
		f.Number, f.CustomerNumber)
}

// activation returns the account creation PRODUCT.md §3 step 5 asks for, or nil.
func (s *Service) activation(space spaces.Space, c customers.Customer, now time.Time) *Activation {
	if !c.ActivationDue() {
		return nil
	}
	return &Activation{
		Email:         c.Email,
		PreviousAdmin: c.AdminID,
		Make: func(identifier string) (accounts.Account, tokens.Record, outbox.Record) {
			key, nonce := outbox.ActivationKey(accounts.Key(identifier)), tokens.NewNonce()
			hash := tokens.Hash(s.MailKey.Token(tokens.KindActivation, key, nonce, 0))
			acct := accounts.Account{
				Identifier: identifier, Space: space.ID, CustomerNumber: c.Number, Email: c.Email,
				Active: true, Admin: true, RegisteredAdmin: true, Profile: space.Profiles[0],
				HistoryMonths: accounts.DefaultHistoryMonths, Language: c.Language, CreatedAt: now.UTC(),
			}
			tok := tokens.Record{
				Hash: hash, Kind: tokens.KindActivation, Space: space.ID, Email: c.Email,
				Identifier: identifier, CustomerNumber: c.Number, ExpiresAt: now.Add(tokens.ActivationValidity).UTC(),
			}
			mail := outbox.Record{
				Key: key, Kind: outbox.KindActivation,
				Space: space.ID, To: c.Email, Language: c.Language, Nonce: nonce,
				Data:   map[string]string{"identifier": identifier, "companyName": c.CompanyName, "customerNumber": c.Number},
				Status: outbox.StatusPending, CreatedAt: now.UTC(),
			}
			return acct, tok, mail
		},
	}
}

// notifications are the per-document mails of the customer's notification mode; none
// while the registered e-mail bounces or complained (PRODUCT.md §5).
func notifications(space spaces.Space, c customers.Customer, d documents.Document, now time.Time) []outbox.Record {
	if c.Email == "" || c.MailHeld() {
		return nil
	}
	switch c.Notification {
	case customers.NotifyAttachment, customers.NotifyLink:
	default:
		return nil
	}
	mode := c.Notification
	if mode == customers.NotifyAttachment && d.Size > space.AttachmentThreshold {
		mode = customers.NotifyLink
	}
	return []outbox.Record{{
		Key: outbox.NotifyKey(documents.Company(d.Space, d.CustomerNumber), d.Number), Kind: outbox.KindNotify,
		Space: space.ID, To: c.Email, Language: c.Language, Status: outbox.StatusPending, CreatedAt: now.UTC(),
		Data: map[string]string{
			"mode": mode, "companyName": c.CompanyName, "number": d.Number, "type": d.Type,
			"issueDate": d.IssueDate, "amount": d.Amount, "currency": d.Currency,
			"archiveKey": d.ArchiveKey, "duplicate": fmt.Sprint(d.Duplicate), "copy": fmt.Sprint(d.Copy),
			"customerNumber": c.Number,
		},
	}}
}

func checkBytes(body []byte, limit int64) *documents.Rejection {
	switch {
	case len(body) == 0:
		return documents.Reject(documents.CodeEmpty, []string{"body"}, "the file is empty", "le fichier est vide")
	case int64(len(body)) > limit:
		return documents.Reject(documents.CodeTooLarge, []string{"body"},
			"the file is %d bytes; this space accepts at most %d", "le fichier fait %d octets ; cet espace accepte au plus %d octets",
			len(body), limit)
	case !bytes.Contains(body[:min(len(body), 1024)], []byte("%PDF-")):
		return documents.Reject(documents.CodeNotPDF, []string{"body"},
			"the file is not a PDF (no %%PDF- header in its first 1024 bytes)",
			"le fichier n'est pas un PDF (pas d'en-tête %%PDF- dans ses 1024 premiers octets)")
	}
	return nil
}

func checkDates(space spaces.Space, issueDate string, now time.Time) *documents.Rejection {
	if issueDate > space.Today(now) {
		return documents.Reject(documents.CodeFutureDate, []string{documents.MetaIssueDate},
			"issue date %s is after today (%s, %s)", "la date d'émission %s est postérieure à aujourd'hui (%s, %s)",
			issueDate, space.Today(now), space.TimeZone)
	}
	if exp, err := space.ExpiresAt(issueDate); err == nil && !exp.After(now) {
		return documents.Reject(documents.CodePastRetention, []string{documents.MetaIssueDate},
			"issue date %s is older than this space's %d-month retention: the document would never be visible",
			"la date d'émission %s dépasse la durée de conservation de %d mois de cet espace : le document ne serait jamais visible",
			issueDate, space.RetentionMonths)
	}
	return nil
}

// embedded is what the XML says of the fields metadata may leave out, nil for a plain PDF.
func embedded(x *XMLInvoice) map[string]documents.Embedded {
	if x == nil {
		return nil
	}
	return map[string]documents.Embedded{
		documents.MetaNumber:    {Value: x.Number, Term: "BT-1"},
		documents.MetaType:      {Value: x.TypeCode, Term: "BT-3"},
		documents.MetaIssueDate: {Value: x.IssueDate, Term: "BT-2"},
		documents.MetaAmount:    {Value: x.GrandTotal, Term: "BT-112"},
		documents.MetaCurrency:  {Value: x.Currency, Term: "BT-5"},
	}
}

// crossCheck rejects a document whose metadata and XML disagree after normalisation.
func crossCheck(f documents.Fields, x *XMLInvoice) *documents.Rejection {
	var diffs []string
	if x.Number != "" && x.Number != f.Number {
		diffs = append(diffs, fmt.Sprintf("%s=%q vs BT-1=%q", documents.MetaNumber, f.Number, x.Number))
	}
	if t, ok := documents.NormalizeType(x.TypeCode); x.TypeCode != "" && (!ok || t != f.Type) {
		diffs = append(diffs, fmt.Sprintf("%s=%q vs TypeCode=%q", documents.MetaType, f.Type, x.TypeCode))
	}
	if x.IssueDate != "" && x.IssueDate != f.IssueDate {
		diffs = append(diffs, fmt.Sprintf("%s=%q vs BT-2=%q", documents.MetaIssueDate, f.IssueDate, x.IssueDate))
	}
	if f.Amount != "" && x.GrandTotal != "" && !documents.SameAmount(f.Amount, x.GrandTotal) {
		diffs = append(diffs, fmt.Sprintf("%s=%q vs BT-112=%q", documents.MetaAmount, f.Amount, x.GrandTotal))
	}
	if f.Currency != "" && x.Currency != "" && f.Currency != x.Currency {
		diffs = append(diffs, fmt.Sprintf("%s=%q vs BT-5=%q", documents.MetaCurrency, f.Currency, x.Currency))
	}
	if len(diffs) == 0 {
		return nil
	}
	fields := make([]string, len(diffs))
	for i, d := range diffs {
		fields[i], _, _ = strings.Cut(d, "=")
	}
	return documents.Reject(documents.CodeMetadataMismatch, fields,
		"S3 metadata and the embedded Factur-X XML disagree: %s", "les métadonnées S3 et le XML Factur-X ne concordent pas : %s",
		strings.Join(diffs, "; "))
}

// reject moves the file to rejected/ with its .error.json, losing nothing.
func (s *Service) reject(ctx context.Context, key documents.InboxKey, err error) error {
	rej, ok := documents.AsRejection(err)
	if !ok {
		return err
	}
	rej.Key = key.Raw
	body, _ := json.MarshalIndent(rej, "", "  ")
	dst := key.RejectedKey()
	if err := s.Objects.Copy(ctx, key.Raw, dst); err != nil {
		if errors.Is(err, ErrGone) {
			return nil // an earlier delivery already moved it
		}
		return err
	}
	if err := s.Objects.Put(ctx, dst+".error.json", body, "application/json"); err != nil {
		return err
	}
	s.Log.WarnContext(ctx, "file rejected", append(s.Metrics.Count(metrics.DocumentsRejected), "key", key.Raw, "code", rej.Code, "fields", rej.Fields)...)
	return s.Objects.Delete(ctx, key.Raw)
}
