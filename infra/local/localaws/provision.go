package localaws

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AccountID is the account moto serves when credentials name no other; Provision asks
// the emulator's STS and uses this only when it does not answer.
const AccountID = "123456789012"

// callerAccount is the account the emulator at cfg says the credentials belong to (STS
// GetCallerIdentity, which moto and LocalStack answer), else AccountID.
func callerAccount(ctx context.Context, cfg aws.Config) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) == "" {
		return AccountID
	}
	return aws.ToString(out.Account)
}

const (
	typeBucket   = "AWS::S3::Bucket"
	typeQueue    = "AWS::SQS::Queue"
	typeTable    = "AWS::DynamoDB::Table"
	typeSecret   = "AWS::SecretsManager::Secret"
	typeFunction = "AWS::Serverless::Function"
)

// provisionRank orders independent resources: queues before the buckets
// that notify them.
var provisionRank = map[string]int{typeSecret: 0, typeQueue: 1, typeTable: 2, typeBucket: 3}

var prefixPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,29}$`)

// Provision creates, through the SDK, the buckets (with their queue
// notifications), queues, tables (indexes, streams, TTL) and secrets that
// templatePath declares, naming each {prefix}-{LogicalId} (buckets
// lower-cased) unless the template names it. params override the
// parameters' defaults. Running it again with the same arguments changes
// nothing and returns the same Stack. Every other resource type is left
// out and listed in Stack.Skipped.
func Provision(ctx context.Context, cfg aws.Config, templatePath, prefix string, params map[string]string) (*Stack, error) {
	if err := AssertLoopback(cfg); err != nil {
		return nil, err
	}
	if !prefixPattern.MatchString(prefix) {
		return nil, fmt.Errorf("provision: prefix %q must match %s (it starts bucket names)", prefix, prefixPattern)
	}
	tpl, err := loadTemplate(templatePath)
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", templatePath, err)
	}
	region := cfg.Region
	if region == "" {
		region = Region
	}
	account := callerAccount(ctx, cfg)
	stack := &Stack{
		Prefix:    prefix,
		Region:    region,
		AccountID: account,
		Params:    map[string]string{},
		Physical:  map[string]string{},
		Types:     map[string]string{},
		refs:      map[string]string{},
		attrs:     map[string]map[string]string{},
		functions: map[string]Function{},
		secrets:   map[string]string{},
	}
	values, err := parameterValues(tpl, params, stack.Params)
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", templatePath, err)
	}
	res := newResolver(tpl, values, region, account, prefix)
	res.refs = stack.refs
	res.attrs = stack.attrs
	p := &provisioner{
		res:     res,
		stack:   stack,
		s3:      NewS3(cfg),
		sqs:     sqs.NewFromConfig(cfg),
		ddb:     dynamodb.NewFromConfig(cfg),
		secrets: secretsmanager.NewFromConfig(cfg),
	}

	var create []string
	for _, id := range tpl.resourceIDs() {
		r := tpl.Resources[id]
		stack.Types[id] = r.Type
		if r.Condition != "" {
			ok, err := res.condition(r.Condition)
			if err != nil {
				return nil, fmt.Errorf("provision %s: resource %s: %w", templatePath, id, err)
			}
			if !ok {
				stack.Skipped = append(stack.Skipped, id)
				continue
			}
		}
		if _, ok := provisionRank[r.Type]; ok {
			create = append(create, id)
			continue
		}
		stack.Skipped = append(stack.Skipped, id)
		p.placeholder(r)
	}
	order, err := dependencyOrder(tpl, create)
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", templatePath, err)
	}
	for _, id := range order {
		if err := p.create(ctx, tpl.Resources[id]); err != nil {
			return nil, fmt.Errorf("provision %s: %s (%s): %w", templatePath, id, tpl.Resources[id].Type, err)
		}
	}
	for _, id := range tpl.resourceIDs() {
		r := tpl.Resources[id]
		if r.Type != typeFunction || r.Condition != "" && !res.conditions[r.Condition] {
			continue
		}
		f, err := p.function(r)
		if err != nil {
			return nil, fmt.Errorf("provision %s: function %s: %w", templatePath, id, err)
		}
		for k, v := range f.Env {
			f.Env[k] = stack.resolveDynamic(v)
		}
		stack.functions[id] = f
	}
	return stack, nil
}

// parameterValues merges defaults and overrides, checks AllowedValues, and
// records the effective values as text in effective.
func parameterValues(tpl *template, overrides map[string]string, effective map[string]string) (map[string]any, error) {
	for name := range overrides {
		if _, ok := tpl.Parameters[name]; !ok {
			return nil, fmt.Errorf("parameter %s is not declared in the template", name)
		}
	}
	values := map[string]any{}
	var missing []string
	for name, raw := range tpl.Parameters {
		def := asMap(raw)
		text, ok := overrides[name]
		if !ok {
			d, has := def["Default"]
			if !has {
				missing = append(missing, name)
				continue
			}
			s, err := scalarString(d)
			if err != nil {
				return nil, fmt.Errorf("parameter %s default: %w", name, err)
			}
			text = s
		}
		if allowed := asList(def["AllowedValues"]); len(allowed) > 0 {
			found := false
			for _, a := range allowed {
				if s, err := scalarString(a); err == nil && s == text {
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("parameter %s: %q is not one of %v", name, text, allowed)
			}
		}
		if pattern := str(def["AllowedPattern"]); pattern != "" {
			// CloudFormation matches the whole value. A pattern RE2 cannot
			// compile is left to CloudFormation.
			if re, err := regexp.Compile("^(?:" + pattern + ")$"); err == nil && !re.MatchString(text) {
				return nil, fmt.Errorf("parameter %s: %q does not match %s", name, text, pattern)
			}
		}
		effective[name] = text
		typ, _ := def["Type"].(string)
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			var list []any
			for _, part := range strings.Split(text, ",") {
				list = append(list, strings.TrimSpace(part))
			}
			values[name] = list
			continue
		}
		values[name] = text
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("parameters without a default need a value: %s", strings.Join(missing, ", "))
	}
	return values, nil
}

// dependencyOrder sorts ids so that every resource comes after the ones it
// refers to, breaking ties by type (queues before buckets) then id.
func dependencyOrder(tpl *template, ids []string) ([]string, error) {
	wanted := map[string]bool{}
	for _, id := range ids {
		wanted[id] = true
	}
	deps := map[string][]string{}
	for _, id := range ids {
		r := tpl.Resources[id]
		for _, d := range append(references(r.Properties), r.DependsOn...) {
			if wanted[d] && d != id {
				deps[id] = append(deps[id], d)
			}
		}
	}
	sorted := slices.Clone(ids)
	sort.Slice(sorted, func(i, j int) bool {
		ri, rj := provisionRank[tpl.Resources[sorted[i]].Type], provisionRank[tpl.Resources[sorted[j]].Type]
		if ri != rj {
			return ri < rj
		}
		return sorted[i] < sorted[j]
	})
	state := map[string]int{} // 1 visiting, 2 done
	var order []string
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("circular dependency: %s", strings.Join(append(path, id), " → "))
		case 2:
			return nil
		}
		state[id] = 1
		for _, d := range deps[id] {
			if err := visit(d, append(path, id)); err != nil {
				return err
			}
		}
		state[id] = 2
		order = append(order, id)
		return nil
	}
	for _, id := range sorted {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

type provisioner struct {
	res     *resolver
	stack   *Stack
	s3      *s3.Client
	sqs     *sqs.Client
	ddb     *dynamodb.Client
	secrets *secretsmanager.Client
}

// nameProperty is the property that names a resource of each type.
var nameProperty = map[string]string{
	typeBucket:                   "BucketName",
	typeQueue:                    "QueueName",
	typeTable:                    "TableName",
	typeSecret:                   "Name",
	typeFunction:                 "FunctionName",
	"AWS::Lambda::Function":      "FunctionName",
	"AWS::SNS::Topic":            "TopicName",
	"AWS::Logs::LogGroup":        "LogGroupName",
	"AWS::IAM::Role":             "RoleName",
	"AWS::CloudWatch::Alarm":     "AlarmName",
	"AWS::SES::ConfigurationSet": "Name",
	"AWS::Scheduler::Schedule":   "Name",
}

// physicalName resolves the template's name for r or derives one.
func (p *provisioner) physicalName(r resource) (string, error) {
	if prop, ok := nameProperty[r.Type]; ok {
		if v, ok := r.Properties[prop]; ok {
			return p.res.resolveString(v)
		}
	}
	if r.Type == typeBucket {
		return p.stack.Prefix + "-" + strings.ToLower(r.ID), nil
	}
	return p.stack.Prefix + "-" + r.ID, nil
}

// placeholder gives a skipped resource a name and an ARN so that function
// environments referring to it still resolve, as they would once deployed.
func (p *provisioner) placeholder(r resource) {
	name, err := p.physicalName(r)
	if err != nil {
		// A name computed from other resources is not worth failing over.
		name = p.stack.Prefix + "-" + r.ID
	}
	p.stack.Physical[r.ID] = name
	arn := placeholderARN(r.Type, p.stack.Region, p.stack.AccountID, name)
	p.res.setAttr(r.ID, "Arn", arn)
	switch r.Type {
	case "AWS::SNS::Topic", "AWS::IAM::ManagedPolicy":
		p.stack.refs[r.ID] = arn
	default:
		p.stack.refs[r.ID] = name
	}
	if r.Type == "AWS::SNS::Topic" {
		p.res.setAttr(r.ID, "TopicName", name)
	}
}

func placeholderARN(typ, region, account, name string) string {
	parts := strings.Split(typ, "::")
	service := strings.ToLower(parts[1])
	kind := strings.ToLower(parts[len(parts)-1])
	switch typ {
	case typeFunction, "AWS::Lambda::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, name)
	case "AWS::IAM::Role", "AWS::IAM::ManagedPolicy":
		return fmt.Sprintf("arn:aws:iam::%s:%s/%s", account, kind, name)
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, account, name)
	}
	if service == "serverless" {
		service = "serverless-" + kind
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", service, region, account, kind, name)
}

func (p *provisioner) create(ctx context.Context, r resource) error {
	props, err := p.res.resolve(r.Properties)
	if err != nil {
		return err
	}
	name, err := p.physicalName(r)
	if err != nil {
		return err
	}
	p.stack.Physical[r.ID] = name
	switch r.Type {
	case typeBucket:
		return p.bucket(ctx, r.ID, name, props.(map[string]any))
	case typeQueue:
		return p.queue(ctx, r.ID, name, props.(map[string]any))
	case typeTable:
		return p.table(ctx, r.ID, name, props.(map[string]any))
	case typeSecret:
		return p.secret(ctx, r.ID, name, props.(map[string]any))
	}
	return fmt.Errorf("no provisioner for %s", r.Type)
}

func (p *provisioner) bucket(ctx context.Context, id, name string, props map[string]any) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if p.stack.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(p.stack.Region),
		}
	}
	if _, err := p.s3.CreateBucket(ctx, in); err != nil {
		var owned *s3types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return err
		}
	}
	p.stack.refs[id] = name
	p.res.setAttr(id, "Arn", "arn:aws:s3:::"+name)
	p.res.setAttr(id, "DomainName", name+".s3.amazonaws.com")
	p.res.setAttr(id, "RegionalDomainName", name+".s3."+p.stack.Region+".amazonaws.com")

	notif := asMap(props["NotificationConfiguration"])
	var queues []s3types.QueueConfiguration
	for i, raw := range asList(notif["QueueConfigurations"]) {
		qc := asMap(raw)
		arn, _ := qc["Queue"].(string)
		event, _ := qc["Event"].(string)
		if arn == "" || event == "" {
			return fmt.Errorf("QueueConfigurations[%d]: Queue and Event are required", i)
		}
		cfg := s3types.QueueConfiguration{QueueArn: aws.String(arn), Events: []s3types.Event{s3types.Event(event)}}
		var rules []s3types.FilterRule
		for _, rr := range asList(asMap(asMap(qc["Filter"])["S3Key"])["Rules"]) {
			rule := asMap(rr)
			n, _ := rule["Name"].(string)
			v, err := scalarString(rule["Value"])
			if err != nil {
				return fmt.Errorf("QueueConfigurations[%d] filter rule: %w", i, err)
			}
			rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleName(strings.ToLower(n)), Value: aws.String(v)})
		}
		if len(rules) > 0 {
			cfg.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}
		}
		queues = append(queues, cfg)
	}
	if len(queues) == 0 {
		return nil
	}
	_, err := p.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(name),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: queues},
	})
	return err
}

// queueAttributes are the CloudFormation properties that are SQS attributes
// of the same name.
var queueAttributes = []string{
	"ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue",
	"FifoThroughputLimit", "MaximumMessageSize", "MessageRetentionPeriod",
	"ReceiveMessageWaitTimeSeconds", "VisibilityTimeout",
}

func (p *provisioner) queue(ctx context.Context, id, name string, props map[string]any) error {
	if fifo, _ := scalarString(props["FifoQueue"]); fifo == "true" && props["QueueName"] == nil {
		name += ".fifo"
		p.stack.Physical[id] = name
	}
	attrs := map[string]string{}
	for _, a := range queueAttributes {
		if v, ok := props[a]; ok {
			s, err := scalarString(v)
			if err != nil {
				return fmt.Errorf("%s: %w", a, err)
			}
			attrs[a] = s
		}
	}
	for _, a := range []string{"RedrivePolicy", "RedriveAllowPolicy"} {
		switch v := props[a].(type) {
		case nil:
		case string:
			attrs[a] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("%s: %w", a, err)
			}
			attrs[a] = string(b)
		}
	}
	var url string
	out, err := p.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	switch {
	case err == nil:
		url = aws.ToString(out.QueueUrl)
	case isAPIError(err, "QueueAlreadyExists", "QueueNameExists"):
		// The queue exists with other attributes: bring them in line.
		got, err := p.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return err
		}
		url = aws.ToString(got.QueueUrl)
		delete(attrs, "FifoQueue")
		if _, err := p.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: attrs}); err != nil {
			return err
		}
	default:
		return err
	}
	got, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return err
	}
	p.stack.refs[id] = url
	p.res.setAttr(id, "QueueUrl", url)
	p.res.setAttr(id, "QueueName", name)
	p.res.setAttr(id, "Arn", got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])
	return nil
}

func (p *provisioner) table(ctx context.Context, id, name string, props map[string]any) error {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name)}
	for _, raw := range asList(props["AttributeDefinitions"]) {
		m := asMap(raw)
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(str(m["AttributeName"])),
			AttributeType: ddbtypes.ScalarAttributeType(str(m["AttributeType"])),
		})
	}
	in.KeySchema = keySchema(props["KeySchema"])
	billing := str(props["BillingMode"])
	if billing == "" {
		billing = string(ddbtypes.BillingModeProvisioned)
	}
	in.BillingMode = ddbtypes.BillingMode(billing)
	provisioned := in.BillingMode == ddbtypes.BillingModeProvisioned
	if provisioned {
		pt, err := throughput(props["ProvisionedThroughput"])
		if err != nil {
			return err
		}
		in.ProvisionedThroughput = pt
	}
	for _, raw := range asList(props["GlobalSecondaryIndexes"]) {
		m := asMap(raw)
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(str(m["IndexName"])),
			KeySchema:  keySchema(m["KeySchema"]),
			Projection: projection(m["Projection"]),
		}
		if provisioned {
			pt, err := throughput(m["ProvisionedThroughput"])
			if err != nil {
				return fmt.Errorf("index %s: %w", str(m["IndexName"]), err)
			}
			gsi.ProvisionedThroughput = pt
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	for _, raw := range asList(props["LocalSecondaryIndexes"]) {
		m := asMap(raw)
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, ddbtypes.LocalSecondaryIndex{
			IndexName:  aws.String(str(m["IndexName"])),
			KeySchema:  keySchema(m["KeySchema"]),
			Projection: projection(m["Projection"]),
		})
	}
	viewType := str(asMap(props["StreamSpecification"])["StreamViewType"])
	if viewType != "" {
		in.StreamSpecification = &ddbtypes.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: ddbtypes.StreamViewType(viewType),
		}
	}

	var desc *ddbtypes.TableDescription
	out, err := p.ddb.CreateTable(ctx, in)
	if err == nil {
		desc = out.TableDescription
	} else {
		var inUse *ddbtypes.ResourceInUseException
		if !errors.As(err, &inUse) {
			return err
		}
		got, err := p.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return err
		}
		desc = got.Table
		if err := sameTable(in, desc); err != nil {
			return fmt.Errorf("table %s exists with another shape: %w", name, err)
		}
	}
	desc, err = p.waitActive(ctx, name, desc)
	if err != nil {
		return err
	}

	if spec := asMap(props["TimeToLiveSpecification"]); len(spec) > 0 {
		attr := str(spec["AttributeName"])
		enabled, _ := scalarString(spec["Enabled"])
		if err := p.timeToLive(ctx, name, attr, enabled == "true"); err != nil {
			return err
		}
	}
	p.stack.refs[id] = name
	p.res.setAttr(id, "Arn", aws.ToString(desc.TableArn))
	if arn := aws.ToString(desc.LatestStreamArn); arn != "" {
		p.res.setAttr(id, "StreamArn", arn)
	}
	return nil
}

func (p *provisioner) waitActive(ctx context.Context, name string, desc *ddbtypes.TableDescription) (*ddbtypes.TableDescription, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for desc.TableStatus != ddbtypes.TableStatusActive {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("table %s still %s: %w", name, desc.TableStatus, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		got, err := p.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		desc = got.Table
	}
	return desc, nil
}

// timeToLive enables TTL unless it already is, since AWS refuses to enable
// it twice.
func (p *provisioner) timeToLive(ctx context.Context, table, attr string, enabled bool) error {
	got, err := p.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return err
	}
	if d := got.TimeToLiveDescription; d != nil {
		on := d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling
		if on == enabled && (!enabled || aws.ToString(d.AttributeName) == attr) {
			return nil
		}
	}
	_, err = p.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(enabled)},
	})
	return err
}

// sameTable reports how an existing table differs from the wanted one in
// what cannot be changed in place: keys, indexes and stream view.
func sameTable(want *dynamodb.CreateTableInput, got *ddbtypes.TableDescription) error {
	if a, b := keyText(want.KeySchema), keyText(got.KeySchema); a != b {
		return fmt.Errorf("key schema %s, want %s", b, a)
	}
	var wantIdx, gotIdx []string
	for _, g := range want.GlobalSecondaryIndexes {
		wantIdx = append(wantIdx, aws.ToString(g.IndexName)+keyText(g.KeySchema))
	}
	for _, g := range got.GlobalSecondaryIndexes {
		gotIdx = append(gotIdx, aws.ToString(g.IndexName)+keyText(g.KeySchema))
	}
	sort.Strings(wantIdx)
	sort.Strings(gotIdx)
	if !slices.Equal(wantIdx, gotIdx) {
		return fmt.Errorf("global indexes %v, want %v", gotIdx, wantIdx)
	}
	var wantView, gotView string
	if want.StreamSpecification != nil {
		wantView = string(want.StreamSpecification.StreamViewType)
	}
	if s := got.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		gotView = string(s.StreamViewType)
	}
	if wantView != gotView {
		return fmt.Errorf("stream view %q, want %q", gotView, wantView)
	}
	return nil
}

func keyText(ks []ddbtypes.KeySchemaElement) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	return "(" + strings.Join(parts, ",") + ")"
}

func keySchema(v any) []ddbtypes.KeySchemaElement {
	var out []ddbtypes.KeySchemaElement
	for _, raw := range asList(v) {
		m := asMap(raw)
		out = append(out, ddbtypes.KeySchemaElement{
			AttributeName: aws.String(str(m["AttributeName"])),
			KeyType:       ddbtypes.KeyType(str(m["KeyType"])),
		})
	}
	return out
}

func projection(v any) *ddbtypes.Projection {
	m := asMap(v)
	p := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(str(m["ProjectionType"]))}
	if p.ProjectionType == "" {
		p.ProjectionType = ddbtypes.ProjectionTypeKeysOnly
	}
	for _, a := range asList(m["NonKeyAttributes"]) {
		p.NonKeyAttributes = append(p.NonKeyAttributes, str(a))
	}
	return p
}

func throughput(v any) (*ddbtypes.ProvisionedThroughput, error) {
	m := asMap(v)
	r, err1 := strconv.ParseInt(str(m["ReadCapacityUnits"]), 10, 64)
	w, err2 := strconv.ParseInt(str(m["WriteCapacityUnits"]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("ProvisionedThroughput (PROVISIONED billing): %w", err)
	}
	return &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(r), WriteCapacityUnits: aws.Int64(w)}, nil
}

func (p *provisioner) secret(ctx context.Context, id, name string, props map[string]any) error {
	value, err := secretValue(props)
	if err != nil {
		return err
	}
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}
	if d := str(props["Description"]); d != "" {
		in.Description = aws.String(d)
	}
	var arn string
	out, err := p.secrets.CreateSecret(ctx, in)
	if err == nil {
		arn = aws.ToString(out.ARN)
		p.stack.secrets[arn] = value
	} else {
		// An existing secret keeps its value: rotating it on every run would
		// invalidate what was signed with it.
		var exists *smtypes.ResourceExistsException
		if !errors.As(err, &exists) {
			return err
		}
		got, err := p.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
		if err != nil {
			return err
		}
		arn = aws.ToString(got.ARN)
		cur, err := p.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: got.ARN})
		if err != nil {
			return err
		}
		p.stack.secrets[arn] = aws.ToString(cur.SecretString)
	}
	p.stack.refs[id] = arn
	p.res.setAttr(id, "Id", arn)
	return nil
}

// secretValue returns SecretString, or a value drawn the way
// GenerateSecretString describes.
func secretValue(props map[string]any) (string, error) {
	if v, ok := props["SecretString"]; ok {
		return scalarString(v)
	}
	gen := asMap(props["GenerateSecretString"])
	length := 32
	if v, ok := gen["PasswordLength"]; ok {
		n, err := strconv.Atoi(str(v))
		if err != nil || n < 1 || n > 4096 {
			return "", fmt.Errorf("PasswordLength %v: want 1 to 4096", v)
		}
		length = n
	}
	flag := func(k string) bool { s, _ := scalarString(gen[k]); return s == "true" }
	classes := []string{}
	if !flag("ExcludeLowercase") {
		classes = append(classes, "abcdefghijklmnopqrstuvwxyz")
	}
	if !flag("ExcludeUppercase") {
		classes = append(classes, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	}
	if !flag("ExcludeNumbers") {
		classes = append(classes, "0123456789")
	}
	if !flag("ExcludePunctuation") {
		classes = append(classes, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
	}
	if flag("IncludeSpace") {
		classes = append(classes, " ")
	}
	exclude := str(gen["ExcludeCharacters"])
	for i, c := range classes {
		classes[i] = strings.Map(func(r rune) rune {
			if strings.ContainsRune(exclude, r) {
				return -1
			}
			return r
		}, c)
	}
	classes = slices.DeleteFunc(classes, func(c string) bool { return c == "" })
	if len(classes) == 0 {
		return "", fmt.Errorf("GenerateSecretString excludes every character")
	}
	requireEach := str(gen["RequireEachIncludedType"]) != "false" && length >= len(classes)
	alphabet := strings.Join(classes, "")
	var value string
	for {
		b := make([]byte, length)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return "", err
			}
			b[i] = alphabet[n.Int64()]
		}
		value = string(b)
		if !requireEach || slices.IndexFunc(classes, func(c string) bool { return !strings.ContainsAny(value, c) }) < 0 {
			break
		}
	}
	if tplText := str(gen["SecretStringTemplate"]); tplText != "" {
		obj := map[string]any{}
		if err := json.Unmarshal([]byte(tplText), &obj); err != nil {
			return "", fmt.Errorf("SecretStringTemplate: %w", err)
		}
		key := str(gen["GenerateStringKey"])
		if key == "" {
			return "", fmt.Errorf("SecretStringTemplate needs GenerateStringKey")
		}
		obj[key] = value
		b, err := json.Marshal(obj)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return value, nil
}

// function collects a serverless function's environment and events.
func (p *provisioner) function(r resource) (Function, error) {
	f := Function{ID: r.ID, Env: map[string]string{}}
	globals := asMap(p.res.tpl.Globals["Function"])
	for _, vars := range []any{
		asMap(globals["Environment"])["Variables"],
		asMap(r.Properties["Environment"])["Variables"],
	} {
		resolved, err := p.res.resolve(asMap(vars))
		if err != nil {
			return f, fmt.Errorf("environment: %w", err)
		}
		for k, v := range resolved.(map[string]any) {
			s, err := scalarString(v)
			if err != nil {
				return f, fmt.Errorf("environment %s: %w", k, err)
			}
			f.Env[k] = s
		}
	}
	f.Timeout = 3 * time.Second
	timeout, ok := r.Properties["Timeout"]
	if !ok {
		timeout, ok = globals["Timeout"]
	}
	if ok {
		s, err := p.res.resolveString(timeout)
		if err != nil {
			return f, fmt.Errorf("property Timeout: %w", err)
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return f, fmt.Errorf("property Timeout %q: want a whole number of seconds", s)
		}
		f.Timeout = time.Duration(n) * time.Second
	}
	for key, dst := range map[string]*string{"CodeUri": &f.CodeURI, "Handler": &f.Handler} {
		v, ok := r.Properties[key]
		if !ok {
			v, ok = globals[key]
		}
		if ok {
			if s, err := p.res.resolveString(v); err == nil {
				*dst = s
			}
		}
	}

	events := asMap(r.Properties["Events"])
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ev := asMap(events[name])
		typ := str(ev["Type"])
		raw := asMap(ev["Properties"])
		resolved, err := p.res.resolve(raw)
		if err != nil {
			return f, fmt.Errorf("event %s: %w", name, err)
		}
		props := resolved.(map[string]any)
		switch typ {
		case "SQS":
			queueID := p.sourceID(raw["Queue"], typeQueue)
			if queueID == "" {
				return f, fmt.Errorf("event %s: Queue does not refer to a queue of the template", name)
			}
			f.SQS = append(f.SQS, SQSSource{
				Event:                   name,
				QueueID:                 queueID,
				BatchSize:               intOr(props["BatchSize"], 10),
				ReportBatchItemFailures: reportsItemFailures(props),
			})
		case "DynamoDB":
			tableID := p.sourceID(raw["Stream"], typeTable)
			if tableID == "" {
				return f, fmt.Errorf("event %s: Stream does not refer to a table of the template", name)
			}
			src := StreamSource{
				Event:                      name,
				TableID:                    tableID,
				StartingPosition:           str(props["StartingPosition"]),
				BatchSize:                  intOr(props["BatchSize"], 100),
				MaximumRetryAttempts:       intOr(props["MaximumRetryAttempts"], -1),
				BisectBatchOnFunctionError: str(props["BisectBatchOnFunctionError"]) == "true",
				ReportBatchItemFailures:    reportsItemFailures(props),
			}
			for i, fr := range asList(asMap(props["FilterCriteria"])["Filters"]) {
				pattern, err := filterPattern(asMap(fr)["Pattern"])
				if err != nil {
					return f, fmt.Errorf("event %s filter %d: %w", name, i, err)
				}
				src.Filters = append(src.Filters, pattern)
			}
			if dest, ok := asMap(asMap(raw["DestinationConfig"])["OnFailure"])["Destination"]; ok {
				src.OnFailureQueueID = p.sourceID(dest, typeQueue)
				if src.OnFailureQueueID == "" {
					return f, fmt.Errorf("event %s: OnFailure destination is not a queue of the template", name)
				}
			}
			f.Streams = append(f.Streams, src)
		case "HttpApi", "Api":
			method := strings.ToUpper(str(props["Method"]))
			path := str(props["Path"])
			if typ == "HttpApi" && method == "" && path == "" {
				method, path = "ANY", "/{proxy+}"
			}
			f.HTTP = append(f.HTTP, Route{Event: name, Method: method, Path: path})
		case "SNS":
			topicID := p.sourceID(raw["Topic"], "AWS::SNS::Topic")
			if topicID == "" {
				return f, fmt.Errorf("event %s: Topic does not refer to a topic of the template", name)
			}
			f.SNS = append(f.SNS, SNSSource{Event: name, TopicID: topicID})
		case "Schedule", "ScheduleV2":
			sch := Schedule{Event: name, Type: typ, Expression: str(props["Schedule"]), Input: str(props["Input"]),
				Disabled: str(props["Enabled"]) == "false"}
			if typ == "ScheduleV2" {
				sch.Expression = str(props["ScheduleExpression"])
				sch.Timezone = str(props["ScheduleExpressionTimezone"])
				sch.Disabled = str(props["State"]) == "DISABLED"
			}
			f.Schedules = append(f.Schedules, sch)
		}
	}
	return f, nil
}

// sourceID finds the logical id of the resource of type typ that an event
// property (such as !GetAtt IngestQueue.Arn) refers to.
func (p *provisioner) sourceID(raw any, typ string) string {
	for _, id := range references(raw) {
		if p.stack.Types[id] == typ {
			return id
		}
	}
	return ""
}

func reportsItemFailures(props map[string]any) bool {
	for _, t := range asList(props["FunctionResponseTypes"]) {
		if str(t) == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}

// filterPattern accepts a pattern written as a JSON string or as YAML.
func filterPattern(v any) (json.RawMessage, error) {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("pattern is not a JSON object: %w", err)
	}
	return json.RawMessage(b), nil
}

func intOr(v any, def int) int {
	if v == nil {
		return def
	}
	n, err := strconv.Atoi(str(v))
	if err != nil {
		return def
	}
	return n
}

// str renders a scalar as text, and anything else as "".
func str(v any) string {
	s, _ := scalarString(v)
	return s
}

func isAPIError(err error, codes ...string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains(codes, api.ErrorCode())
}
