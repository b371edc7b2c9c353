package httpapi

import (
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
)

// userJSON is PRODUCT.md §7's user.
type userJSON struct {
	Identifier      string     `json:"identifier"`
	FirstName       string     `json:"firstName"`
	LastName        string     `json:"lastName"`
	Email           string     `json:"email"`
	Phone           string     `json:"phone"`
	Mobile          string     `json:"mobile"`
	Active          bool       `json:"active"`
	Admin           bool       `json:"admin"`
	RegisteredAdmin bool       `json:"registeredAdmin"`
	Profile         string     `json:"profile"`
	CustomerNumber  string     `json:"customerNumber"`
	LastLoginAt     *time.Time `json:"lastLoginAt"`
	CreatedAt       time.Time  `json:"createdAt"`
}

func userView(a accounts.Account) userJSON {
	return userJSON{
		Identifier: a.Identifier, FirstName: a.FirstName, LastName: a.LastName, Email: a.Email,
		Phone: a.Phone, Mobile: a.Mobile, Active: a.Active, Admin: a.Admin, RegisteredAdmin: a.RegisteredAdmin,
		Profile: a.Profile, CustomerNumber: a.CustomerNumber, LastLoginAt: utc(a.LastLoginAt), CreatedAt: a.CreatedAt.UTC(),
	}
}

// meJSON is PRODUCT.md §7's me: the user plus what the portal's header and profile show.
type meJSON struct {
	userJSON
	PreviousLoginAt *time.Time `json:"previousLoginAt"`
	Company         struct {
		CustomerNumber string `json:"customerNumber"`
		Name           string `json:"name"`
		// Only for admins, and only while notification mail to the registered e-mail is
		// held (PRODUCT.md §5).
		MailStatus   string     `json:"mailStatus,omitempty"`
		MailStatusAt *time.Time `json:"mailStatusAt,omitempty"`
	} `json:"company"`
	Space struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"space"`
	Preferences struct {
		HistoryMonths int    `json:"historyMonths"`
		Language      string `json:"language"`
	} `json:"preferences"`
}

func meView(p accounts.Profile) meJSON {
	a := p.Account
	m := meJSON{userJSON: userView(a), PreviousLoginAt: utc(a.PreviousLoginAt)}
	m.Company.CustomerNumber, m.Company.Name = a.CustomerNumber, p.CompanyName
	if p.MailStatus != "" {
		at := p.MailStatusAt
		m.Company.MailStatus, m.Company.MailStatusAt = p.MailStatus, &at
	}
	m.Space.ID, m.Space.Name = a.Space, p.SpaceName
	m.Preferences.HistoryMonths, m.Preferences.Language = a.HistoryMonths, a.Lang()
	if m.Preferences.HistoryMonths == 0 {
		m.Preferences.HistoryMonths = accounts.DefaultHistoryMonths
	}
	return m
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// me answers the caller's account.
func me(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, _ := CallerFrom(r.Context())
		p, err := d.Accounts.Describe(r.Context(), c.Account)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, meView(p))
		return nil
	})
}

// preferences changes the display history and language; a field left out stays.
func preferences(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			HistoryMonths *int    `json:"historyMonths"`
			Language      *string `json:"language"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, _ := CallerFrom(r.Context())
		a, err := d.Accounts.SetPreferences(r.Context(), c.Account, in.HistoryMonths, in.Language)
		if err != nil {
			return err
		}
		p, err := d.Accounts.Describe(r.Context(), a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, meView(p))
		return nil
	})
}

// changePassword changes the caller's own password; the caller stays signed in under a
// new session id, every other session of the account ends.
func changePassword(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			CurrentPassword string `json:"currentPassword"`
			NewPassword     string `json:"newPassword"`
			Confirmation    string `json:"confirmation"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, _ := CallerFrom(r.Context())
		id, _, err := d.Accounts.ChangePassword(r.Context(), clientIP(r), c.Account, c.Session, in.CurrentPassword, in.NewPassword, in.Confirmation)
		if err != nil {
			return err
		}
		setSessionCookie(w, id)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
