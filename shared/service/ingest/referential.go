package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
)

// Report is what billing reads back under reports/ after a referential is applied.
// Applied rows were written, unchanged ones skipped (their stored hash was the row's),
// rejected counts every refused line of which Errors lists the first MaxReportErrors.
type Report struct {
	Key       string               `json:"key"`
	AppliedAt time.Time            `json:"appliedAt"`
	Rows      int                  `json:"rows"`
	Applied   int                  `json:"applied"`
	Unchanged int                  `json:"unchanged"`
	Rejected  int                  `json:"rejected"`
	Errors    []customers.RowError `json:"errors"`
}

// Timestamp is the UTC suffix of processed referentials and reports.
const Timestamp = "20060102T150405Z"

// MaxReportErrors is how many refused lines a report lists (PRODUCT.md §10).
const MaxReportErrors = 1000

// maxReasonBytes keeps a job's listed errors well within a DynamoDB item.
const maxReasonBytes = 300

// Stream is an inbox object read from an offset on.
type Stream struct {
	Body io.ReadCloser
	ETag string
	Size int64 // of the whole object
}

// Job is the application of one referential file, the space's only one at a time
// (PRODUCT.md §10): where it stands in the file and what it counted so far.
type Job struct {
	Space string
	Key   string // the inbox key (decoded)
	// Principal wrote the file (the S3 event's principal id); the job's further
	// deliveries carry it, as ingestion checks it at each one.
	Principal string
	ID        string // random: tells this application's writes from an earlier one's
	ETag      string
	// Version grows by one at each save; a save expects the version it read.
	Version                            int64
	Pos                                customers.Position
	Rows, Applied, Unchanged, Rejected int
	Errors                             []customers.RowError // the first MaxReportErrors
	// Done is the report's timestamp once every row is applied.
	Done      string
	UpdatedAt time.Time
}

// RowMark is what a customer item says of the last referential row applied to it.
type RowMark struct {
	Hash string // customers.Customer.RowHash
	Job  string // Job.ID of the application that wrote it
}

// ErrStale is returned by SaveJob when the stored job is not at the version the caller
// read: another delivery moved it on, and carries on with it.
var ErrStale = errors.New("referential job moved on")

// Requeue asks for another ingest invocation on an inbox key after delay, as written by
// principal.
type Requeue interface {
	Requeue(ctx context.Context, key, principal string, delay time.Duration) error
}

// Referential chunking defaults (PRODUCT.md §10).
const (
	// ChunkTime is the longest an invocation applies rows.
	ChunkTime = 40 * time.Second
	// ChunkMargin is kept before the invocation's deadline, for saving and the rest of
	// the SQS batch.
	ChunkMargin = 15 * time.Second
	// WaitDelay is how long a referential waits before looking again whether the earlier
	// one of its space is done.
	WaitDelay = 30 * time.Second
	// StallAfter is how long a job may go unsaved before a waiting file wakes it up, in
	// case every message carrying it was lost.
	StallAfter = 10 * time.Minute
	// RowBatch is how many rows are read and written together: BatchGetItem's limit.
	RowBatch = 100
)

func (s *Service) chunkEnd(ctx context.Context) time.Time {
	budget := s.ChunkTime
	if budget <= 0 {
		budget = ChunkTime
	}
	end := time.Now().Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Add(-ChunkMargin).Before(end) {
		end = d.Add(-ChunkMargin)
	}
	return end
}

