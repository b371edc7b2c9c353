package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/fault"
)

// AuditPageSize is the audit log's page size when the request sets no limit.
const AuditPageSize = 50

// users lists the accounts of the caller's company.
func users(d AdminDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, _ := CallerFrom(r.Context())
		accts, err := d.Accounts.Users(r.Context(), c.Account)
		if err != nil {
			return err
		}
		items := make([]userJSON, 0, len(accts))
		for _, a := range accts {
			items = append(items, userView(a))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
		return nil
	})
}

// createUser adds an account to the caller's company: 201 with the user.
func createUser(d AdminDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Identifier   string `json:"identifier"`
			Password     string `json:"password"`
			Confirmation string `json:"confirmation"`
			FirstName    string `json:"firstName"`
			LastName     string `json:"lastName"`
			Email        string `json:"email"`
			Phone        string `json:"phone"`
			Mobile       string `json:"mobile"`
			Active       *bool  `json:"active"`
			Admin        bool   `json:"admin"`
			Profile      string `json:"profile"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, _ := CallerFrom(r.Context())
		a, err := d.Accounts.CreateUser(r.Context(), c.Account, accounts.NewUser{
			Identifier: in.Identifier, Password: in.Password, Confirmation: in.Confirmation,
			FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Phone: in.Phone, Mobile: in.Mobile,
			Profile: in.Profile, Active: in.Active == nil || *in.Active, Admin: in.Admin,
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, userView(a))
		return nil
	})
}

// updateUser changes an account of the caller's company; another company's account
// answers 404 like an unknown one.
func updateUser(d AdminDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			FirstName     *string `json:"firstName"`
			LastName      *string `json:"lastName"`
			Email         *string `json:"email"`
			Phone         *string `json:"phone"`
			Mobile        *string `json:"mobile"`
			Active        *bool   `json:"active"`
			Admin         *bool   `json:"admin"`
			Profile       *string `json:"profile"`
			Password      *string `json:"password"`
			Confirmation  *string `json:"confirmation"`
			AdminPassword *string `json:"adminPassword"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, _ := CallerFrom(r.Context())
		a, err := d.Accounts.UpdateUser(r.Context(), clientIP(r), c.Account, r.PathValue("identifier"), accounts.UserChange{
			Fields: accounts.Fields{
				FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Phone: in.Phone,
				Mobile: in.Mobile, Profile: in.Profile, Active: in.Active, Admin: in.Admin,
			},
			Password: in.Password, Confirmation: in.Confirmation, AdminPassword: in.AdminPassword,
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, userView(a))
		return nil
	})
}

// auditLog pages through the company's audit log, newest first. The cursor is signed and
// bound to the caller's company: an edited cursor, or another company's, is a 400.
func auditLog(d AdminDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, _ := CallerFrom(r.Context())
		q := r.URL.Query()
		limit := AuditPageSize
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100 {
				return fault.Invalid("limit", "want 1 to 100")
			}
			limit = n
		}
		purpose := "audit-cursor|" + c.Company
		after := ""
		if cur := q.Get("cursor"); cur != "" {
			payload, err := d.Cursors.Verify(purpose, cur)
			if err != nil {
				return &fault.Error{Code: fault.CodeInvalid, Field: "cursor", Cause: err}
			}
			after = string(payload)
		}
		entries, next, err := d.Accounts.Audit(r.Context(), c.Account, after, limit)
		if err != nil {
			return err
		}
		type item struct {
			At     time.Time `json:"at"`
			Actor  string    `json:"actor"`
			Action string    `json:"action"`
			Target string    `json:"target"`
			Detail string    `json:"detail"`
		}
		out := struct {
			Items      []item  `json:"items"`
			NextCursor *string `json:"nextCursor"`
		}{Items: []item{}}
		for _, e := range entries {
			out.Items = append(out.Items, item{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail})
		}
		if next != "" {
			s := d.Cursors.Sign(purpose, []byte(next))
			out.NextCursor = &s
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}
