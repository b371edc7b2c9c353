package httpapi

import (
	"context"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/service/console"
	"github.com/efacture/efacture/shared/service/listing"
)

// fakeStaffAuth lets one staff session id in as m.
type fakeStaffAuth struct {
	id string
	m  staff.Member
}

func (f fakeStaffAuth) Authenticate(_ context.Context, id string) (staff.Member, sessions.Session, error) {
	if id != f.id {
		return staff.Member{}, sessions.Session{}, fault.ErrUnauthenticated
	}
	return f.m, sessions.Session{Identifier: f.m.Identifier, Space: f.m.Space}, nil
}

// failingStaffStore fails every call with err.
type failingStaffStore struct{ err error }

func (f failingStaffStore) PutAudit(context.Context, audit.Entry) error { return f.err }
func (f failingStaffStore) AuditPage(context.Context, string, string, int) ([]audit.Entry, string, error) {
	return nil, "", f.err
}
func (f failingStaffStore) Space(context.Context, string) (spaces.Space, error) {
	return spaces.Space{}, f.err
}
func (f failingStaffStore) Member(context.Context, string, string) (staff.Member, error) {
	return staff.Member{}, f.err
}
func (f failingStaffStore) CreateMember(context.Context, staff.Member, staff.PasswordToken, audit.Entry) error {
	return f.err
}
func (f failingStaffStore) AddMemberFailure(context.Context, string, string) (int, error) {
	return 0, f.err
}
func (f failingStaffStore) LockMember(context.Context, string, string, time.Time) error { return f.err }
func (f failingStaffStore) SignIn(context.Context, staff.SignIn) error                  { return f.err }
func (f failingStaffStore) StaffPasswordToken(context.Context, string) (staff.PasswordToken, error) {
	return staff.PasswordToken{}, f.err
}
func (f failingStaffStore) SetMemberPassword(context.Context, staff.PasswordToken, string, audit.Entry) error {
	return f.err
}
func (f failingStaffStore) StaffSession(context.Context, string) (sessions.Session, error) {
	return sessions.Session{}, f.err
}
func (f failingStaffStore) TouchStaffSession(context.Context, string, time.Time) error { return f.err }
func (f failingStaffStore) DeleteStaffSession(context.Context, string) error           { return f.err }

// failingConsole fails every call with err.
type failingConsole struct{ err error }

func (f failingConsole) Search(context.Context, staff.Member, string, string, int) (console.Page, error) {
	return console.Page{}, f.err
}
func (f failingConsole) View(context.Context, staff.Member, string) (console.View, error) {
	return console.View{}, f.err
}
func (f failingConsole) Documents(context.Context, staff.Member, string, listing.Params) (listing.Result, error) {
	return listing.Result{}, f.err
}
func (f failingConsole) ResendActivation(context.Context, staff.Member, string) error { return f.err }
func (f failingConsole) ClearMailStatus(context.Context, staff.Member, string, string) error {
	return f.err
}
func (f failingConsole) RejectionsPage(context.Context, staff.Member, string, int) ([]console.Rejection, string, error) {
	return nil, "", f.err
}
func (f failingConsole) AuditPage(context.Context, staff.Member, string, int) ([]audit.Entry, string, error) {
	return nil, "", f.err
}

// staffHandler is the staff function with every dependency failing with err, behind
// sessions that let the test's supervisor in.
func staffHandler(err error) StaffDeps {
	sup := staff.Member{Space: "acme", Identifier: "marie", Role: staff.RoleSupervisor, Active: true}
	svc := &staff.Service{
		Store: failingStaffStore{err}, Limiter: ratelimit.Limiter{Counter: failingCounter{err}, Now: time.Now},
		Limits: ratelimit.Default(), Hasher: password.Hasher{}, Sessions: staff.Policy, Now: time.Now, Log: discard,
	}
	return StaffDeps{
		Staff: svc, Sessions: NewStaffSessions(fakeStaffAuth{id: faultSession, m: sup}, fakeSpaces{"acme": {ID: "acme"}}, discard),
		Console: failingConsole{err}, PortalBaseURL: docsPortal, Log: discard, Now: time.Now,
	}
}
