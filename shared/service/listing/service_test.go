package listing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// fakeStore keeps documents, links and audit entries in maps.
type fakeStore struct {
	docs       map[string]documents.Document // by company + "|" + sort key
	links      map[string]tokens.Record
	registered map[string]string // company → registered e-mail
	counts     map[string]int
	audit      []audit.Entry
	downloaded map[string]time.Time
}

func newFakeStore(docs ...documents.Document) *fakeStore {
	f := &fakeStore{docs: map[string]documents.Document{}, links: map[string]tokens.Record{}, registered: map[string]string{}, counts: map[string]int{}, downloaded: map[string]time.Time{}}
	for _, d := range docs {
		f.docs[documents.Company(d.Space, d.CustomerNumber)+"|"+d.SortKey()] = d
	}
	return f
}

func (f *fakeStore) ListDocuments(ctx context.Context, q Query) (Page, error) {
	return Page{}, errors.New("not used here")
}

func (f *fakeStore) LiveDocument(ctx context.Context, company, sk string, now time.Time) (documents.Document, error) {
	d, ok := f.docs[company+"|"+sk]
	if !ok || !d.ExpiresAt.After(now) {
		return documents.Document{}, fault.NotFound("document")
	}
	return d, nil
}

func (f *fakeStore) MarkDownloaded(ctx context.Context, company, sk string, at time.Time) error {
	if _, ok := f.downloaded[company+"|"+sk]; !ok {
		f.downloaded[company+"|"+sk] = at
	}
	return nil
}

func (f *fakeStore) PutAudit(ctx context.Context, e audit.Entry) error {
	f.audit = append(f.audit, e)
	return nil
}

func (f *fakeStore) LinkToken(ctx context.Context, hash string) (tokens.Record, error) {
	r, ok := f.links[hash]
	if !ok {
		return tokens.Record{}, fault.NotFound("link")
	}
	return r, nil
}

func (f *fakeStore) RegisteredEmail(ctx context.Context, space, customer string) (string, error) {
	return f.registered[documents.Company(space, customer)], nil
}

func (f *fakeStore) AddCount(ctx context.Context, key string, expires time.Time) (int, error) {
	f.counts[key]++
	return f.counts[key], nil
}

func (f *fakeStore) TakeCount(ctx context.Context, key string, max int, expires time.Time) (bool, error) {
	if f.counts[key] >= max {
		return false, nil
	}
	f.counts[key]++
	return true, nil
}

func (f *fakeStore) ReturnCount(ctx context.Context, key string) error {
	if f.counts[key] > 0 {
		f.counts[key]--
	}
	return nil
}

type fakeSpaces struct{ sp *spaces.Space }

func (f fakeSpaces) Space(ctx context.Context, id string) (spaces.Space, error) {
	if id != f.sp.ID {
		return spaces.Space{}, fault.NotFound("space")
	}
	return *f.sp, nil
}

type presignCall struct {
	key, filename string
	ttl           time.Duration
}

type fakePresigner struct{ calls []presignCall }

func (f *fakePresigner) Download(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	f.calls = append(f.calls, presignCall{key, filename, ttl})
	return "https://archive.example/" + key, nil
}

func doc(number, issue string, expires time.Time) documents.Document {
	return documents.Document{
		Space: "acme", CustomerNumber: "C001", Number: number, Type: documents.Invoice, IssueDate: issue,
		ArchiveKey: "documents/acme/C001/" + number + ".pdf", ExpiresAt: expires,
	}
}

func newService(t *testing.T, st *fakeStore, clock *time.Time) (*Service, *fakePresigner) {
	p := &fakePresigner{}
	nowFn := func() time.Time { return *clock }
	return &Service{
		Store: st, Audit: st, Spaces: fakeSpaces{testSpace(t)}, Presigner: p, Cursors: testSigner(t, 1),
		Limiter: ratelimit.Limiter{Counter: st, Now: nowFn}, LinkUses: ratelimit.Default().LinkUsesPerToken,
		Now: nowFn,
	}, p
}

func TestDownload(t *testing.T) {
	live := doc("F-1", "2026-11-20", now.Add(time.Hour))
	expired := doc("F-0", "2024-11-20", now)
	foreign := doc("F-9", "2026-11-21", now.Add(time.Hour))
	foreign.CustomerNumber = "C002"
	st := newFakeStore(live, expired, foreign)
	clock := now
	svc, p := newService(t, st, &clock)

	for name, id := range map[string]string{
		"malformed": "not-an-id", "unknown": documents.EncodeID("2026-11-20#F-2"),
		"expired": expired.ID(), "foreign": foreign.ID(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := svc.Download(context.Background(), caller, id); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("got %v, want fault.ErrNotFound", err)
			}
		})
	}
	if len(p.calls) != 0 || len(st.audit) != 0 || len(st.downloaded) != 0 {
		t.Fatalf("refused downloads presigned %d URLs, wrote %d audit entries, marked %d downloads, want none", len(p.calls), len(st.audit), len(st.downloaded))
	}
	url, err := svc.Download(context.Background(), caller, live.ID())
	if err != nil {
		t.Fatal(err)
	}
	if url != "https://archive.example/"+live.ArchiveKey {
		t.Errorf("got URL %q", url)
	}
	if want := (presignCall{live.ArchiveKey, "F-1.pdf", 60 * time.Second}); p.calls[0] != want {
		t.Errorf("got presign %+v, want %+v", p.calls[0], want)
	}
	if len(st.audit) != 1 {
		t.Fatalf("got %d audit entries, want 1", len(st.audit))
	}
	e := st.audit[0]
	if e.Company != "acme#C001" || !e.At.Equal(now) || e.Actor != "pierre" || e.Action != audit.ActionDownload ||
		e.Target != "F-1" || !e.ExpiresAt.Equal(time.Date(2028, 11, 26, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got audit %+v", e)
	}
	if got := st.downloaded["acme#C001|"+live.SortKey()]; !got.Equal(now) {
		t.Errorf("got downloadedAt %v, want %v", got, now)
	}
	clock = now.Add(time.Minute)
	if _, err := svc.Download(context.Background(), caller, live.ID()); err != nil {
		t.Fatal(err)
	}
	if got := st.downloaded["acme#C001|"+live.SortKey()]; !got.Equal(now) {
		t.Errorf("second download: got downloadedAt %v, want the first one's %v", got, now)
	}
	if len(st.audit) != 2 {
		t.Errorf("got %d audit entries after two downloads, want 2", len(st.audit))
	}
}

