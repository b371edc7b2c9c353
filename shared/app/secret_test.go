package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// TestSigningSecretReadBesideInit: the documents function is built without waiting for
// Secrets Manager (moto is paused meanwhile); a request whose secret read fails gets the
// API's internal error with the cause in the log, and the next request reads it again
// and is served.
func TestSigningSecretReadBesideInit(t *testing.T) {
	le := localaws.MustStart(t)
	fnEnv := le.Stack.FunctionEnv("DocumentsFunction")
	env, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var h http.Handler
	if err := le.MotoServer.Pause(); err != nil {
		t.Fatal(err)
	}
	paused := true
	defer func() {
		if paused {
			le.MotoServer.Resume()
		}
	}()
	_, err = app.DocumentsFunction(env, app.NewClients(le.Config, le.SESConfig), app.Options{
		Log: slog.New(slog.NewJSONHandler(&logs, nil)), HTTP: func(x http.Handler) { h = x },
	})
	if err != nil {
		t.Fatalf("constructor with Secrets Manager unreachable: %v; want it built, the read pending", err)
	}
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/documents", nil)
		req.Header.Set(httpapi.OriginHeader, env.OriginVerify) // as CloudFront adds it
		h.ServeHTTP(rec, req)
		return rec
	}
	// The read started at init times out while moto is paused.
	first := get()
	var body struct{ Error struct{ Code string } }
	json.Unmarshal(first.Body.Bytes(), &body)
	if first.Code != http.StatusInternalServerError || body.Error.Code != "internal" || first.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("secret unreadable: got %d %s (headers %v), want 500 internal with the API's headers", first.Code, first.Body, first.Header())
	}
	if !strings.Contains(logs.String(), "read signing secret") {
		t.Errorf("want the cause in the log, got:\n%s", logs.String())
	}
	le.MotoServer.Resume()
	paused = false
	// The failed read was started again; this request waits for it and reaches the routes.
	if second := get(); second.Code != http.StatusUnauthorized {
		t.Errorf("secret readable again: got %d %s, want 401 (no session) from the routes", second.Code, second.Body)
	}
}
