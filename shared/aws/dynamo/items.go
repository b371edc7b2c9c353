package dynamo

import (
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/tokens"
)

type documentItem struct {
	PK           string     `dynamodbav:"pk"`
	SK           string     `dynamodbav:"sk"`
	ID           string     `dynamodbav:"id"`
	Space        string     `dynamodbav:"space"`
	Customer     string     `dynamodbav:"customerNumber"`
	Number       string     `dynamodbav:"number"`
	Type         string     `dynamodbav:"type"`
	IssueDate    string     `dynamodbav:"issueDate"`
	Amount       string     `dynamodbav:"amount,omitempty"`
	Currency     string     `dynamodbav:"currency,omitempty"`
	Duplicate    bool       `dynamodbav:"duplicate"`
	Copy         bool       `dynamodbav:"copy"`
	Profile      string     `dynamodbav:"profile,omitempty"`
	Flagged      bool       `dynamodbav:"flagged,omitempty"`
	DueDate      string     `dynamodbav:"dueDate,omitempty"`
	SHA256       string     `dynamodbav:"sha256"`
	Size         int64      `dynamodbav:"size"`
	ArchiveKey   string     `dynamodbav:"archiveKey"`
	SourceKey    string     `dynamodbav:"sourceKey"`
	IngestedAt   time.Time  `dynamodbav:"ingestedAt"`
	ExpiresAt    time.Time  `dynamodbav:"expiresAt"`
	DownloadedAt *time.Time `dynamodbav:"downloadedAt,omitempty"`
	TTL          int64      `dynamodbav:"ttl"`
}

func toDocumentItem(d documents.Document) documentItem {
	return documentItem{
		PK: documents.Company(d.Space, d.CustomerNumber), SK: d.SortKey(), ID: d.ID(),
		Space: d.Space, Customer: d.CustomerNumber, Number: d.Number, Type: d.Type, IssueDate: d.IssueDate,
		Amount: d.Amount, Currency: d.Currency, Duplicate: d.Duplicate, Copy: d.Copy, Profile: d.Profile,
		Flagged: d.Flagged, DueDate: d.DueDate, SHA256: d.SHA256, Size: d.Size, ArchiveKey: d.ArchiveKey,
		SourceKey: d.SourceKey, IngestedAt: d.IngestedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
		DownloadedAt: d.DownloadedAt, TTL: d.ExpiresAt.Unix(),
	}
}

func (it documentItem) document() documents.Document {
	return documents.Document{
		Space: it.Space, CustomerNumber: it.Customer, Number: it.Number, Type: it.Type, IssueDate: it.IssueDate,
		Amount: it.Amount, Currency: it.Currency, Duplicate: it.Duplicate, Copy: it.Copy, Profile: it.Profile,
		Flagged: it.Flagged, DueDate: it.DueDate, SHA256: it.SHA256, Size: it.Size, ArchiveKey: it.ArchiveKey,
		SourceKey: it.SourceKey, IngestedAt: it.IngestedAt, ExpiresAt: it.ExpiresAt, DownloadedAt: it.DownloadedAt,
	}
}

type claimItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	SHA256 string `dynamodbav:"sha256"`
	DocSK  string `dynamodbav:"documentSk"`
	TTL    int64  `dynamodbav:"ttl"`
}

func claimPK(company, number string) string { return "DOCNUM#" + company + "#" + number }

