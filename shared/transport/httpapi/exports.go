package httpapi

import (
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/service/exports"
)

// exportJSON is an export as the API returns it.
type exportJSON struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	URL       *string `json:"url,omitempty"`
	ExpiresAt *string `json:"expiresAt,omitempty"`
}

func requestExport(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, err := documentCaller(r)
		if err != nil {
			return err
		}
		var req exports.Request
		if err := decode(w, r, &req); err != nil {
			return err
		}
		e, err := d.Exports.Request(r.Context(), c, req)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, exportJSON{ID: e.ID, Status: e.Status})
		return nil
	})
}

func exportStatus(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, err := documentCaller(r)
		if err != nil {
			return err
		}
		e, url, err := d.Exports.Status(r.Context(), c, r.PathValue("id"))
		if err != nil {
			return err
		}
		j := exportJSON{ID: e.ID, Status: e.Status, URL: orNull(url)}
		if e.Status == exports.StatusReady {
			j.ExpiresAt = orNull(e.ExpiresAt.UTC().Format(time.RFC3339))
		}
		writeJSON(w, http.StatusOK, j)
		return nil
	})
}
