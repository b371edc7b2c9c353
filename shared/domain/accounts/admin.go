package accounts

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/password"
)

// Users returns the accounts of the admin's company (PRODUCT.md §6.6). Every admin method
// returns a forbidden fault when admin is not an admin.
func (s *Service) Users(ctx context.Context, admin Account) ([]Account, error) {
	if !admin.Admin {
		return nil, forbidden()
	}
	accts, err := s.Store.AccountsOfCompany(ctx, admin.Space, admin.CustomerNumber)
	if err != nil {
		return nil, wrap("list users", err)
	}
	return accts, nil
}

// NewUser is an account an admin creates.
type NewUser struct {
	Identifier, Password, Confirmation                 string
	FirstName, LastName, Email, Phone, Mobile, Profile string
	Active, Admin                                      bool
}

// CreateUser creates an account in the admin's company with the password the admin
// chose; no mail goes out (FAQ §13). It returns an invalid fault naming a bad field (an
// identifier with "@" among them, PRODUCT.md §4),
// password.ErrMismatch, a *password.PolicyError or ErrIdentifierTaken (a conflict).
func (s *Service) CreateUser(ctx context.Context, admin Account, in NewUser) (Account, error) {
	if !admin.Admin {
		return Account{}, forbidden()
	}
	sp, err := s.Store.Space(ctx, admin.Space)
	if err != nil {
		return Account{}, wrap("create user", err)
	}
	f, err := s.checkFields(sp.Profiles, Fields{
		FirstName: &in.FirstName, LastName: &in.LastName, Email: &in.Email, Phone: &in.Phone,
		Mobile: &in.Mobile, Profile: &in.Profile,
	})
	if err != nil {
		return Account{}, err
	}
	identifier := strings.ToLower(strings.TrimSpace(in.Identifier))
	if strings.Contains(identifier, "@") {
		return Account{}, &fault.Error{Code: fault.CodeInvalid, Field: "identifier", Message: "identifier_at_reserved",
			Detail: "identifiers with @ are reserved to accounts of a registered e-mail"}
	}
	if !ValidChosenIdentifier(identifier) {
		return Account{}, invalid("identifier")
	}
	if err := password.Check(in.Password, in.Confirmation, identifier); err != nil {
		return Account{}, err
	}
	hash, err := s.Hasher.Hash(in.Password)
	if err != nil {
		return Account{}, wrap("create user", err)
	}
	lang := LangFrench
	c, err := s.Store.Customer(ctx, admin.Space, admin.CustomerNumber)
	switch {
	case err == nil:
		lang = Account{Language: c.Language}.Lang()
	case !errors.Is(err, fault.ErrNotFound):
		return Account{}, wrap("create user", err)
	}
	now := s.Now().UTC()
	a := Account{
		Identifier: identifier, Space: admin.Space, CustomerNumber: admin.CustomerNumber,
		Email: *f.Email, FirstName: *f.FirstName, LastName: *f.LastName, Phone: *f.Phone, Mobile: *f.Mobile,
		Active: in.Active, Admin: in.Admin, Profile: *f.Profile, PasswordHash: hash,
		HistoryMonths: DefaultHistoryMonths, Language: lang, CreatedAt: now,
	}
	e, err := s.entry(ctx, admin, admin.Identifier, audit.ActionUserCreated, identifier, "")
	if err != nil {
		return Account{}, wrap("create user", err)
	}
	if err := s.Store.CreateAccount(ctx, a, e); err != nil {
		if errors.Is(err, ErrIdentifierTaken) {
			return Account{}, err
		}
		return Account{}, wrap("create user", err)
	}
	return a, nil
}

// UserChange is what an admin changes of an account; nil leaves a field alone. A new
// password comes with its confirmation and the admin's own current password.
type UserChange struct {
	Fields
	Password, Confirmation *string
	AdminPassword          *string
}

