package metrics_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/metrics"
)

// TestCountIsEMF: a line logged with Count is read back by Extract as one count in the
// namespace, and the zero Recorder adds nothing.
func TestCountIsEMF(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	r := metrics.Recorder{Namespace: "efacture/test", Clock: func() time.Time { return time.UnixMilli(1_700_000_000_000) }}
	log.InfoContext(context.Background(), "document filed", append(r.Count(metrics.DocumentsFiled), "space", "acme")...)
	log.Info("no metric", metrics.Recorder{}.Count(metrics.DocumentsFiled)...)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	got, err := metrics.Extract([]byte(lines[0]))
	if err != nil || got["efacture/test"][metrics.DocumentsFiled] != 1 || len(got) != 1 {
		t.Errorf("got %v, %v from %s; want DocumentsFiled 1 in efacture/test", got, err, lines[0])
	}
	if got, err := metrics.Extract([]byte(lines[1])); got != nil || err != nil {
		t.Errorf("zero Recorder: got %v, %v from %s; want no metric", got, err, lines[1])
	}
}

// TestExtractRefusesWhatCloudWatchDrops: lines CloudWatch would not turn into metrics.
func TestExtractRefusesWhatCloudWatchDrops(t *testing.T) {
	for name, line := range map[string]string{
		"not JSON":          `level=INFO msg=x`,
		"no timestamp":      `{"_aws":{"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		"no directive":      `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"A":1}`,
		"no namespace":      `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		"no dimensions":     `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Metrics":[{"Name":"A"}]}]},"A":1}`,
		"missing dimension": `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["space"]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		"value not number":  `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":"1"}`,
		"value missing":     `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]}}`,
	} {
		if got, err := metrics.Extract([]byte(line)); err == nil {
			t.Errorf("%s: got %v, want an error", name, got)
		}
	}
}
