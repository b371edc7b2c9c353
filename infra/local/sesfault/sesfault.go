// Package sesfault is a loopback proxy between a mailer and the SES emulator that fails
// the way SES and the network fail, and counts the sends it lets through per second.
package sesfault

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
)

// Proxy forwards to the SES emulator. Failing, it answers each request in one of the
// ways SES and the network fail: a 503, a connection reset, or the mail accepted upstream
// and the answer lost, which the mailer cannot tell from a failure and so sends again
// (PRODUCT.md §5: at-least-once). Throttling, it refuses every send as SES v2 does when
// the send rate is exceeded: HTTP 429, TooManyRequestsException.
type Proxy struct {
	// Failing and Throttling switch the faults on; Throttling wins.
	Failing, Throttling atomic.Bool

	upstream atomic.Pointer[string]
	client   *http.Client
	srv      *http.Server
	url      string

	mu        sync.Mutex
	rng       *rand.Rand
	perSecond map[int64]int // sends SES accepted, by the second (Unix) they were forwarded in

	// Counts of what the proxy did.
	Forwarded, Unavailable, Resets, LostAnswers, Throttled atomic.Int64
}

// Start listens on a free loopback port; seed makes the failures' mix repeatable.
func Start(seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		client:    &http.Client{Timeout: 30 * time.Second},
		rng:       rand.New(rand.NewPCG(seed, seed^0x5e5)),
		url:       "http://" + ln.Addr().String(),
		perSecond: map[int64]int{},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// URL is the proxy's endpoint, for the mailer's SES configuration.
func (p *Proxy) URL() string { return p.url }

// SetUpstream names the SES emulator; until then every request gets a 503.
func (p *Proxy) SetUpstream(url string) error {
	if err := localaws.CheckEndpoint(url); err != nil {
		return err
	}
	p.upstream.Store(&url)
	return nil
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// SendsPerSecond returns how many sends SES accepted in each second of the wall clock.
func (p *Proxy) SendsPerSecond() map[int64]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]int, len(p.perSecond))
	for k, v := range p.perSecond {
		out[k] = v
	}
	return out
}

// pick draws a number in [0, 100).
func (p *Proxy) pick() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(100)
}

// isSend reports a SES v2 SendEmail request.
func isSend(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v2/email/outbound-emails")
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := p.upstream.Load()
	if up == nil {
		p.Unavailable.Add(1)
		unavailable(w)
		return
	}
	if p.Throttling.Load() && isSend(r) {
		p.Throttled.Add(1)
		throttled(w)
		return
	}
	if p.Failing.Load() {
		switch n := p.pick(); {
		case n < 45:
			p.Unavailable.Add(1)
			unavailable(w)
			return
		case n < 90:
			p.Resets.Add(1)
			reset(w)
			return
		default:
			// Forwarded below, then the answer is lost.
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		reset(w)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, *up+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		unavailable(w)
		return
	}
	out.Header = r.Header.Clone()
	second := time.Now().Unix()
	res, err := p.client.Do(out)
	if err != nil {
		p.Unavailable.Add(1)
		unavailable(w)
		return
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		reset(w)
		return
	}
	p.Forwarded.Add(1)
	if isSend(r) && res.StatusCode == http.StatusOK {
		p.mu.Lock()
		p.perSecond[second]++
		p.mu.Unlock()
	}
	if p.Failing.Load() {
		if res.StatusCode == http.StatusOK {
			p.LostAnswers.Add(1)
		}
		reset(w)
		return
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(res.StatusCode)
	w.Write(answer)
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "ServiceUnavailableException")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"message":"Service unavailable (SES fault proxy)"}`)
}

// throttled is SES v2's answer to a send over the account's rate.
func throttled(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, `{"message":"Maximum sending rate exceeded."}`)
}

// reset closes the client's connection without an answer, with a TCP reset.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
