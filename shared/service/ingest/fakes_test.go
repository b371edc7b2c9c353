package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/ingest"
)

// fakeObjects is the two buckets in memory. Every write is logged, so a test can tell an
// ignored key from a handled one.
type fakeObjects struct {
	mu           sync.Mutex
	inbox        map[string]ingest.Object
	contentTypes map[string]string
	archive      map[string][]byte
	writes       []string // "op key", in order
	failDelete   int      // the next failDelete inbox deletes fail
	failGet      int      // the next failGet reads fail
}

var _ ingest.Objects = (*fakeObjects)(nil)

func newFakeObjects() *fakeObjects {
	return &fakeObjects{inbox: map[string]ingest.Object{}, contentTypes: map[string]string{}, archive: map[string][]byte{}}
}

// drop is billing writing an inbox object.
func (o *fakeObjects) drop(key string, body []byte, meta map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inbox[key] = ingest.Object{Body: slices.Clone(body), Metadata: maps.Clone(meta)}
}

func (o *fakeObjects) Get(_ context.Context, key string) (ingest.Object, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failGet > 0 {
		o.failGet--
		return ingest.Object{}, errors.New("get: slow down")
	}
	obj, ok := o.inbox[key]
	if !ok {
		return ingest.Object{}, ingest.ErrGone
	}
	return ingest.Object{Body: slices.Clone(obj.Body), Metadata: maps.Clone(obj.Metadata)}, nil
}

func (o *fakeObjects) Archive(_ context.Context, inboxKey, archiveKey string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.inbox[inboxKey]
	if !ok {
		return ingest.ErrGone
	}
	o.archive[archiveKey] = slices.Clone(obj.Body)
	o.writes = append(o.writes, "archive "+archiveKey)
	return nil
}

func (o *fakeObjects) DeleteArchived(_ context.Context, archiveKey string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.archive, archiveKey)
	o.writes = append(o.writes, "delete-archived "+archiveKey)
	return nil
}

func (o *fakeObjects) Copy(_ context.Context, src, dst string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.inbox[src]
	if !ok {
		return ingest.ErrGone
	}
	o.inbox[dst] = ingest.Object{Body: slices.Clone(obj.Body), Metadata: maps.Clone(obj.Metadata)}
	o.writes = append(o.writes, "copy "+dst)
	return nil
}

func (o *fakeObjects) Put(_ context.Context, key string, body []byte, contentType string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inbox[key] = ingest.Object{Body: slices.Clone(body)}
	o.contentTypes[key] = contentType
	o.writes = append(o.writes, "put "+key)
	return nil
}

func (o *fakeObjects) Delete(_ context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failDelete > 0 {
		o.failDelete--
		return errors.New("delete: connection reset")
	}
	delete(o.inbox, key)
	o.writes = append(o.writes, "delete "+key)
	return nil
}