// UpdateUser changes an account of the admin's company (PRODUCT.md §6.6). A new password or a
// deactivation ends every session of the account; a new password also mails the
// account's own address. The registered admin cannot be deactivated or demoted, nor its
// registered e-mail or password changed, by another admin, and no admin deactivates or
// demotes itself or sets its own password here (that is ChangePassword). Setting
// another user's password takes the admin's own current password, checked as a login
// checks one from client. It returns a not_found fault for an account of another
// company as for an unknown one, a forbidden fault, an invalid fault naming a bad
// field, ErrWrongPassword, a too_many fault, password.ErrMismatch or a
// *password.PolicyError.
func (s *Service) UpdateUser(ctx context.Context, client string, admin Account, identifier string, ch UserChange) (Account, error) {
	if !admin.Admin {
		return Account{}, forbidden()
	}
	if len(identifier) > maxIdentifierLen {
		return Account{}, notFound()
	}
	t, err := s.Store.Account(ctx, identifier)
	if errors.Is(err, fault.ErrNotFound) {
		return Account{}, notFound()
	}
	if err != nil {
		return Account{}, wrap("update user", err)
	}
	if t.Space != admin.Space || t.CustomerNumber != admin.CustomerNumber {
		return Account{}, notFound()
	}
	self := Key(t.Identifier) == Key(admin.Identifier)
	removesRights := (ch.Active != nil && !*ch.Active) || (ch.Admin != nil && !*ch.Admin)
	if removesRights && (self || t.RegisteredAdmin) {
		return Account{}, forbidden()
	}
	if ch.Email != nil && t.RegisteredAdmin && !strings.EqualFold(strings.TrimSpace(*ch.Email), t.Email) {
		// The registered e-mail is the supplier's referential's (FAQ §15).
		return Account{}, forbidden()
	}
	setsPassword := ch.Password != nil || ch.Confirmation != nil
	if setsPassword && (self || t.RegisteredAdmin) {
		// One's own password changes with the current one (ChangePassword), and the
		// registered admin's only so: another admin taking it over would hold the
		// company's referential account.
		return Account{}, forbidden()
	}
	if setsPassword && deref(ch.AdminPassword) == "" {
		return Account{}, &fault.Error{Code: fault.CodeInvalid, Field: "adminPassword", Message: "admin_password_required",
			Detail: "the admin's own password is required to set another user's"}
	}
	sp, err := s.Store.Space(ctx, admin.Space)
	if err != nil {
		return Account{}, wrap("update user", err)
	}
	f, err := s.checkFields(sp.Profiles, ch.Fields)
	if err != nil {
		return Account{}, err
	}
	f.HistoryMonths, f.Language = nil, nil // the user's own preferences
	u := Update{Identifier: t.Identifier, Space: admin.Space, CustomerNumber: admin.CustomerNumber, Set: f}
	var changed []string
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"firstName", f.FirstName != nil}, {"lastName", f.LastName != nil}, {"email", f.Email != nil},
		{"phone", f.Phone != nil}, {"mobile", f.Mobile != nil}, {"profile", f.Profile != nil},
		{"active", f.Active != nil}, {"admin", f.Admin != nil},
	} {
		if c.set {
			changed = append(changed, c.name)
		}
	}
	if f.Active != nil && !*f.Active && t.Active {
		u.EndSessions = true
	}
	if ch.Password != nil || ch.Confirmation != nil {
		pw, conf := deref(ch.Password), deref(ch.Confirmation)
		if err := password.Check(pw, conf, t.Identifier); err != nil {
			return Account{}, err
		}
		if err := s.checkOwnPassword(ctx, client, admin, *ch.AdminPassword); err != nil {
			return Account{}, wrap("update user", err)
		}
		if u.PasswordHash, err = s.Hasher.Hash(pw); err != nil {
			return Account{}, wrap("update user", err)
		}
		u.EndSessions, u.ResetFailures = true, true
		u.Mails = passwordChangedMail(t.With(u), s.Now())
		e, err := s.entry(ctx, admin, admin.Identifier, audit.ActionPasswordReset, t.Identifier, "")
		if err != nil {
			return Account{}, wrap("update user", err)
		}
		u.Audit = append(u.Audit, e)
	}
	if len(changed) > 0 {
		sort.Strings(changed)
		e, err := s.entry(ctx, admin, admin.Identifier, audit.ActionUserUpdated, t.Identifier, strings.Join(changed, ","))
		if err != nil {
			return Account{}, wrap("update user", err)
		}
		u.Audit = append(u.Audit, e)
	}
	if len(u.Audit) == 0 {
		return t, nil
	}
	switch err := s.Store.Apply(ctx, u); {
	case errors.Is(err, ErrConflict):
		return Account{}, notFound()
	case err != nil:
		return Account{}, wrap("update user", err)
	}
	return t.With(u), nil
}

// Audit returns a page of the admin's company's audit log, newest first, after the sort
// key after, and the sort key to continue from ("" on the last page).
func (s *Service) Audit(ctx context.Context, admin Account, after string, limit int) ([]audit.Entry, string, error) {
	if !admin.Admin {
		return nil, "", forbidden()
	}
	entries, next, err := s.Store.AuditPage(ctx, admin.Company(), after, limit)
	if err != nil {
		return nil, "", wrap("audit", err)
	}
	return entries, next, nil
}

// checkFields cleans the user fields an admin typed.
func (s *Service) checkFields(profiles []string, in Fields) (Fields, error) {
	out := in
	var err error
	for _, f := range []struct {
		name string
		v    **string
	}{
		{"firstName", &out.FirstName}, {"lastName", &out.LastName}, {"phone", &out.Phone}, {"mobile", &out.Mobile},
	} {
		if *f.v, err = cleanText(f.name, *f.v); err != nil {
			return Fields{}, err
		}
	}
	if out.Email != nil {
		e := strings.TrimSpace(*out.Email)
		if e != "" && !ValidEmail(e) {
			return Fields{}, invalid("email")
		}
		out.Email = &e
	}
	if out.Profile != nil {
		v := strings.TrimSpace(*out.Profile)
		if v == "" {
			v = profiles[0]
		}
		found := false
		for _, p := range profiles {
			found = found || p == v
		}
		if !found {
			return Fields{}, invalid("profile")
		}
		out.Profile = &v
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