// TestDownloadAlreadyDownloaded: a document whose first download is recorded is handed
// out and audited again without another write of its downloadedAt.
func TestDownloadAlreadyDownloaded(t *testing.T) {
	first := now.Add(-24 * time.Hour)
	d := doc("F-1", "2026-11-20", now.Add(time.Hour))
	d.DownloadedAt = &first
	st := newFakeStore(d)
	clock := now
	svc, p := newService(t, st, &clock)
	if _, err := svc.Download(context.Background(), caller, d.ID()); err != nil {
		t.Fatal(err)
	}
	if len(p.calls) != 1 || len(st.audit) != 1 {
		t.Errorf("got %d presigns and %d audit entries, want 1 and 1", len(p.calls), len(st.audit))
	}
	if got, ok := st.downloaded["acme#C001|"+d.SortKey()]; ok {
		t.Errorf("got downloadedAt written again (%v), want no write", got)
	}
}

func TestFollowLink(t *testing.T) {
	live := doc("F-1", "2026-11-20", now.Add(48*time.Hour))
	gone := doc("F-0", "2024-11-20", now.Add(time.Minute))
	st := newFakeStore(live, gone)
	link := func(email string, d documents.Document, expires time.Time, kind string) string {
		token, hash := tokens.New()
		st.links[hash] = tokens.Record{Hash: hash, Kind: kind, Space: "acme", Email: email, Identifier: "pierre",
			CustomerNumber: "C001", DocumentSK: d.SortKey(), ExpiresAt: expires}
		return token
	}
	st.registered["acme#C001"] = "Pierre@Example.fr"
	valid := link("pierre@example.fr", live, now.Add(14*24*time.Hour), tokens.KindLink)
	expiredLink := link("pierre@example.fr", live, now, tokens.KindLink)
	activation := link("pierre@example.fr", live, now.Add(time.Hour), tokens.KindActivation)
	movedAway := link("ancien@example.fr", live, now.Add(time.Hour), tokens.KindLink)
	docExpires := link("pierre@example.fr", gone, now.Add(time.Hour), tokens.KindLink)
	unknown, _ := tokens.New()

	clock := now
	svc, p := newService(t, st, &clock)
	svc.LinkUses = ratelimit.Limit{Max: 3, Window: time.Hour}
	ctx := context.Background()

	cases := []struct {
		name, token string
		at          time.Time
		want        error
	}{
		{"malformed", "short", now, fault.ErrGone},
		{"unknown", unknown, now, fault.ErrGone},
		{"expired", expiredLink, now, fault.ErrGone},
		{"not a link", activation, now, fault.ErrGone},
		{"registered e-mail moved away from the link's address", movedAway, now, fault.ErrGone},
		{"document expired since", docExpires, now.Add(2 * time.Minute), fault.ErrGone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock = c.at
			if _, err := svc.FollowLink(ctx, c.token); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if len(p.calls) != 0 || len(st.audit) != 0 {
		t.Fatalf("refused links presigned %d URLs and wrote %d audit entries, want none", len(p.calls), len(st.audit))
	}

	clock = now
	for i := 1; i <= 3; i++ {
		if _, err := svc.FollowLink(ctx, valid); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	if _, err := svc.FollowLink(ctx, valid); !errors.Is(err, fault.ErrTooMany) {
		t.Errorf("fourth use in the hour: got %v, want fault.ErrTooMany", err)
	}
	clock = now.Add(time.Hour)
	if _, err := svc.FollowLink(ctx, valid); err != nil {
		t.Errorf("first use of the next hour: got %v, want success", err)
	}
	if got := len(st.audit); got != 4 {
		t.Fatalf("got %d audit entries, want 4", got)
	}
	if e := st.audit[0]; e.Action != audit.ActionLinkUse || e.Actor != "" || e.Detail != "pierre" || e.Target != "F-1" || e.Company != "acme#C001" {
		t.Errorf("got audit %+v", e)
	}
	if len(st.downloaded) != 0 {
		t.Errorf("link uses marked %d portal downloads, want none (the new badge is about the portal)", len(st.downloaded))
	}
	if c := p.calls[0]; c.ttl != 60*time.Second || c.filename != "F-1.pdf" {
		t.Errorf("got presign %+v", c)
	}
}