// keys lists the inbox bucket's keys under prefix, sorted.
func (o *fakeObjects) keys(prefix string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for k := range o.inbox {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (o *fakeObjects) object(key string) (ingest.Object, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.inbox[key]
	return obj, ok
}

// fakeStore is the DynamoDB side in memory. File follows the real store's transaction
// (shared/dynamo/ingest.go): all of it or nothing.
type fakeStore struct {
	mu        sync.Mutex
	spaces    map[string]spaces.Space
	customers map[string]customers.Customer // by documents.Company
	claims    map[string]string             // company#number → SHA-256
	docs      map[string]documents.Document // company#sort key
	accounts  map[string]accounts.Account   // by accounts.Key
	tokens    map[string]tokens.Record      // by hash
	outbox    map[string]outbox.Record      // by key
	digests   []string                      // documents queued for a digest, company#sort key
	fileCalls int
	// beforeFile runs at the start of File, before its lock: a concurrent delivery's write.
	beforeFile func()
	// jobs and marks are the referential jobs by space and the row marks by company
	// (fakes_referential_test.go).
	jobs  map[string]ingest.Job
	marks map[string]ingest.RowMark
}

var _ ingest.Store = (*fakeStore)(nil)

func newFakeStore(ss ...spaces.Space) *fakeStore {
	s := &fakeStore{
		spaces: map[string]spaces.Space{}, customers: map[string]customers.Customer{}, claims: map[string]string{},
		docs: map[string]documents.Document{}, accounts: map[string]accounts.Account{},
		tokens: map[string]tokens.Record{}, outbox: map[string]outbox.Record{},
	}
	for _, sp := range ss {
		s.spaces[sp.ID] = sp
	}
	return s
}

func (s *fakeStore) addCustomer(c customers.Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[documents.Company(c.Space, c.Number)] = c
}

func (s *fakeStore) Space(_ context.Context, id string) (spaces.Space, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spaces[id]
	if !ok {
		return spaces.Space{}, fault.NotFound("space")
	}
	return sp, nil
}

func (s *fakeStore) Customer(_ context.Context, space, number string) (customers.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[documents.Company(space, number)]
	if !ok {
		return customers.Customer{}, fault.NotFound("customer")
	}
	return c, nil
}

// ApplyCustomer keeps the ingestion-owned fields, as the real upsert does.
func (s *fakeStore) ApplyCustomer(_ context.Context, c customers.Customer, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := documents.Company(c.Space, c.Number)
	old := s.customers[k]
	c.AdminEmail, c.AdminID, c.MailStatus = old.AdminEmail, old.AdminID, old.MailStatus
	c.UpdatedAt = now.UTC()
	s.customers[k] = c
	return nil
}

func (s *fakeStore) ClaimOf(_ context.Context, company, number string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims[company+"#"+number], nil
}

func (s *fakeStore) File(_ context.Context, req ingest.FileRequest) (bool, error) {
	if s.beforeFile != nil {
		s.beforeFile()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fileCalls++
	d := req.Document
	company := documents.Company(d.Space, d.CustomerNumber)
	claimKey := company + "#" + d.Number
	if sum, ok := s.claims[claimKey]; ok {
		if sum == d.SHA256 {
			return false, nil
		}
		return false, ingest.ErrConflict
	}
	docKey := company + "#" + d.SortKey()
	if _, ok := s.docs[docKey]; ok {
		return false, fmt.Errorf("file: document %s exists without its claim", docKey)
	}
	// Everything is staged first and committed only when every condition holds.
	var (
		acct     *accounts.Account
		tok      *tokens.Record
		mails    []outbox.Record
		customer customers.Customer
		previous *accounts.Account
	)
	if a := req.Activation; a != nil {
		c, ok := s.customers[company]
		if !ok {
			return false, fmt.Errorf("file: activation for unknown customer %s", company)
		}
		if !strings.EqualFold(c.AdminEmail, a.Email) {
			var identifier string
			for n := 0; ; n++ {
				if n == 50 {
					return false, errors.New("file: no free identifier")
				}
				identifier = accounts.CandidateIdentifier(a.Email, n)
				if _, taken := s.accounts[accounts.Key(identifier)]; !taken {
					break
				}
			}
			ac, tk, m := a.Make(identifier)
			if accounts.Key(ac.Identifier) != accounts.Key(identifier) {
				return false, fmt.Errorf("file: Make(%q) built account %q", identifier, ac.Identifier)
			}
			if _, ok := s.tokens[tk.Hash]; ok || tk.Hash == "" {
				return false, fmt.Errorf("file: token hash %q not unique", tk.Hash)
			}
			acct, tok = &ac, &tk
			mails = append(mails, m)
			c.AdminEmail, c.AdminID = accounts.Key(a.Email), identifier
			customer = c
			if a.PreviousAdmin != "" && accounts.Key(a.PreviousAdmin) != accounts.Key(identifier) {
				p, ok := s.accounts[accounts.Key(a.PreviousAdmin)]
				if !ok {
					return false, fmt.Errorf("file: previous admin %q does not exist", a.PreviousAdmin)
				}
				p.Active, p.RegisteredAdmin = false, false
				p.SessionEpoch++
				previous = &p
			}
		}
	}
	mails = append(mails, req.Mails...)
	seen := map[string]bool{}
	for _, m := range mails {
		if _, ok := s.outbox[m.Key]; ok || seen[m.Key] || m.Key == "" {
			return false, fmt.Errorf("file: outbox key %q not unique", m.Key)
		}
		seen[m.Key] = true
	}

	s.claims[claimKey] = d.SHA256
	s.docs[docKey] = d
	if req.Digest {
		s.digests = append(s.digests, docKey)
	}
	if acct != nil {
		s.accounts[accounts.Key(acct.Identifier)] = *acct
		s.tokens[tok.Hash] = *tok
		s.customers[company] = customer
	}
	if previous != nil {
		s.accounts[accounts.Key(previous.Identifier)] = *previous
	}
	for _, m := range mails {
		s.outbox[m.Key] = m
	}
	return true, nil
}

func (s *fakeStore) documents() []documents.Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.docs))
}

// outboxOf lists the records of one kind, sorted by key.
func (s *fakeStore) outboxOf(kind string) []outbox.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []outbox.Record
	for _, r := range s.outbox {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b outbox.Record) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (s *fakeStore) account(identifier string) (accounts.Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accounts.Key(identifier)]
	return a, ok
}

func (s *fakeStore) customer(space, number string) customers.Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customers[documents.Company(space, number)]
}
