// Package purge deletes an expired document's archived PDF once DynamoDB's TTL has
// deleted its record (PRODUCT.md §8). Only TTL deletions count: a record removed by anyone
// else keeps its PDF, which the lifecycle rule on documents/ expires in the end.
package purge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// TTL deletions carry this identity in their stream record.
const (
	IdentityType      = "Service"
	ServicePrincipal  = "dynamodb.amazonaws.com"
	eventRemove       = "REMOVE"
	archivedDocuments = "documents/"
)

// Record is what the purge reads of one documents-stream record.
type Record struct {
	EventName    string // INSERT, MODIFY or REMOVE
	IdentityType string // "" when the record has no userIdentity
	PrincipalID  string
	Company      string // the old image's pk
	SortKey      string // the old image's sk
	ArchiveKey   string // the old image's archiveKey
}

// TTLDeletion reports whether r is the removal of an item by DynamoDB's TTL. The event
// source mapping filters on the same identity; checking again keeps a misconfigured
// mapping from purging documents a person deleted.
func (r Record) TTLDeletion() bool {
	return r.EventName == eventRemove && r.IdentityType == IdentityType && r.PrincipalID == ServicePrincipal
}

// Archive deletes archived objects; deleting an object already gone is not an error.
type Archive interface {
	DeleteArchived(ctx context.Context, archiveKey string) error
}

// Service purges archived PDFs.
type Service struct {
	Archive Archive
	Log     *slog.Logger
}

// Purge deletes the PDF of a TTL-deleted document and ignores every other record. It is
// idempotent: a redelivered record finds the PDF gone and succeeds.
func (s *Service) Purge(ctx context.Context, r Record) error {
	if !r.TTLDeletion() {
		s.Log.InfoContext(ctx, "purge: not a TTL deletion, ignored", "event", r.EventName,
			"identity", r.IdentityType, "principal", r.PrincipalID, "company", r.Company, "sk", r.SortKey)
		return nil
	}
	if !strings.HasPrefix(r.ArchiveKey, archivedDocuments) || strings.Contains(r.ArchiveKey, "..") {
		// Never delete outside the documents of record, whatever an item says.
		s.Log.WarnContext(ctx, "purge: no archived document to delete", "company", r.Company, "sk", r.SortKey, "archiveKey", r.ArchiveKey)
		return nil
	}
	if err := s.Archive.DeleteArchived(ctx, r.ArchiveKey); err != nil {
		return fmt.Errorf("purge %s %s: %w", r.Company, r.SortKey, err)
	}
	s.Log.InfoContext(ctx, "purge: archived document deleted", "company", r.Company, "sk", r.SortKey)
	return nil
}
