package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ColdStart is one start of a function binary.
type ColdStart struct {
	// ToFirstNext runs from just before exec to the arrival of the function's first
	// /next request at the Runtime API: everything a cold start does before it can take
	// an event (package init, environment, configuration, clients, secrets).
	ToFirstNext time.Duration
	// Init is the sum of the packages' init clock times (GODEBUG=inittrace=1), when
	// traced.
	Init time.Duration
	// Packages counts the traced package inits.
	Packages int
}

// coldStartTimeout bounds one start: a function that never asks for an event is broken.
const coldStartTimeout = 20 * time.Second

// MeasureColdStart runs bin with exactly env plus AWS_LAMBDA_RUNTIME_API pointing at a
// fresh fake Runtime API, waits for its first /next request and kills it. With trace,
// it also runs it under GODEBUG=inittrace=1 and sums the packages' init times.
func MeasureColdStart(ctx context.Context, bin string, env []string, trace bool) (ColdStart, error) {
	api, err := NewRuntimeAPI()
	if err != nil {
		return ColdStart{}, err
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string(nil), env...), "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	if trace {
		cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1")
	}
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	exited := make(chan error, 1)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ColdStart{}, err
	}
	go func() { exited <- cmd.Wait() }()
	timeout := time.NewTimer(coldStartTimeout)
	defer timeout.Stop()
	var cs ColdStart
	select {
	case at := <-api.Nexts():
		cs.ToFirstNext = at.Sub(start)
	case err := <-exited:
		return ColdStart{}, fmt.Errorf("%s exited before asking for an event (%v): %s", bin, err, tail(stderr.String(), 2000))
	case <-timeout.C:
		cmd.Process.Kill()
		<-exited
		return ColdStart{}, fmt.Errorf("%s asked for no event within %v: %s", bin, coldStartTimeout, tail(stderr.String(), 2000))
	case <-ctx.Done():
		cmd.Process.Kill()
		<-exited
		return ColdStart{}, ctx.Err()
	}
	cmd.Process.Kill()
	<-exited
	if trace {
		cs.Init, cs.Packages = ParseInitTrace(stderr.String())
		if cs.Packages == 0 {
			return ColdStart{}, fmt.Errorf("%s printed no init trace", bin)
		}
	}
	return cs, nil
}

// initLine matches a line of GODEBUG=inittrace=1:
// "init net/http @2.1 ms, 0.15 ms clock, 10240 bytes, 85 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock,`)

// ParseInitTrace sums the clock times of the init lines in a GODEBUG=inittrace=1
// output and counts them; other lines are ignored.
func ParseInitTrace(out string) (time.Duration, int) {
	var total float64
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ms, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		total += ms
		n++
	}
	return time.Duration(total * float64(time.Millisecond)), n
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
