package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/listing"
)

// DocumentService lists the caller's documents and hands them out (package listing).
type DocumentService interface {
	List(ctx context.Context, c listing.Caller, p listing.Params) (listing.Result, error)
	Download(ctx context.Context, c listing.Caller, id string) (string, error)
	FollowLink(ctx context.Context, token string) (string, error)
}

// ExportService takes and reports bulk exports (package exports).
type ExportService interface {
	Request(ctx context.Context, c listing.Caller, r exports.Request) (exports.Export, error)
	Status(ctx context.Context, c listing.Caller, id string) (exports.Export, string, error)
}

// DocumentsDeps are what the documents function's routes need.
type DocumentsDeps struct {
	// Sessions guards every route but the no-login links.
	Sessions *Sessions
	// PortalBaseURL is the portal's origin, the only one state changes may come from.
	PortalBaseURL string
	Documents     DocumentService
	Exports       ExportService
	Log           *slog.Logger
	Now           func() time.Time
}

// documentCaller is the signed-in caller as the document services see it.
func documentCaller(r *http.Request) (listing.Caller, error) {
	c, ok := CallerFrom(r.Context())
	if !ok {
		return listing.Caller{}, errUnauthenticated
	}
	a := c.Account
	return listing.Caller{
		Identifier: a.Identifier, Space: a.Space, CustomerNumber: a.CustomerNumber,
		HistoryMonths: a.HistoryMonths, Language: a.Lang(),
	}, nil
}

// documentJSON is a document as PRODUCT.md §7 names its fields.
type documentJSON struct {
	ID           string  `json:"id"`
	Number       string  `json:"number"`
	Type         string  `json:"type"`
	IssueDate    string  `json:"issueDate"`
	Amount       *string `json:"amount"`
	Currency     *string `json:"currency"`
	Duplicate    bool    `json:"duplicate"`
	Copy         bool    `json:"copy"`
	Profile      *string `json:"profile"`
	ExpiresAt    string  `json:"expiresAt"`
	DownloadedAt *string `json:"downloadedAt"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toDocumentJSON(d documents.Document) documentJSON {
	j := documentJSON{
		ID: d.ID(), Number: d.Number, Type: d.Type, IssueDate: d.IssueDate, Amount: orNull(d.Amount),
		Currency: orNull(d.Currency), Duplicate: d.Duplicate, Copy: d.Copy, Profile: orNull(d.Profile),
		ExpiresAt: d.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if d.DownloadedAt != nil {
		j.DownloadedAt = orNull(d.DownloadedAt.UTC().Format(time.RFC3339))
	}
	return j
}

func listDocuments(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, err := documentCaller(r)
		if err != nil {
			return err
		}
		res, err := d.Documents.List(r.Context(), c, listing.ParamsFromQuery(r.URL.Query()))
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

func downloadDocument(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, err := documentCaller(r)
		if err != nil {
			return err
		}
		url, err := d.Documents.Download(r.Context(), c, r.PathValue("id"))
		if err != nil {
			return err
		}
		redirect(w, url)
		return nil
	})
}

// redirect answers 302 to a presigned URL, with no body: the URL is a bearer secret for
// its 60 seconds and the browser follows it at once.
func redirect(w http.ResponseWriter, url string) {
	w.Header().Set("Location", url)
	w.WriteHeader(http.StatusFound)
}
