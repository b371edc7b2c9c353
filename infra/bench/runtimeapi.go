package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runtimePrefix is the Runtime API's path prefix, version included.
const runtimePrefix = "/2018-06-01/runtime/invocation/"

// RuntimeAPI is a fake Lambda Runtime API on 127.0.0.1: it hands one event to each
// /next request and collects what the function posts to /response, as Lambda does for a
// function's runtime loop. It also notes when each /next arrives, which is when a
// function has finished its cold start.
type RuntimeAPI struct {
	srv    *http.Server
	ln     net.Listener
	events chan invocation
	nexts  chan time.Time
	seq    atomic.Int64

	mu      sync.Mutex
	waiting map[string]chan result
}

type invocation struct {
	id      string
	payload []byte
}

type result struct {
	body []byte
	err  error
}

// NewRuntimeAPI starts a fake Runtime API on a free loopback port.
func NewRuntimeAPI() (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &RuntimeAPI{
		ln: ln, events: make(chan invocation), nexts: make(chan time.Time, 16),
		waiting: map[string]chan result{},
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go r.srv.Serve(ln)
	return r, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API for a function using this API.
func (r *RuntimeAPI) Addr() string { return r.ln.Addr().String() }

// Nexts delivers the arrival time of every /next request. Nobody has to read it: arrivals
// past its buffer are dropped.
func (r *RuntimeAPI) Nexts() <-chan time.Time { return r.nexts }

// Close stops the server; requests still waiting for an event are answered 503.
func (r *RuntimeAPI) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = r.srv.Close()
	}
	return err
}

// Invoke hands payload to the function's next /next request and returns the body it
// posts to /response, or the error it posts to /error.
func (r *RuntimeAPI) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	id := "req-" + strconv.FormatInt(r.seq.Add(1), 10)
	done := make(chan result, 1)
	r.mu.Lock()
	r.waiting[id] = done
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, id)
		r.mu.Unlock()
	}()
	select {
	case r.events <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-done:
		return res.body, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *RuntimeAPI) serve(w http.ResponseWriter, req *http.Request) {
	rest, ok := strings.CutPrefix(req.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	if rest == "next" && req.Method == http.MethodGet {
		select {
		case r.nexts <- time.Now():
		default:
		}
		select {
		case inv := <-r.events:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-3:000000000000:function:bench")
			h.Set("Content-Type", "application/json")
			w.Write(inv.payload)
		case <-req.Context().Done():
		}
		return
	}
	id, kind, ok := strings.Cut(rest, "/")
	if !ok || req.Method != http.MethodPost || (kind != "response" && kind != "error") {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	done := r.waiting[id]
	r.mu.Unlock()
	if done == nil {
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	res := result{body: body}
	if kind == "error" {
		res = result{err: fmt.Errorf("function error: %s", body)}
	}
	done <- res
	w.WriteHeader(http.StatusAccepted)
}
