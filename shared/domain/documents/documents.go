// Package documents holds the document record, the rules that validate billing's input
// and the rejection reasons billing reads in `.error.json` files.
package documents

import (
	"encoding/base64"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
)

// Types of document.
const (
	Invoice    = "invoice"
	CreditNote = "credit_note"
)

// Document is one archived PDF of one customer company.
type Document struct {
	Space          string
	CustomerNumber string
	Number         string
	Type           string
	IssueDate      string // YYYY-MM-DD
	Amount         string // canonical decimal, "" when unknown
	Currency       string
	Duplicate      bool   // the customer receives paper originals
	Copy           bool   // the legal original travels through an approved platform
	Profile        string // Factur-X profile, "" without XML
	Flagged        bool   // MINIMUM / BASIC WL profiles are not full invoices
	DueDate        string
	SHA256         string
	Size           int64
	ArchiveKey     string
	SourceKey      string
	IngestedAt     time.Time
	ExpiresAt      time.Time
	DownloadedAt   *time.Time
}

// SortKey orders a company's documents by issue date, then number.
func (d Document) SortKey() string { return d.IssueDate + "#" + d.Number }

// ID is the public id of a document: its sort key, opaque to clients. The company part of
// the key always comes from the session, so an id names nothing outside its company.
func (d Document) ID() string { return EncodeID(d.SortKey()) }

// EncodeID turns a sort key into a URL-safe id.
func EncodeID(sortKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sortKey))
}

// DecodeID returns the sort key of an id, or a fault.ErrNotFound for anything malformed.
func DecodeID(id string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) < 12 || b[10] != '#' {
		return "", fault.NotFound("document")
	}
	if _, err := time.Parse(time.DateOnly, string(b[:10])); err != nil {
		return "", fault.NotFound("document")
	}
	return string(b), nil
}

// Company is the partition of a customer's documents.
func Company(space, customerNumber string) string { return space + "#" + customerNumber }
