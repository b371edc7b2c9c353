package listing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// Store is what the service needs of the tables (docs/DATA.md).
type Store interface {
	// ListDocuments runs one page of a listing as a single request.
	ListDocuments(ctx context.Context, q Query) (Page, error)
	// LiveDocument returns a company's document by sort key, or a fault.ErrNotFound
	// when there is none or it expired at now.
	LiveDocument(ctx context.Context, company, sortKey string, now time.Time) (documents.Document, error)
	// MarkDownloaded sets a document's downloadedAt to at unless it is already set.
	MarkDownloaded(ctx context.Context, company, sortKey string, at time.Time) error
	// LinkToken returns a stored token by hash, or a fault.ErrNotFound.
	LinkToken(ctx context.Context, hash string) (tokens.Record, error)
	// RegisteredEmail returns a customer's registered e-mail, "" when it has none or the
	// customer is unknown.
	RegisteredEmail(ctx context.Context, space, customerNumber string) (string, error)
}

// AuditLog records audit entries.
type AuditLog interface {
	PutAudit(ctx context.Context, e audit.Entry) error
}

// Spaces returns a space's settings, or a fault.ErrNotFound.
type Spaces interface {
	Space(ctx context.Context, id string) (spaces.Space, error)
}

// Presigner signs a short-lived GET of an archived PDF, saved as filename.
type Presigner interface {
	Download(ctx context.Context, archiveKey, filename string, ttl time.Duration) (string, error)
}

// DownloadTTL is how long a presigned download URL stays valid (PRODUCT.md §5, §7).
const DownloadTTL = 60 * time.Second

// Service lists documents and hands them out.
type Service struct {
	Store     Store
	Audit     AuditLog
	Spaces    Spaces
	Presigner Presigner
	Cursors   *signing.Key
	// Limiter and LinkUses throttle no-login links per token (PRODUCT.md §6).
	Limiter  ratelimit.Limiter
	LinkUses ratelimit.Limit
	Now      func() time.Time
	Log      *slog.Logger
}

// List returns one page of the caller's documents. It returns an invalid fault naming
// the parameter for a bad parameter or cursor.
func (s *Service) List(ctx context.Context, c Caller, p Params) (Result, error) {
	sp, err := s.Spaces.Space(ctx, c.Space)
	if err != nil {
		return Result{}, fmt.Errorf("list: %w", err)
	}
	r, err := resolve(p, c, &sp, s.Now(), s.Cursors)
	if err != nil {
		return Result{}, err
	}
	if r.query.HasWindow && r.query.Window.Empty() {
		return Result{Items: []documents.Document{}}, nil
	}
	page, err := s.Store.ListDocuments(ctx, r.query)
	if err != nil {
		return Result{}, err
	}
	res := Result{Items: page.Items}
	if res.Items == nil {
		res.Items = []documents.Document{}
	}
	if page.Next != nil {
		res.NextCursor = r.cursorFor(*page.Next, s.Cursors)
	}
	return res, nil
}

// Download returns a presigned URL of one of the caller's documents, marks it downloaded
// and audits it. An unknown, foreign, malformed or expired id is a not_found fault.
func (s *Service) Download(ctx context.Context, c Caller, id string) (string, error) {
	sk, err := documents.DecodeID(id)
	if err != nil {
		return "", err
	}
	now := s.Now()
	d, err := s.Store.LiveDocument(ctx, c.Company(), sk, now)
	if err != nil {
		return "", err
	}
	until, err := s.auditUntil(ctx, c.Space, now)
	if err != nil {
		return "", err
	}
	url, err := s.Presigner.Download(ctx, d.ArchiveKey, Filename(d), DownloadTTL)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", d.ID(), err)
	}
	if err := s.Audit.PutAudit(ctx, audit.New(c.Company(), now, c.Identifier, audit.ActionDownload, d.Number, "", until)); err != nil {
		return "", err
	}
	// Only the first download records its time: the document just read says whether one
	// did, which spares every later download a write.
	if d.DownloadedAt == nil {
		if err := s.Store.MarkDownloaded(ctx, c.Company(), sk, now); err != nil {
			return "", err
		}
	}
	return url, nil
}

// FollowLink checks a no-login link (PRODUCT.md §5) and returns a presigned URL of its
// document. It returns a gone fault for anything that makes the link unusable and a
// too_many fault past the hourly budget. A link is reusable until it expires.
func (s *Service) FollowLink(ctx context.Context, token string) (string, error) {
	if !tokens.WellFormed(token) {
		return "", linkExpired()
	}
	hash := tokens.Hash(token)
	now := s.Now()
	rec, err := s.Store.LinkToken(ctx, hash)
	if errors.Is(err, fault.ErrNotFound) {
		return "", linkExpired()
	}
	if err != nil {
		return "", err
	}
	if rec.Kind != tokens.KindLink || !now.Before(rec.ExpiresAt) {
		return "", linkExpired()
	}
	// Counted before the other reads, so a flood costs one write per use.
	ok, err := s.Limiter.Hit(ctx, ratelimit.ScopeLink, hash, s.LinkUses)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fault.New(fault.CodeTooMany, "link used too often")
	}
	// A link belongs to the address it was mailed to, not to an account: it lives its
	// days unless the registered e-mail has moved away from that address (PRODUCT.md §5).
	registered, err := s.Store.RegisteredEmail(ctx, rec.Space, rec.CustomerNumber)
	if err != nil {
		return "", err
	}
	if rec.Email == "" || !strings.EqualFold(registered, rec.Email) {
		return "", linkExpired()
	}
	company := documents.Company(rec.Space, rec.CustomerNumber)
	d, err := s.Store.LiveDocument(ctx, company, rec.DocumentSK, now)
	if errors.Is(err, fault.ErrNotFound) {
		return "", linkExpired()
	}
	if err != nil {
		return "", err
	}
	until, err := s.auditUntil(ctx, rec.Space, now)
	if err != nil {
		return "", err
	}
	url, err := s.Presigner.Download(ctx, d.ArchiveKey, Filename(d), DownloadTTL)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", d.ID(), err)
	}
	// Nobody signs in to follow a link: the actor stays empty and the detail names the
	// recipient the link was mailed to.
	if err := s.Audit.PutAudit(ctx, audit.New(company, now, "", audit.ActionLinkUse, d.Number, rec.Identifier, until)); err != nil {
		return "", err
	}
	return url, nil
}

// auditUntil is when an audit entry written at now expires: audit records follow the
// space's document retention (PRODUCT.md §8).
func (s *Service) auditUntil(ctx context.Context, space string, now time.Time) (time.Time, error) {
	sp, err := s.Spaces.Space(ctx, space)
	if err != nil {
		return time.Time{}, fmt.Errorf("space %s: %w", space, err)
	}
	return spaces.AddMonthsClamped(now.In(sp.Location()), sp.RetentionMonths), nil
}

// Filename is the name a document downloads under.
func Filename(d documents.Document) string { return d.Number + ".pdf" }