func (s *Service) referential(ctx context.Context, key documents.InboxKey, principal string) error {
	format := key.Ext()
	if format != customers.FormatCSV && format != customers.FormatJSONL {
		return s.reject(ctx, key, documents.Reject(documents.CodeBadExtension, []string{"key"},
			"referentials must be .csv or .jsonl files, got %q", "les référentiels doivent être des fichiers .csv ou .jsonl, reçu %q", "."+key.Ext()))
	}
	job, found, err := s.Store.Job(ctx, key.Space)
	if err != nil {
		return err
	}
	if found && job.Key != key.Raw {
		return s.wait(ctx, key, principal, job)
	}
	if found && job.Done != "" {
		return s.finish(ctx, key, job) // an earlier delivery stopped between save and report
	}
	end := s.chunkEnd(ctx)
	if s.Queue != nil && time.Until(end) < time.Second {
		return s.Queue.Requeue(ctx, key.Raw, principal, 0) // the batch's other messages used the time
	}
	st, err := s.Objects.Open(ctx, key.Raw, job.Pos.Offset)
	if errors.Is(err, ErrGone) {
		if found { // billing deleted it while it was applied
			s.Log.WarnContext(ctx, "referential gone while applied", "key", key.Raw)
			return s.Store.EndJob(ctx, key.Space, job.Version)
		}
		return nil // an earlier delivery applied it
	}
	if err != nil {
		return err
	}
	defer func() { st.Body.Close() }()
	if found && st.ETag != "" && job.ETag != "" && st.ETag != job.ETag {
		// Replaced under the same key while applied: the new file is applied whole.
		s.Log.WarnContext(ctx, "referential replaced while applied; starting again", "key", key.Raw)
		st.Body.Close()
		if st, err = s.Objects.Open(ctx, key.Raw, 0); err != nil {
			return err
		}
		job = Job{Space: key.Space, Key: key.Raw, Principal: principal, Version: job.Version}
	}
	var rd *customers.Reader
	if job.ID == "" {
		if st.Size == 0 {
			if found {
				return s.Store.EndJob(ctx, key.Space, job.Version)
			}
			return s.reject(ctx, key, documents.Reject(documents.CodeEmpty, []string{"body"}, "the file is empty", "le fichier est vide"))
		}
		rd, err = customers.NewReader(format, st.Body, customers.Position{})
		if err != nil && found {
			if err := s.Store.EndJob(ctx, key.Space, job.Version); err != nil {
				return err
			}
		}
		if err != nil {
			return s.reject(ctx, key, documents.Reject(documents.CodeBadValue, []string{"header"},
				"the referential cannot be read: %v", "le référentiel est illisible : %v", err))
		}
		job = Job{Space: key.Space, Key: key.Raw, Principal: principal, ID: newJobID(), ETag: st.ETag, Version: job.Version + 1,
			Pos: rd.Position(), UpdatedAt: s.Now().UTC()}
		switch err := s.Store.SaveJob(ctx, job); {
		case errors.Is(err, ErrStale):
			return s.raced(ctx, key, principal)
		case err != nil:
			return err
		}
	} else if rd, err = customers.NewReader(format, st.Body, job.Pos); err != nil {
		return err
	}

	for {
		done, err := s.applyChunk(ctx, &job, rd, end)
		if err != nil {
			return err // retried: the rows since the last save are read again
		}
		job.Version++
		job.Pos = rd.Position()
		job.UpdatedAt = s.Now().UTC()
		if done {
			job.Done = job.UpdatedAt.Format(Timestamp)
		}
		switch err := s.Store.SaveJob(ctx, job); {
		case errors.Is(err, ErrStale):
			return nil // another delivery of this file got further; it carries on
		case err != nil:
			return err
		}
		if done {
			return s.finish(ctx, key, job)
		}
		if s.Queue != nil {
			s.Log.InfoContext(ctx, "referential chunk applied", "key", key.Raw, "line", job.Pos.Lines, "applied", job.Applied, "unchanged", job.Unchanged)
			return s.Queue.Requeue(ctx, key.Raw, principal, 0)
		}
		end = s.chunkEnd(ctx) // without a queue, all chunks run here
	}
}

// raced handles a lost race to start a job: either another delivery of this file started
// it and carries on, or another file of the space did and this one waits.
func (s *Service) raced(ctx context.Context, key documents.InboxKey, principal string) error {
	job, found, err := s.Store.Job(ctx, key.Space)
	if err != nil || !found || job.Key == key.Raw {
		return err
	}
	return s.wait(ctx, key, principal, job)
}

// wait puts a referential back until the one its space is applying is done, so files
// are applied in the order they were dropped (PRODUCT.md §10).
func (s *Service) wait(ctx context.Context, key documents.InboxKey, principal string, current Job) error {
	s.Log.InfoContext(ctx, "referential waits for the space's current one", "key", key.Raw, "current", current.Key)
	if s.Queue == nil {
		return fmt.Errorf("referential %s waits for %s", key.Raw, current.Key)
	}
	if s.Now().Sub(current.UpdatedAt) > StallAfter {
		s.Log.WarnContext(ctx, "referential job stalled; waking it", "key", current.Key, "updatedAt", current.UpdatedAt)
		if err := s.Queue.Requeue(ctx, current.Key, current.Principal, 0); err != nil {
			return err
		}
	}
	delay := s.WaitDelay
	if delay == 0 {
		delay = WaitDelay
	}
	return s.Queue.Requeue(ctx, key.Raw, principal, max(delay, 0))
}

