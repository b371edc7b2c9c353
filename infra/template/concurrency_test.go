package template_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// TestIngestMemoryAndConcurrency checks what keeps a hostile PDF from costing more than
// its own file (PRODUCT.md §10): a Go memory limit below the ingest function's memory,
// one file per batch, a queue that leaves receives for the unreadable rejection, and
// concurrency capped by parameters and reserved for ingest and exports.
func TestIngestMemoryAndConcurrency(t *testing.T) {
	tmpl := loadTemplate(t)
	ingest := get(resources(tmpl)["IngestFunction"], "Properties")

	memory, ok := number(get(ingest, "MemorySize"))
	if !ok {
		t.Fatal("IngestFunction has no MemorySize")
	}
	limit, _ := get(ingest, "Environment", "Variables", "GOMEMLIMIT").(string)
	mib, err := strconv.ParseInt(strings.TrimSuffix(limit, "MiB"), 10, 64)
	if !strings.HasSuffix(limit, "MiB") || err != nil {
		t.Fatalf("got GOMEMLIMIT %q, want a number of MiB", limit)
	}
	if mib < memory*70/100 || mib > memory*85/100 {
		t.Errorf("got GOMEMLIMIT %d MiB for MemorySize %d, want 70 to 85 %%", mib, memory)
	}

	inbox := get(ingest, "Events", "Inbox", "Properties")
	if n, _ := number(get(inbox, "BatchSize")); n != 1 {
		t.Errorf("got ingest BatchSize %v, want 1 so that a crash fails only its own file", get(inbox, "BatchSize"))
	}
	receives, _ := number(get(resources(tmpl)["IngestQueue"], "Properties", "RedrivePolicy", "maxReceiveCount"))
	if receives < lambdaevents.IngestFailedReceives+2 {
		t.Errorf("got IngestQueue maxReceiveCount %d, want at least %d: room to reject after %d failures, and one retry",
			receives, lambdaevents.IngestFailedReceives+2, lambdaevents.IngestFailedReceives)
	}

	for id, param := range map[string]string{"IngestFunction": "IngestMaxConcurrency", "ExportsFunction": "ExportsMaxConcurrency"} {
		t.Run(id, func(t *testing.T) {
			props := get(resources(tmpl)[id], "Properties")
			ref := map[string]any{"Ref": param}
			if got := get(props, "ReservedConcurrentExecutions"); !reflect.DeepEqual(got, ref) {
				t.Errorf("got ReservedConcurrentExecutions %v, want %v", got, ref)
			}
			events, _ := get(props, "Events").(map[string]any)
			for name, ev := range events {
				if got := get(ev, "Properties", "ScalingConfig", "MaximumConcurrency"); get(ev, "Type") == "SQS" && !reflect.DeepEqual(got, ref) {
					t.Errorf("got %s ScalingConfig.MaximumConcurrency %v, want %v", name, got, ref)
				}
			}
			p := get(tmpl, "Parameters", param)
			lo, _ := number(get(p, "MinValue"))
			hi, _ := number(get(p, "MaxValue"))
			def, _ := number(get(p, "Default"))
			// SQS event sources accept a maximum concurrency of 2 to 1000.
			if get(p, "Type") != "Number" || lo != 2 || hi != 1000 || def < lo || def > hi || get(p, "Description") == nil {
				t.Errorf("got parameter %s %v, want a described Number from 2 to 1000 with a default", param, p)
			}
		})
	}
}
