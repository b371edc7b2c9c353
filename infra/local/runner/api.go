package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/transport/apigw"
)

// maxRequestBody is API Gateway's payload limit.
const maxRequestBody = 10 << 20

// route is one HttpApi route of the template.
type route struct {
	fn     *function
	method string // upper case, or ANY
	path   string
	segs   []string
	key    string
}

func newRoute(fn *function, r localaws.Route) route {
	return route{fn: fn, method: strings.ToUpper(r.Method), path: r.Path, segs: splitPath(r.Path), key: routeKey(r.Method, r.Path)}
}

func splitPath(p string) []string { return strings.Split(strings.TrimPrefix(p, "/"), "/") }

// segment kinds, in API Gateway's order of preference.
const (
	segGreedy = iota // {name+}
	segParam         // {name}
	segLiteral
)

func segKind(s string) int {
	switch {
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
		return segGreedy
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		return segParam
	}
	return segLiteral
}

// match returns the path parameters when r matches method and the escaped
// path.
func (r route) match(method, escapedPath string) (map[string]string, bool) {
	if r.method != "ANY" && r.method != method {
		return nil, false
	}
	segs := splitPath(escapedPath)
	params := map[string]string{}
	for i, s := range r.segs {
		switch segKind(s) {
		case segGreedy:
			rest := strings.Join(segs[min(i, len(segs)):], "/")
			if rest == "" {
				return nil, false
			}
			params[s[1:len(s)-2]] = unescape(rest)
			return params, true
		case segParam:
			if i >= len(segs) || segs[i] == "" {
				return nil, false
			}
			params[s[1:len(s)-1]] = unescape(segs[i])
		default:
			if i >= len(segs) || unescape(segs[i]) != s {
				return nil, false
			}
		}
	}
	if len(segs) != len(r.segs) {
		return nil, false
	}
	return params, true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// moreSpecific reports whether a should win over b when both match, as API
// Gateway prefers literal segments to parameters, parameters to greedy
// ones, and a method to ANY.
func moreSpecific(a, b route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if ka, kb := segKind(a.segs[i]), segKind(b.segs[i]); ka != kb {
			return ka > kb
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return a.method != "ANY" && b.method == "ANY"
}

// findRoute returns the best route for a request, as API Gateway picks it.
func findRoute(routes []route, method, escapedPath string) (route, map[string]string, bool) {
	var best route
	var bestParams map[string]string
	found := false
	for _, r := range routes {
		params, ok := r.match(method, escapedPath)
		if ok && (!found || moreSpecific(r, best)) {
			best, bestParams, found = r, params, true
		}
	}
	return best, bestParams, found
}

// gatewayError writes API Gateway's own error answers.
func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// serveAPI plays API Gateway HTTP API with payload format 2.0: it turns the
// request into the event the route's function receives, invokes the
// function in process and writes its answer back.
func (r *Runner) serveAPI(w http.ResponseWriter, req *http.Request) {
	rt, params, ok := findRoute(r.routes, req.Method, req.URL.EscapedPath())
	if !ok {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	id := gatewayRequestID()
	if len(params) == 0 {
		params = nil
	}
	ev, err := apigw.Event(req, id, rt.key, params)
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	now := time.Now()
	ev.RequestContext.AccountID = r.AWS.Stack.AccountID
	ev.RequestContext.APIID = "local"
	ev.RequestContext.DomainPrefix = "127"
	ev.RequestContext.TimeEpoch = now.UnixMilli()
	ev.RequestContext.Time = now.UTC().Format("02/Jan/2006:15:04:05 -0700")
	// API Gateway appends the client to X-Forwarded-For and names the
	// scheme and port it was reached on.
	ip := ev.RequestContext.HTTP.SourceIP
	if xff := ev.Headers["x-forwarded-for"]; xff != "" {
		ev.Headers["x-forwarded-for"] = xff + ", " + ip
	} else {
		ev.Headers["x-forwarded-for"] = ip
	}
	ev.Headers["x-forwarded-proto"] = "http"
	ev.Headers["x-forwarded-port"] = r.portalPort
	// The portal origin plays CloudFront too, which adds the secret origin header the API
	// functions require; a client's own value is overwritten, as CloudFront does.
	if v := rt.fn.def.Env["ORIGIN_VERIFY"]; v != "" {
		ev.Headers["x-origin-verify"] = v
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	// The function keeps running if the client goes away, as on AWS.
	out, err := r.invokeShared(context.WithoutCancel(req.Context()), rt.fn, payload)
	w.Header().Set("Apigw-Requestid", id)
	if err != nil {
		r.log.Error("function error", "function", rt.fn.id, "route", rt.key, "error", err.Error())
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	resp, err := gatewayResponse(out)
	if err != nil {
		r.log.Error("unusable function answer", "function", rt.fn.id, "route", rt.key, "error", err.Error())
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	apigw.Write(w, resp)
}

// gatewayResponse reads a function's answer as payload format 2.0 does: an
// object with statusCode is a response, anything else valid JSON is a 200
// JSON body.
func gatewayResponse(out []byte) (events.APIGatewayV2HTTPResponse, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) == nil {
		if _, ok := probe["statusCode"]; ok {
			var resp events.APIGatewayV2HTTPResponse
			err := json.Unmarshal(out, &resp)
			return resp, err
		}
	}
	if !json.Valid(out) {
		return events.APIGatewayV2HTTPResponse{}, errors.New("answer is not JSON")
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(out),
	}, nil
}

// gatewayRequestID returns an id shaped like API Gateway's.
func gatewayRequestID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.TrimRight(base64.StdEncoding.EncodeToString(b), "=") + "="
}

// serveLocal answers the runner's own commands, which play what AWS does
// on its own: POST /_local/digest fires every schedule now, POST
// /_local/ttl-sweep deletes expired items as DynamoDB TTL would.
func (r *Runner) serveLocal(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		gatewayError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	// Only tools and this origin's pages may use these, not another site.
	if o := req.Header.Get("Origin"); o != "" && o != r.PortalURL {
		gatewayError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	switch req.URL.Path {
	case "/_local/digest":
		fired, err := r.FireSchedules(req.Context())
		switch {
		case errors.Is(err, ErrNoSchedule):
			gatewayError(w, http.StatusNotFound, err.Error())
		case err != nil:
			gatewayError(w, http.StatusBadGateway, err.Error())
		default:
			writeJSON(w, map[string]any{"fired": fired})
		}
	case "/_local/ttl-sweep":
		n, err := r.SweepTTL(req.Context())
		if err != nil {
			gatewayError(w, http.StatusBadGateway, err.Error())
			return
		}
		writeJSON(w, map[string]any{"deleted": n})
	default:
		gatewayError(w, http.StatusNotFound, "Not Found")
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
