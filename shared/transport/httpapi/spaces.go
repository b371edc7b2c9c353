package httpapi

import (
	"net/http"
	"regexp"
)

// spaceID matches the ids spaces may have, so garbage never reaches the store.
var spaceID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$`)

// space answers what the login page of a space shows; it is public.
func space(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("space")
		if !spaceID.MatchString(id) {
			return errNotFound
		}
		sp, err := d.Spaces.Space(r.Context(), id)
		if err != nil {
			return err
		}
		type brand struct {
			Color   string `json:"color"`
			LogoURL string `json:"logoUrl"`
		}
		writeJSON(w, http.StatusOK, struct {
			ID                    string   `json:"id"`
			Name                  string   `json:"name"`
			Since                 string   `json:"since"`
			Brand                 brand    `json:"brand"`
			Profiles              []string `json:"profiles"`
			RevealUnknownAccounts bool     `json:"revealUnknownAccounts"`
		}{sp.ID, sp.Name, sp.Since, brand{sp.Brand.Color, sp.Brand.LogoURL}, sp.Profiles, sp.RevealUnknownAccounts})
		return nil
	})
}
