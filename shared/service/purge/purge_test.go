package purge

import (
	"context"
	"errors"
	"log/slog"
	"testing"
)

// fakeArchive deletes from a set of keys; deleting a missing key succeeds, as on S3.
type fakeArchive struct {
	keys    map[string]bool
	deletes []string
	fail    error
}

func (a *fakeArchive) DeleteArchived(ctx context.Context, key string) error {
	if a.fail != nil {
		return a.fail
	}
	a.deletes = append(a.deletes, key)
	delete(a.keys, key)
	return nil
}

const pdf = "documents/acme/C001/MjAyNi0xMS0yMCNGLTE-abc.pdf"

func ttl(key string) Record {
	return Record{EventName: "REMOVE", IdentityType: "Service", PrincipalID: "dynamodb.amazonaws.com",
		Company: "acme#C001", SortKey: "2026-11-20#F-1", ArchiveKey: key}
}

func TestPurge(t *testing.T) {
	cases := []struct {
		name    string
		rec     Record
		deletes []string
	}{
		{"TTL deletion", ttl(pdf), []string{pdf}},
		{"deleted by a person", Record{EventName: "REMOVE", Company: "acme#C001", ArchiveKey: pdf}, nil},
		{"other service", func() Record { r := ttl(pdf); r.PrincipalID = "lambda.amazonaws.com"; return r }(), nil},
		{"user identity", func() Record { r := ttl(pdf); r.IdentityType = "User"; return r }(), nil},
		{"insert", func() Record { r := ttl(pdf); r.EventName = "INSERT"; return r }(), nil},
		{"modify", func() Record { r := ttl(pdf); r.EventName = "MODIFY"; return r }(), nil},
		{"no archive key", ttl(""), nil},
		{"outside documents", ttl("exports/acme/C001/x.zip"), nil},
		{"climbing out", ttl("documents/../exports/x.zip"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &fakeArchive{keys: map[string]bool{pdf: true}}
			s := &Service{Archive: a, Log: slog.New(slog.DiscardHandler)}
			if err := s.Purge(context.Background(), c.rec); err != nil {
				t.Fatal(err)
			}
			if len(a.deletes) != len(c.deletes) || (len(c.deletes) > 0 && a.deletes[0] != c.deletes[0]) {
				t.Errorf("got deletes %v, want %v", a.deletes, c.deletes)
			}
		})
	}
}

func TestPurgeIdempotent(t *testing.T) {
	a := &fakeArchive{keys: map[string]bool{pdf: true}}
	s := &Service{Archive: a, Log: slog.New(slog.DiscardHandler)}
	for i := 0; i < 2; i++ {
		if err := s.Purge(context.Background(), ttl(pdf)); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if a.keys[pdf] {
		t.Error("the PDF is still there")
	}
	a.fail = errors.New("S3 unavailable")
	if err := s.Purge(context.Background(), ttl(pdf)); !errors.Is(err, a.fail) {
		t.Errorf("got %v, want the archive's error so the stream retries", err)
	}
}