type accountItem struct {
	PK              string     `dynamodbav:"pk"`
	SK              string     `dynamodbav:"sk"`
	GSI1PK          string     `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK          string     `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK          string     `dynamodbav:"gsi2pk"`
	GSI2SK          string     `dynamodbav:"gsi2sk"`
	Identifier      string     `dynamodbav:"identifier"`
	Space           string     `dynamodbav:"space"`
	CustomerNumber  string     `dynamodbav:"customerNumber"`
	Email           string     `dynamodbav:"email,omitempty"`
	FirstName       string     `dynamodbav:"firstName,omitempty"`
	LastName        string     `dynamodbav:"lastName,omitempty"`
	Phone           string     `dynamodbav:"phone,omitempty"`
	Mobile          string     `dynamodbav:"mobile,omitempty"`
	Active          bool       `dynamodbav:"active"`
	Admin           bool       `dynamodbav:"admin"`
	RegisteredAdmin bool       `dynamodbav:"registeredAdmin"`
	Profile         string     `dynamodbav:"profile,omitempty"`
	PasswordHash    string     `dynamodbav:"passwordHash,omitempty"`
	SessionEpoch    int64      `dynamodbav:"sessionEpoch"`
	Failures        int        `dynamodbav:"failures"`
	LockedUntil     *time.Time `dynamodbav:"lockedUntil,omitempty"`
	LastLoginAt     *time.Time `dynamodbav:"lastLoginAt,omitempty"`
	PreviousLoginAt *time.Time `dynamodbav:"previousLoginAt,omitempty"`
	HistoryMonths   int        `dynamodbav:"historyMonths"`
	Language        string     `dynamodbav:"language"`
	CreatedAt       time.Time  `dynamodbav:"createdAt"`
	// Written by the console's activation resend only (console.go), never by a Put here.
	ActivationToken     string     `dynamodbav:"activationToken,omitempty"`
	ActivationExpiresAt *time.Time `dynamodbav:"activationExpiresAt,omitempty"`
}

func accountPK(identifier string) string { return "ACCT#" + accounts.Key(identifier) }

func toAccountItem(a accounts.Account) accountItem {
	it := accountItem{
		PK: accountPK(a.Identifier), SK: "ACCT",
		GSI2PK: "COMPANY#" + documents.Company(a.Space, a.CustomerNumber), GSI2SK: accounts.Key(a.Identifier),
		Identifier: a.Identifier, Space: a.Space, CustomerNumber: a.CustomerNumber, Email: a.Email,
		FirstName: a.FirstName, LastName: a.LastName, Phone: a.Phone, Mobile: a.Mobile, Active: a.Active,
		Admin: a.Admin, RegisteredAdmin: a.RegisteredAdmin, Profile: a.Profile, PasswordHash: a.PasswordHash,
		SessionEpoch: a.SessionEpoch, Failures: a.Failures, LastLoginAt: a.LastLoginAt,
		PreviousLoginAt: a.PreviousLoginAt, HistoryMonths: a.HistoryMonths, Language: a.Language,
		CreatedAt: a.CreatedAt.UTC(),
	}
	if a.Email != "" {
		it.GSI1PK, it.GSI1SK = emailGSI(a.Space, a.Email), accounts.Key(a.Identifier)
	}
	if !a.LockedUntil.IsZero() {
		t := a.LockedUntil.UTC()
		it.LockedUntil = &t
	}
	return it
}

func emailGSI(space, email string) string { return "EMAIL#" + space + "#" + accounts.Key(email) }

func (it accountItem) account() accounts.Account {
	a := accounts.Account{
		Identifier: it.Identifier, Space: it.Space, CustomerNumber: it.CustomerNumber, Email: it.Email,
		FirstName: it.FirstName, LastName: it.LastName, Phone: it.Phone, Mobile: it.Mobile, Active: it.Active,
		Admin: it.Admin, RegisteredAdmin: it.RegisteredAdmin, Profile: it.Profile, PasswordHash: it.PasswordHash,
		SessionEpoch: it.SessionEpoch, Failures: it.Failures, LastLoginAt: it.LastLoginAt,
		PreviousLoginAt: it.PreviousLoginAt, HistoryMonths: it.HistoryMonths, Language: it.Language, CreatedAt: it.CreatedAt,
		ActivationToken: it.ActivationToken, ActivationExpiresAt: it.ActivationExpiresAt,
	}
	if it.LockedUntil != nil {
		a.LockedUntil = *it.LockedUntil
	}
	return a
}

type tokenItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	Kind           string    `dynamodbav:"kind"`
	Space          string    `dynamodbav:"space"`
	Email          string    `dynamodbav:"email,omitempty"`
	Identifier     string    `dynamodbav:"identifier,omitempty"`
	CustomerNumber string    `dynamodbav:"customerNumber,omitempty"`
	DocumentSK     string    `dynamodbav:"documentSk,omitempty"`
	ExpiresAt      time.Time `dynamodbav:"expiresAt"`
	TTL            int64     `dynamodbav:"ttl"`
}

func toTokenItem(t tokens.Record) tokenItem {
	return tokenItem{
		PK: "TOKEN#" + t.Hash, SK: "TOKEN", Kind: t.Kind, Space: t.Space, Email: t.Email,
		Identifier: t.Identifier, CustomerNumber: t.CustomerNumber, DocumentSK: t.DocumentSK,
		ExpiresAt: t.ExpiresAt.UTC(), TTL: t.ExpiresAt.Unix(),
	}
}

func (it tokenItem) record() tokens.Record {
	return tokens.Record{
		Hash: it.PK[len("TOKEN#"):], Kind: it.Kind, Space: it.Space, Email: it.Email, Identifier: it.Identifier,
		CustomerNumber: it.CustomerNumber, DocumentSK: it.DocumentSK, ExpiresAt: it.ExpiresAt,
	}
}

type outboxItem struct {
	PK        string            `dynamodbav:"pk"`
	Kind      string            `dynamodbav:"kind"`
	Space     string            `dynamodbav:"space"`
	To        string            `dynamodbav:"to"`
	Language  string            `dynamodbav:"language"`
	Data      map[string]string `dynamodbav:"data"`
	Nonce     string            `dynamodbav:"nonce,omitempty"`
	Status    string            `dynamodbav:"status"`
	Attempts  int               `dynamodbav:"attempts"`
	LastError string            `dynamodbav:"lastError,omitempty"`
	CreatedAt time.Time         `dynamodbav:"createdAt"`
	SentAt    *time.Time        `dynamodbav:"sentAt,omitempty"`
	TTL       int64             `dynamodbav:"ttl"`
	DueShard  string            `dynamodbav:"dueShard,omitempty"`
	DueAt     int64             `dynamodbav:"dueAt,omitempty"` // epoch milliseconds
	// Company keys the index byCompany, the mails of one customer for the console.
	Company string `dynamodbav:"company,omitempty"`
}

func toOutboxItem(r outbox.Record) outboxItem {
	status := r.Status
	if status == "" {
		status = outbox.StatusPending
	}
	return outboxItem{
		PK: r.Key, Kind: r.Kind, Space: r.Space, To: r.To, Language: r.Language, Data: r.Data,
		Nonce: r.Nonce, Status: status, Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(),
		SentAt: r.SentAt, TTL: r.CreatedAt.Add(outbox.Retention).Unix(), LastError: r.LastError,
		Company: outboxCompany(r),
	}
}

// outboxCompany is the company a mail is about, from the customer number its data
// carries (activation, notification, digest); "" for mails about an address or an
// account alone (recovery, password changed).
func outboxCompany(r outbox.Record) string {
	if n := r.Data["customerNumber"]; n != "" && r.Space != "" {
		return documents.Company(r.Space, n)
	}
	return ""
}

func (it outboxItem) record() outbox.Record {
	return outbox.Record{
		Key: it.PK, Kind: it.Kind, Space: it.Space, To: it.To, Language: it.Language, Data: it.Data,
		Nonce: it.Nonce, Status: it.Status, Attempts: it.Attempts, LastError: it.LastError,
		CreatedAt: it.CreatedAt, SentAt: it.SentAt, Due: dueTime(it.DueAt),
	}
}

func dueTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
