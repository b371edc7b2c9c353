package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Extract reads one log line as CloudWatch reads embedded metric format: it returns the
// metric values the line carries (none for a line without _aws) in each namespace, or
// why CloudWatch would drop the line's metrics. Tests and ops tools use it to read logs.
func Extract(line []byte) (map[string]map[Name]float64, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	raw, ok := root["_aws"]
	if !ok {
		return nil, nil
	}
	var meta struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string       `json:"Namespace"`
			Dimensions [][]string   `json:"Dimensions"`
			Metrics    []definition `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if meta.Timestamp == nil || *meta.Timestamp <= 0 {
		return nil, errors.New("_aws.Timestamp: want milliseconds since the epoch")
	}
	if len(meta.CloudWatchMetrics) == 0 {
		return nil, errors.New("_aws.CloudWatchMetrics: empty")
	}
	out := map[string]map[Name]float64{}
	for i, d := range meta.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Namespace) > 255 {
			return nil, fmt.Errorf("CloudWatchMetrics[%d].Namespace: want 1 to 255 characters", i)
		}
		if d.Dimensions == nil {
			return nil, fmt.Errorf("CloudWatchMetrics[%d].Dimensions: missing", i)
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return nil, fmt.Errorf("CloudWatchMetrics[%d]: a dimension set has more than 30 keys", i)
			}
			for _, key := range set {
				var s string
				if err := json.Unmarshal(root[key], &s); err != nil {
					return nil, fmt.Errorf("dimension %q: want a string member of the line", key)
				}
			}
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return nil, fmt.Errorf("CloudWatchMetrics[%d].Metrics: want 1 to 100 metrics", i)
		}
		if out[d.Namespace] == nil {
			out[d.Namespace] = map[Name]float64{}
		}
		for _, m := range d.Metrics {
			var v float64
			if err := json.Unmarshal(root[m.Name], &v); err != nil || m.Name == "" {
				return nil, fmt.Errorf("metric %q: want a number member of the line", m.Name)
			}
			out[d.Namespace][Name(m.Name)] += v
		}
	}
	return out, nil
}
