package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
)

// Report is what billing reads back under reports/ after a referential is applied.
type Report struct {
	Key       string               `json:"key"`
	AppliedAt time.Time            `json:"appliedAt"`
	Applied   int                  `json:"applied"`
	Rejected  int                  `json:"rejected"`
	Errors    []customers.RowError `json:"errors"`
}

// Timestamp is the UTC suffix of processed referentials and reports.
const Timestamp = "20060102T150405Z"

func (s *Service) referential(ctx context.Context, key documents.InboxKey) error {
	var parse func([]byte) (customers.Parsed, error)
	switch key.Ext() {
	case "csv":
		parse = customers.ParseCSV
	case "jsonl":
		parse = customers.ParseJSONL
	default:
		return s.reject(ctx, key, documents.Reject(documents.CodeBadExtension, []string{"key"},
			"referentials must be .csv or .jsonl files, got %q", "les référentiels doivent être des fichiers .csv ou .jsonl, reçu %q", "."+key.Ext()))
	}
	obj, err := s.Objects.Get(ctx, key.Raw)
	if errors.Is(err, ErrGone) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(obj.Body) == 0 {
		return s.reject(ctx, key, documents.Reject(documents.CodeEmpty, []string{"body"}, "the file is empty", "le fichier est vide"))
	}
	parsed, err := parse(obj.Body)
	if err != nil {
		return s.reject(ctx, key, documents.Reject(documents.CodeBadValue, []string{"header"},
			"the referential cannot be read: %v", "le référentiel est illisible : %v", err))
	}
	now := s.Now().UTC()
	for _, row := range parsed.Rows {
		row.Customer.Space = key.Space
		if err := s.Store.ApplyCustomer(ctx, row.Customer, now); err != nil {
			return err // retried whole: applying a row twice changes nothing
		}
	}
	ts := now.Format(Timestamp)
	rep := Report{Key: key.Raw, AppliedAt: now, Applied: len(parsed.Rows), Rejected: len(parsed.Errors), Errors: parsed.Errors}
	if rep.Errors == nil {
		rep.Errors = []customers.RowError{}
	}
	body, _ := json.MarshalIndent(rep, "", "  ")
	if err := s.Objects.Put(ctx, key.ReportKey(ts), body, "application/json"); err != nil {
		return err
	}
	if err := s.Objects.Copy(ctx, key.Raw, key.ProcessedKey(ts)); err != nil && !errors.Is(err, ErrGone) {
		return err
	}
	s.Log.InfoContext(ctx, "referential applied", "key", key.Raw, "applied", rep.Applied, "rejected", rep.Rejected)
	return s.Objects.Delete(ctx, key.Raw)
}
