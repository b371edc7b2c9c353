package bench_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/bench"
)

// fakeFunction is what this test binary does when started as a function by the tests of
// MeasureColdStart (BENCH_FAKE_FUNCTION): "echo" answers each event with its payload
// upper-cased, "exit" fails before asking for one.
func fakeFunction(mode string) {
	if mode == "exit" {
		fmt.Fprintln(os.Stderr, "missing environment: MAIN_TABLE")
		os.Exit(3)
	}
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		res, err := http.Get(api + "next")
		if err != nil {
			os.Exit(4)
		}
		payload, _ := io.ReadAll(res.Body)
		res.Body.Close()
		id := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if _, err := http.Post(api+id+"/response", "application/json", bytes.NewReader(bytes.ToUpper(payload))); err != nil {
			os.Exit(5)
		}
	}
}

func TestRuntimeAPI(t *testing.T) {
	api, err := bench.NewRuntimeAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	base := "http://" + api.Addr() + "/2018-06-01/runtime/invocation/"
	// A runtime loop: answer the first event, report an error for the second.
	go func() {
		for i := 0; i < 2; i++ {
			res, err := http.Get(base + "next")
			if err != nil {
				return
			}
			payload, _ := io.ReadAll(res.Body)
			res.Body.Close()
			id := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
			kind := "response"
			if i == 1 {
				kind = "error"
			}
			http.Post(base+id+"/"+kind, "application/json", strings.NewReader("got "+string(payload)+" before "+res.Header.Get("Lambda-Runtime-Deadline-Ms")[:1]))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := api.Invoke(ctx, []byte(`{"a":1}`))
	if err != nil || !strings.HasPrefix(string(out), `got {"a":1} before 1`) {
		t.Errorf("first: got %q, %v", out, err)
	}
	select {
	case at := <-api.Nexts():
		if time.Since(at) > 10*time.Second {
			t.Errorf("first /next noted at %v", at)
		}
	default:
		t.Error("no /next noted")
	}
	if _, err := api.Invoke(ctx, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "function error") {
		t.Errorf("second: got %v, want the function's error", err)
	}
	if res, err := http.Post(base+"req-unknown/response", "application/json", nil); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown request id: got %v, %v", res, err)
	}
}

func TestMeasureColdStart(t *testing.T) {
	ctx := context.Background()
	cs, err := bench.MeasureColdStart(ctx, os.Args[0], []string{"BENCH_FAKE_FUNCTION=echo"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if cs.ToFirstNext <= 0 || cs.ToFirstNext > 20*time.Second {
		t.Errorf("exec to first /next: got %v", cs.ToFirstNext)
	}
	if cs.Packages < 10 || cs.Init <= 0 {
		t.Errorf("init trace: got %d packages, %v", cs.Packages, cs.Init)
	}
	_, err = bench.MeasureColdStart(ctx, os.Args[0], []string{"BENCH_FAKE_FUNCTION=exit"}, false)
	if err == nil || !strings.Contains(err.Error(), "missing environment: MAIN_TABLE") {
		t.Errorf("failing function: got %v, want its stderr in the error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := bench.MeasureColdStart(cctx, os.Args[0], []string{"BENCH_FAKE_FUNCTION=exit"}, false); err == nil {
		t.Error("cancelled: got no error")
	} else if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "exited") {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestParseInitTrace(t *testing.T) {
	out := "init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
		"init runtime @0.12 ms, 0.25 ms clock, 0 bytes, 0 allocs\n" +
		"some log line\n" +
		"init github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas @4.1 ms, 1.5 ms clock, 900 bytes, 20 allocs\n"
	d, n := bench.ParseInitTrace(out)
	if n != 3 || d != 1750*time.Microsecond {
		t.Errorf("got %d packages, %v; want 3, 1.75ms", n, d)
	}
}
