package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/ingest"
)

func (o *fakeObjects) Open(_ context.Context, key string, offset int64) (ingest.Stream, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failGet > 0 {
		o.failGet--
		return ingest.Stream{}, fmt.Errorf("get: slow down")
	}
	obj, ok := o.inbox[key]
	if !ok {
		return ingest.Stream{}, ingest.ErrGone
	}
	body := bytes.Clone(obj.Body[min(offset, int64(len(obj.Body))):])
	return ingest.Stream{Body: io.NopCloser(bytes.NewReader(body)), ETag: fmt.Sprintf("%x", sha256.Sum256(obj.Body)), Size: int64(len(obj.Body))}, nil
}

func (s *fakeStore) Job(_ context.Context, space string) (ingest.Job, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[space]
	return j, ok, nil
}

func (s *fakeStore) SaveJob(_ context.Context, job ingest.Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs == nil {
		s.jobs = map[string]ingest.Job{}
	}
	if old, ok := s.jobs[job.Space]; ok && old.Version != job.Version-1 || !ok && job.Version != 1 {
		return ingest.ErrStale
	}
	s.jobs[job.Space] = job
	return nil
}

func (s *fakeStore) EndJob(_ context.Context, space string, version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, ok := s.jobs[space]; ok && j.Version == version {
		delete(s.jobs, space)
	}
	return nil
}

func (s *fakeStore) RowMarks(_ context.Context, space string, numbers []string) (map[string]ingest.RowMark, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]ingest.RowMark{}
	for _, n := range numbers {
		if _, ok := s.customers[documents.Company(space, n)]; ok {
			out[n] = s.marks[documents.Company(space, n)]
		}
	}
	return out, nil
}

func (s *fakeStore) ApplyRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	for _, c := range cs {
		if err := s.ApplyCustomer(ctx, c, now); err != nil {
			return err
		}
		s.mu.Lock()
		if s.marks == nil {
			s.marks = map[string]ingest.RowMark{}
		}
		s.marks[documents.Company(c.Space, c.Number)] = ingest.RowMark{Hash: c.RowHash(), Job: jobID}
		s.mu.Unlock()
	}
	return nil
}

func (s *fakeStore) CreateRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	return s.ApplyRows(ctx, cs, jobID, now)
}