// applyChunk applies rows in batches until the file ends (done) or end passes, or
// ChunkRows rows are read; what it read is then counted in job, up to rd.Position().
func (s *Service) applyChunk(ctx context.Context, job *Job, rd *customers.Reader, end time.Time) (done bool, err error) {
	batch := make([]customers.Customer, 0, RowBatch)
	numbers := make(map[string]bool, RowBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		applied, unchanged, err := s.applyRows(ctx, job.Space, job.ID, batch)
		job.Applied += applied
		job.Unchanged += unchanged
		batch = batch[:0]
		clear(numbers)
		return err
	}
	read := 0
	for {
		if time.Now().After(end) || (s.ChunkRows > 0 && read >= s.ChunkRows) {
			return rd.AtEnd(), flush()
		}
		row, errs, err := rd.Next()
		if err == io.EOF {
			return true, flush()
		}
		if err != nil {
			return false, fmt.Errorf("read %s: %w", job.Key, err)
		}
		read++
		job.Rows++
		for _, e := range errs {
			job.Rejected++
			if len(job.Errors) < MaxReportErrors {
				job.Errors = append(job.Errors, customers.RowError{Line: e.Line, Reason: truncate(e.Reason, maxReasonBytes)})
			}
		}
		if row.Line == 0 {
			continue
		}
		if numbers[row.Customer.Number] {
			// A customer twice in a file: its later row wins, and one batch reads a
			// key only once.
			if err := flush(); err != nil {
				return false, err
			}
		}
		row.Customer.Space = job.Space
		batch = append(batch, row.Customer)
		numbers[row.Customer.Number] = true
		if len(batch) == RowBatch {
			if err := flush(); err != nil {
				return false, err
			}
		}
	}
}

// applyRows writes the rows whose stored hash differs: new customers together, the
// others one by one. A row this job wrote before a crash counts as applied, not
// unchanged, so the report is the same either way.
func (s *Service) applyRows(ctx context.Context, space, jobID string, rows []customers.Customer) (applied, unchanged int, err error) {
	numbers := make([]string, len(rows))
	for i, c := range rows {
		numbers[i] = c.Number
	}
	marks, err := s.Store.RowMarks(ctx, space, numbers)
	if err != nil {
		return 0, 0, err
	}
	var created, changed []customers.Customer
	for _, c := range rows {
		m, exists := marks[c.Number]
		switch {
		case !exists:
			created = append(created, c)
			applied++
		case m.Hash != c.RowHash():
			changed = append(changed, c)
			applied++
		case m.Job == jobID:
			applied++
		default:
			unchanged++
		}
	}
	now := s.Now().UTC()
	if len(created) > 0 {
		if err := s.Store.CreateRows(ctx, created, jobID, now); err != nil {
			return 0, 0, err
		}
	}
	if len(changed) > 0 {
		err = s.Store.ApplyRows(ctx, changed, jobID, now)
	}
	return applied, unchanged, err
}

// finish writes the report, moves the file to processed/ and ends the job. Each step
// may run again after a crash: the report's name comes from the saved job, so there is
// only ever one.
func (s *Service) finish(ctx context.Context, key documents.InboxKey, job Job) error {
	at, _ := time.Parse(Timestamp, job.Done)
	rep := Report{Key: key.Raw, AppliedAt: at, Rows: job.Rows, Applied: job.Applied, Unchanged: job.Unchanged,
		Rejected: job.Rejected, Errors: job.Errors}
	if rep.Errors == nil {
		rep.Errors = []customers.RowError{}
	}
	body, _ := json.MarshalIndent(rep, "", "  ")
	if err := s.Objects.Put(ctx, key.ReportKey(job.Done), body, "application/json"); err != nil {
		return err
	}
	if err := s.Objects.Copy(ctx, key.Raw, key.ProcessedKey(job.Done)); err != nil && !errors.Is(err, ErrGone) {
		return err
	}
	if err := s.Objects.Delete(ctx, key.Raw); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "referential applied", "key", key.Raw, "rows", rep.Rows, "applied", rep.Applied,
		"unchanged", rep.Unchanged, "rejected", rep.Rejected)
	return s.Store.EndJob(ctx, key.Space, job.Version)
}

func newJobID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
