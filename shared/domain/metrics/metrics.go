// Package metrics names the business counts the functions publish and writes them as
// CloudWatch embedded metric format (EMF) fields of a log line: CloudWatch Logs turns
// such a line into metric values, with no API call and no extra permission.
package metrics

import (
	"log/slog"
	"time"
)

// Name is a metric the code emits; template.yaml's dashboard shows each of Names.
type Name string

// The counts, each 1 per log line that carries it.
const (
	DocumentsFiled    Name = "DocumentsFiled"
	DocumentsRejected Name = "DocumentsRejected"
	MailsSent         Name = "MailsSent"
	DeadMails         Name = "DeadMails"
	MailsBounced      Name = "MailsBounced"
	MailsComplained   Name = "MailsComplained"
)

// Names lists every metric the code emits; the template tests compare it with the
// dashboard, both ways.
var Names = []Name{DocumentsFiled, DocumentsRejected, MailsSent, DeadMails, MailsBounced, MailsComplained}

// DefaultNamespace is used when METRICS_NAMESPACE is unset (the local stack, tests).
const DefaultNamespace = "efacture"

// Recorder makes log lines count metrics in Namespace; the zero Recorder adds nothing.
type Recorder struct {
	Namespace string
	// Clock stamps the metric; time.Now when nil.
	Clock func() time.Time
}

// Count returns the log attributes that make a line count one of name: the _aws
// metadata and the value, both at the top level of the JSON line as EMF requires.
func (r Recorder) Count(name Name) []any {
	if r.Namespace == "" {
		return nil
	}
	clock := r.Clock
	if clock == nil {
		clock = time.Now
	}
	return []any{
		slog.Group("_aws", "Timestamp", clock().UnixMilli(), "CloudWatchMetrics", []directive{{
			Namespace: r.Namespace, Dimensions: [][]string{{}},
			Metrics: []definition{{Name: string(name), Unit: "Count"}},
		}}),
		slog.Int(string(name), 1),
	}
}

// directive and definition are EMF's MetricDirective and MetricDefinition.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}
