package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/console"
	"github.com/efacture/efacture/shared/service/listing"
)

// ConsoleService is what the staff console's customer routes call (package console).
type ConsoleService interface {
	Search(ctx context.Context, m staff.Member, q, cursor string, limit int) (console.Page, error)
	View(ctx context.Context, m staff.Member, number string) (console.View, error)
	Documents(ctx context.Context, m staff.Member, number string, p listing.Params) (listing.Result, error)
	ResendActivation(ctx context.Context, m staff.Member, number string) error
	ClearMailStatus(ctx context.Context, m staff.Member, number, seen string) error
	RejectionsPage(ctx context.Context, m staff.Member, cursor string, limit int) ([]console.Rejection, string, error)
	AuditPage(ctx context.Context, m staff.Member, cursor string, limit int) ([]audit.Entry, string, error)
}

// customerSummaryJSON is a customer in search results.
type customerSummaryJSON struct {
	CustomerNumber string  `json:"customerNumber"`
	CompanyName    string  `json:"companyName"`
	SIREN          *string `json:"siren"`
	Email          *string `json:"email"`
	MailStatus     *string `json:"mailStatus"`
}

func customerSummary(c console.Customer) customerSummaryJSON {
	return customerSummaryJSON{
		CustomerNumber: c.Number, CompanyName: c.CompanyName, SIREN: orNull(c.SIREN), Email: orNull(c.Email),
		MailStatus: orNull(c.MailStatus),
	}
}

// staffMember is the signed-in member; the routes are behind StaffSessions.
func staffMember(r *http.Request) (staff.Member, error) {
	c, ok := StaffCallerFrom(r.Context())
	if !ok {
		return staff.Member{}, errUnauthenticated
	}
	return c.Member, nil
}

// queryLimit reads ?limit, 0 when absent.
func queryLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fault.Invalid("limit", "not a number")
	}
	return n, nil
}

func searchCustomers(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		limit, err := queryLimit(r)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		page, err := d.Console.Search(r.Context(), m, q.Get("q"), q.Get("cursor"), limit)
		if err != nil {
			return err
		}
		items := make([]customerSummaryJSON, len(page.Items))
		for i, c := range page.Items {
			items[i] = customerSummary(c)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": orNull(page.NextCursor)})
		return nil
	})
}

type staffAccountJSON struct {
	Identifier          string     `json:"identifier"`
	Active              bool       `json:"active"`
	Admin               bool       `json:"admin"`
	RegisteredAdmin     bool       `json:"registeredAdmin"`
	PasswordSet         bool       `json:"passwordSet"`
	LastLoginAt         *time.Time `json:"lastLoginAt"`
	ActivationExpiresAt *time.Time `json:"activationExpiresAt"`
}

// activationExpiry is when the account's newest activation link stops working: the
// console's resend, else the first activation's for a registered admin without a
// password yet; nil when it has none.
func activationExpiry(a accounts.Account) *time.Time {
	if a.ActivationExpiresAt != nil {
		return utc(a.ActivationExpiresAt)
	}
	if a.RegisteredAdmin && a.PasswordHash == "" {
		t := a.CreatedAt.Add(tokens.ActivationValidity).UTC()
		return &t
	}
	return nil
}

type mailJSON struct {
	Kind      string    `json:"kind"`
	To        string    `json:"to"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
	Attempts  int       `json:"attempts"`
	LastError *string   `json:"lastError"`
}

// mailAt is a mail's time: when it was sent, else when it was written.
func mailAt(r outbox.Record) time.Time {
	if r.SentAt != nil {
		return r.SentAt.UTC()
	}
	return r.CreatedAt.UTC()
}

func viewCustomer(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		v, err := d.Console.View(r.Context(), m, r.PathValue("number"))
		if err != nil {
			return err
		}
		c := v.Customer
		out := struct {
			customerSummaryJSON
			Notification *string            `json:"notification"`
			Delivery     *string            `json:"delivery"`
			Language     *string            `json:"language"`
			UpdatedAt    time.Time          `json:"updatedAt"`
			MailStatusAt *time.Time         `json:"mailStatusAt"`
			Accounts     []staffAccountJSON `json:"accounts"`
			Documents    struct {
				Count         int     `json:"count"`
				LastIssueDate *string `json:"lastIssueDate"`
			} `json:"documents"`
			Mails []mailJSON `json:"mails"`
		}{
			customerSummaryJSON: customerSummary(c), Notification: orNull(c.Notification), Delivery: orNull(c.Delivery),
			Language: orNull(c.Language), UpdatedAt: c.UpdatedAt.UTC(), MailStatusAt: utc(c.MailStatusAt),
			Accounts: []staffAccountJSON{}, Mails: []mailJSON{},
		}
		for _, a := range v.Accounts {
			out.Accounts = append(out.Accounts, staffAccountJSON{
				Identifier: a.Identifier, Active: a.Active, Admin: a.Admin, RegisteredAdmin: a.RegisteredAdmin,
				PasswordSet: a.PasswordHash != "", LastLoginAt: utc(a.LastLoginAt), ActivationExpiresAt: activationExpiry(a),
			})
		}
		out.Documents.Count, out.Documents.LastIssueDate = v.Documents.Count, orNull(v.Documents.LastIssueDate)
		for _, rec := range v.Mails {
			out.Mails = append(out.Mails, mailJSON{
				Kind: rec.Kind, To: rec.To, Status: rec.Status, At: mailAt(rec), Attempts: rec.Attempts, LastError: orNull(rec.LastError),
			})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

func customerDocuments(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		res, err := d.Console.Documents(r.Context(), m, r.PathValue("number"), listing.ParamsFromQuery(r.URL.Query()))
		if err != nil {
			return err
		}
		items := make([]documentJSON, len(res.Items))
		for i, doc := range res.Items {
			items[i] = toDocumentJSON(doc)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": orNull(res.NextCursor)})
		return nil
	})
}

func resendActivation(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		if err := d.Console.ResendActivation(r.Context(), m, r.PathValue("number")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	})
}

// clearMailStatus lifts the status the member saw (?status=…), so that a bounce or
// complaint recorded since is not cleared unseen.
func clearMailStatus(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		if err := d.Console.ClearMailStatus(r.Context(), m, r.PathValue("number"), r.URL.Query().Get("status")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func staffRejections(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		limit, err := queryLimit(r)
		if err != nil {
			return err
		}
		items, next, err := d.Console.RejectionsPage(r.Context(), m, r.URL.Query().Get("cursor"), limit)
		if err != nil {
			return err
		}
		type item struct {
			Key     string    `json:"key"`
			Code    string    `json:"code"`
			Message string    `json:"message"`
			At      time.Time `json:"at"`
		}
		out := []item{}
		for _, it := range items {
			out = append(out, item{Key: it.Key, Code: it.Code, Message: it.Message, At: it.At.UTC()})
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": out, "nextCursor": orNull(next)})
		return nil
	})
}

func staffAudit(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		m, err := staffMember(r)
		if err != nil {
			return err
		}
		limit, err := queryLimit(r)
		if err != nil {
			return err
		}
		entries, next, err := d.Console.AuditPage(r.Context(), m, r.URL.Query().Get("cursor"), limit)
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
		out := []item{}
		for _, e := range entries {
			out = append(out, item{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail})
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": out, "nextCursor": orNull(next)})
		return nil
	})
}
