package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
)

// faultProxy stands on loopback between the mailer and the SES emulator. Healthy, it
// forwards; failing, it answers each request in one of the ways SES and the network fail:
// a 503, a connection reset, or the mail accepted upstream and the answer lost, which
// the mailer cannot tell from a failure and so sends again (PRODUCT.md §5: at-least-once).
type faultProxy struct {
	upstream atomic.Pointer[string]
	failing  atomic.Bool
	client   *http.Client
	srv      *http.Server
	url      string

	mu  sync.Mutex
	rng *rand.Rand

	forwarded, unavailable, resets, lostAnswers atomic.Int64
}

// startFaultProxy listens on a free loopback port.
func startFaultProxy(seed uint64) (*faultProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &faultProxy{
		client: &http.Client{Timeout: 30 * time.Second},
		rng:    rand.New(rand.NewPCG(seed, seed^0x5e5)),
		url:    "http://" + ln.Addr().String(),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// setUpstream names the SES emulator; until then every request gets a 503.
func (p *faultProxy) setUpstream(url string) error {
	if err := localaws.CheckEndpoint(url); err != nil {
		return err
	}
	p.upstream.Store(&url)
	return nil
}

func (p *faultProxy) close() error { return p.srv.Close() }

// pick draws a number in [0, 100).
func (p *faultProxy) pick() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(100)
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := p.upstream.Load()
	if up == nil {
		p.unavailable.Add(1)
		unavailable(w)
		return
	}
	if p.failing.Load() {
		switch n := p.pick(); {
		case n < 45:
			p.unavailable.Add(1)
			unavailable(w)
			return
		case n < 90:
			p.resets.Add(1)
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
	res, err := p.client.Do(out)
	if err != nil {
		p.unavailable.Add(1)
		unavailable(w)
		return
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		reset(w)
		return
	}
	p.forwarded.Add(1)
	if p.failing.Load() {
		if res.StatusCode == http.StatusOK {
			p.lostAnswers.Add(1)
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
	io.WriteString(w, `{"message":"Service unavailable (soak fault proxy)"}`)
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
