package localaws

import (
	"encoding/json"
	"maps"
	"regexp"
	"time"
)

// Stack is the result of provisioning a template: the physical names of its
// resources, their attributes, the resolved parameters and the functions
// with their environment and event sources.
type Stack struct {
	// Prefix is the name prefix given to Provision; it also plays
	// AWS::StackName.
	Prefix    string
	Region    string
	AccountID string
	// Params holds the effective parameter values (defaults overridden by the
	// caller); list parameters are joined with commas.
	Params map[string]string
	// Physical maps each logical id to its physical name: bucket, queue,
	// table or secret name, and the local name given to skipped resources.
	Physical map[string]string
	// Types maps each logical id to its resource type.
	Types map[string]string
	// Skipped lists, sorted, the logical ids that were not created: types no
	// emulator plays here, and resources whose Condition is false.
	Skipped []string

	refs      map[string]string
	attrs     map[string]map[string]string
	functions map[string]Function
	secrets   map[string]string // secret ARN → value, for dynamic references
}

// Function describes one AWS::Serverless::Function: its resolved environment
// and the event sources a local runner must play.
type Function struct {
	ID      string
	CodeURI string
	Handler string
	// Timeout is the function's Timeout (or Globals'), 3 s when neither
	// sets it, as on AWS.
	Timeout   time.Duration
	Env       map[string]string
	SQS       []SQSSource
	Streams   []StreamSource
	HTTP      []Route
	Schedules []Schedule
	SNS       []SNSSource
}

// SNSSource is an SNS subscription of the function. No emulator here plays
// SNS; a local runner may deliver messages itself.
type SNSSource struct {
	Event   string
	TopicID string // logical id of the topic
}

// SQSSource is an SQS event source mapping.
type SQSSource struct {
	Event                   string // event name in the template
	QueueID                 string // logical id of the queue
	BatchSize               int    // 10 when the template says nothing, as on AWS
	ReportBatchItemFailures bool
}

// StreamSource is a DynamoDB stream event source mapping.
type StreamSource struct {
	Event                      string
	TableID                    string // logical id of the table
	StartingPosition           string
	BatchSize                  int // 100 when the template says nothing, as on AWS
	MaximumRetryAttempts       int // -1 (retry until the record expires) when unset, as on AWS
	BisectBatchOnFunctionError bool
	ReportBatchItemFailures    bool
	// Filters holds the FilterCriteria patterns; a record is delivered when
	// it matches any of them (see MatchFilter), or always when there is none.
	Filters []json.RawMessage
	// OnFailureQueueID is the logical id of the queue of
	// DestinationConfig.OnFailure, "" when there is none.
	OnFailureQueueID string
}

// Route is an HttpApi (or Api) event: one method and path.
type Route struct {
	Event  string
	Method string // upper case; ANY matches every method
	Path   string // as written in the template, e.g. /api/documents/{id}
}

// Schedule is a Schedule or ScheduleV2 event.
type Schedule struct {
	Event      string
	Type       string // Schedule (EventBridge rule) or ScheduleV2 (EventBridge Scheduler)
	Expression string // rate(...) or cron(...)
	Input      string // JSON payload, empty when the template gives none
	// Timezone is ScheduleV2's ScheduleExpressionTimezone; "" means UTC.
	Timezone string
	// Disabled is set by Enabled: false or State: DISABLED.
	Disabled bool
}

// QueueURL returns the URL of the queue with logical id id, or "" when the
// stack has no such queue.
func (s *Stack) QueueURL(id string) string { return s.attrs[id]["QueueUrl"] }

// QueueARN returns the ARN of the queue with logical id id, or "".
func (s *Stack) QueueARN(id string) string {
	if s.Types[id] != typeQueue {
		return ""
	}
	return s.attrs[id]["Arn"]
}

// StreamARN returns the latest stream ARN of the table with logical id
// tableID, or "" when it has no stream.
func (s *Stack) StreamARN(tableID string) string { return s.attrs[tableID]["StreamArn"] }

// Attr returns what Fn::GetAtt id.attr resolved to locally, or "".
func (s *Stack) Attr(id, attr string) string { return s.attrs[id][attr] }

// Ref returns what Ref id resolved to locally (a queue's URL, a secret's
// ARN, most other resources' name), or "".
func (s *Stack) Ref(id string) string { return s.refs[id] }

// FunctionEnv returns the environment of a function: Globals merged with
// the function's own variables, every intrinsic resolved. It returns nil for
// an unknown function. The map is a copy.
func (s *Stack) FunctionEnv(functionID string) map[string]string {
	f, ok := s.functions[functionID]
	if !ok {
		return nil
	}
	return maps.Clone(f.Env)
}

// dynamicSecret matches CloudFormation's dynamic reference to a whole secret string.
var dynamicSecret = regexp.MustCompile(`^\{\{resolve:secretsmanager:(.+?):SecretString(?::[^}]*)?\}\}$`)

// resolveDynamic replaces a {{resolve:secretsmanager:…:SecretString}} value by the
// secret's value, as CloudFormation does at deploy time.
func (s *Stack) resolveDynamic(v string) string {
	if m := dynamicSecret.FindStringSubmatch(v); m != nil {
		if value, ok := s.secrets[m[1]]; ok {
			return value
		}
	}
	return v
}

// Functions returns every function of the template by logical id.
func (s *Stack) Functions() map[string]Function {
	out := make(map[string]Function, len(s.functions))
	for id, f := range s.functions {
		f.Env = maps.Clone(f.Env)
		out[id] = f
	}
	return out
}
