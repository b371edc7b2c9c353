package security

import (
	"net/http"
	"reflect"
	"testing"
)

// TestCrossSiteGETsRefused: the two GETs that change state — a download marks the
// document downloaded and is audited, a no-login link's use is counted and audited —
// refuse a request another site makes (Sec-Fetch-Site: cross-site) with 403, for every
// signed-in actor on each of its company's documents and for every company's link,
// and no document's downloadedAt moves (PRODUCT.md §6).
func TestCrossSiteGETsRefused(t *testing.T) {
	w := theWorld(t)
	downloaded := func(a *actor) map[string]any {
		got := map[string]any{}
		res := a.c.send(t, http.MethodGet, "/api/documents?from=2000-01-01&limit=100", nil).want(t, http.StatusOK, "listing")
		items, _ := res.json()["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			id, _ := m["id"].(string)
			got[id] = m["downloadedAt"]
		}
		return got
	}
	crossSite := func(c *client) *client {
		return &client{p: c.p, ip: c.ip, hc: c.hc, session: c.cookie(), fetchSite: "cross-site"}
	}
	for _, a := range w.actors {
		before := downloaded(a)
		if len(before) == 0 {
			t.Fatalf("%s lists no documents", a)
		}
		other := crossSite(a.c)
		for number, id := range a.co.ids {
			if res := other.send(t, http.MethodGet, "/api/documents/"+id+"/download", nil); res.status != http.StatusForbidden {
				t.Errorf("%s: cross-site download of %s: got %s, want 403", a, number, res)
			}
		}
		if after := downloaded(a); !reflect.DeepEqual(before, after) {
			t.Errorf("%s: downloadedAt changed by refused downloads: %v → %v", a, before, after)
		}
	}
	for _, co := range w.companies {
		if res := crossSite(w.anon.c).send(t, http.MethodGet, "/api/links/"+co.link, nil); res.status != http.StatusForbidden {
			t.Errorf("%s: cross-site use of its no-login link: got %s, want 403", co, res)
		}
	}
}
