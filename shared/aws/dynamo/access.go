package dynamo

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Logical ids of the tables in template.yaml, as grants name them.
const (
	MainTable      = "MainTable"
	DocumentsTable = "DocumentsTable"
	OutboxTable    = "OutboxTable"
)

// Grant is one IAM statement of a function's role on DynamoDB: Actions (without the
// "dynamodb:" prefix) on a table, or on one of its indexes, for the items whose partition
// key (the index's, for an index) matches one of Keys. A key is exact, or a prefix ending
// in "*", as StringLike reads it under ForAllValues on dynamodb:LeadingKeys; no Keys means
// every item, for tables that hold one kind of item or whose every kind the function needs.
type Grant struct {
	Sid     string
	Table   string
	Index   string
	Actions []string
	Keys    []string
}

// Access is what each function of template.yaml may do on DynamoDB, one Grant per
// statement of its role. The template tests hold every role to exactly this, and
// Confine holds the code to it, so a call outside it fails in tests as IAM would refuse
// it in AWS. docs/DATA.md prints it (AccessTable).
var Access = map[string][]Grant{
	"AuthFunction": {
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"HEALTH", "SPACE#*", "SESS#*", "ACCT#*", "CUST#*", "TOKEN#*", "RECOVERY#*", "RATE#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"SESS#*", "TOKEN#*", "RECOVERY#*", "AUDIT#*"}},
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"SESS#*", "ACCT#*", "RATE#*"}},
		{Sid: "CheckAccounts", Table: MainTable, Actions: []string{"ConditionCheckItem"},
			Keys: []string{"ACCT#*"}},
		{Sid: "DeleteMain", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"SESS#*", "TOKEN#*", "RECOVERY#*"}},
		{Sid: "AccountsByEmail", Table: MainTable, Index: "gsi1", Actions: []string{"Query"},
			Keys: []string{"EMAIL#*"}},
		{Sid: "WriteMails", Table: OutboxTable, Actions: []string{"PutItem"},
			Keys: []string{"recovery#*", "pwchanged#*"}},
	},
	"AdminFunction": {
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"SPACE#*", "SESS#*", "ACCT#*", "CUST#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"ACCT#*", "AUDIT#*"}},
		// An admin's own password, re-entered to reset another user's, takes its places on
		// the client's counter and its account's lock window before it is checked.
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"SESS#*", "ACCT#*", "RATE#*"}},
		{Sid: "CheckAccounts", Table: MainTable, Actions: []string{"ConditionCheckItem"},
			Keys: []string{"ACCT#*"}},
		{Sid: "EndDeadSessions", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"SESS#*"}},
		{Sid: "ReadAudit", Table: MainTable, Actions: []string{"Query"},
			Keys: []string{"AUDIT#*"}},
		{Sid: "AccountsOfCompany", Table: MainTable, Index: "gsi2", Actions: []string{"Query"},
			Keys: []string{"COMPANY#*"}},
		{Sid: "WriteMails", Table: OutboxTable, Actions: []string{"PutItem"},
			Keys: []string{"pwchanged#*"}},
	},
	"DocumentsFunction": {
		{Sid: "ReadDocuments", Table: DocumentsTable, Actions: []string{"GetItem", "Query"}},
		{Sid: "ReadDocumentsByNumber", Table: DocumentsTable, Index: "byNumber", Actions: []string{"Query"}},
		{Sid: "MarkDownloaded", Table: DocumentsTable, Actions: []string{"UpdateItem"}},
		// A no-login link checks the customer's registered e-mail (CUST#).
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"SPACE#*", "SESS#*", "ACCT#*", "TOKEN#*", "EXPORT#*", "CUST#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"AUDIT#*", "EXPORT#*"}},
		// An export takes a slot of its company (PRODUCT.md §10); one that could not be
		// queued is marked failed, which frees it.
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"SESS#*", "RATE#*", "EXPORT#*", "EXPSLOTS#*"}},
		{Sid: "EndDeadSessions", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"SESS#*"}},
	},
	"ExportsFunction": {
		{Sid: "ReadDocuments", Table: DocumentsTable, Actions: []string{"GetItem", "Query"}},
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"SPACE#*", "EXPORT#*"}},
		{Sid: "FinishExports", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"EXPORT#*", "EXPSLOTS#*"}},
	},
	"IngestFunction": {
		{Sid: "FileDocuments", Table: DocumentsTable, Actions: []string{"PutItem"}},
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"SPACE#*", "CUST#*", "DOCNUM#*", "EMAILIDS#*", "REFJOB#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"DOCNUM#*", "ACCT#*", "TOKEN#*", "EMAILIDS#*", "DIGESTQ#*", "REFJOB#*"}},
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"CUST#*", "ACCT#*", "DIGESTDUE#*"}},
		{Sid: "EndJobs", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"REFJOB#*"}},
		// Referentials read and create customers 100 and 25 at a time.
		{Sid: "BatchCustomers", Table: MainTable, Actions: []string{"BatchGetItem", "BatchWriteItem"},
			Keys: []string{"CUST#*"}},
		{Sid: "WriteMails", Table: OutboxTable, Actions: []string{"PutItem"},
			Keys: []string{"activation#*", "notify#*"}},
	},
	"MailerFunction": {
		{Sid: "ReadAndMarkOutbox", Table: OutboxTable, Actions: []string{"GetItem", "UpdateItem"}},
		{Sid: "ReadSpaces", Table: MainTable, Actions: []string{"GetItem"}, Keys: []string{"SPACE#*"}},
		{Sid: "TakeSendSlots", Table: MainTable, Actions: []string{"UpdateItem"}, Keys: []string{"SENDRATE#*"}},
	},
	"MailRedriveFunction": {
		{Sid: "ReadAndMarkOutbox", Table: OutboxTable, Actions: []string{"GetItem", "UpdateItem"}},
		{Sid: "DueMails", Table: OutboxTable, Index: "byDue", Actions: []string{"Query"}, Keys: []string{"DUE#*"}},
		{Sid: "ReadSpaces", Table: MainTable, Actions: []string{"GetItem"}, Keys: []string{"SPACE#*"}},
		{Sid: "TakeSendSlots", Table: MainTable, Actions: []string{"UpdateItem"}, Keys: []string{"SENDRATE#*"}},
	},
	"MailEventsFunction": {
		{Sid: "SetMailStatus", Table: MainTable, Actions: []string{"GetItem", "UpdateItem"}, Keys: []string{"CUST#*"}},
		// A delivery of a recovery mail names no company: the address's accounts do.
		{Sid: "AccountsOfAddress", Table: MainTable, Index: "gsi1", Actions: []string{"Query"}, Keys: []string{"EMAIL#*"}},
	},
	"DigestFunction": {
		{Sid: "ListSpaces", Table: MainTable, Index: "gsi1", Actions: []string{"Query"}, Keys: []string{"SPACES"}},
		{Sid: "ReadQueues", Table: MainTable, Actions: []string{"Query"},
			Keys: []string{"DIGESTDUE#*", "DIGESTQ#*"}},
		{Sid: "ReadCustomers", Table: MainTable, Actions: []string{"GetItem"}, Keys: []string{"CUST#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"TOKEN#*", "DIGEST#*"}},
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"}, Keys: []string{"DIGESTDUE#*"}},
		{Sid: "DeleteMain", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"DIGESTQ#*", "DIGESTDUE#*"}},
		{Sid: "WriteMails", Table: OutboxTable, Actions: []string{"PutItem"}, Keys: []string{"digest#*"}},
	},
	"PurgeFunction": nil,
	// The supplier console (PRODUCT.md §11): its members, their sessions and set-password
	// links; the customers of the member's space, read through their search indexes; a
	// new activation for a customer's registered admin; a mail status cleared.
	"StaffFunction": {
		{Sid: "ReadMain", Table: MainTable, Actions: []string{"GetItem"},
			Keys: []string{"SPACE#*", "STAFF#*", "STAFFSESS#*", "STAFFTOKEN#*", "CUST#*", "ACCT#*"}},
		{Sid: "PutMain", Table: MainTable, Actions: []string{"PutItem"},
			Keys: []string{"STAFF#*", "STAFFSESS#*", "STAFFTOKEN#*", "AUDIT#*", "TOKEN#*"}},
		// CUST#: a member clears a customer's mail status.
		{Sid: "UpdateMain", Table: MainTable, Actions: []string{"UpdateItem"},
			Keys: []string{"STAFF#*", "STAFFSESS#*", "STAFFTOKEN#*", "ACCT#*", "RATE#*", "CUST#*"}},
		{Sid: "DeleteMain", Table: MainTable, Actions: []string{"DeleteItem"},
			Keys: []string{"STAFFSESS#*", "STAFFTOKEN#*"}},
		{Sid: "ReadAudit", Table: MainTable, Actions: []string{"Query"}, Keys: []string{"AUDIT#*"}},
		{Sid: "CustomersByNumber", Table: MainTable, Index: "gsi1", Actions: []string{"Query"}, Keys: []string{"CUSTNO#*", "EMAIL#*"}},
		{Sid: "CustomersByName", Table: MainTable, Index: "gsi2", Actions: []string{"Query"}, Keys: []string{"CUSTNAME#*", "COMPANY#*"}},
		{Sid: "CustomersBySiren", Table: MainTable, Index: "gsi3", Actions: []string{"Query"}, Keys: []string{"CUSTSIREN#*"}},
		{Sid: "CustomersByEmail", Table: MainTable, Index: "gsi4", Actions: []string{"Query"}, Keys: []string{"CUSTEMAIL#*"}},
		{Sid: "ReadDocuments", Table: DocumentsTable, Actions: []string{"GetItem", "Query"}},
		{Sid: "ReadDocumentsByNumber", Table: DocumentsTable, Index: "byNumber", Actions: []string{"Query"}},
		{Sid: "WriteMails", Table: OutboxTable, Actions: []string{"PutItem"}, Keys: []string{"activation#*"}},
		{Sid: "CompanyMails", Table: OutboxTable, Index: "byCompany", Actions: []string{"Query"}},
	},
}

// PartitionKeys names the partition key attribute of each table and index ("Table/index"),
// which dynamodb:LeadingKeys reads; the template tests check them against the tables.
var PartitionKeys = map[string]string{
	MainTable:                            "pk",
	MainTable + "/gsi1":                  "gsi1pk",
	MainTable + "/gsi2":                  "gsi2pk",
	MainTable + "/gsi3":                  "gsi3pk",
	MainTable + "/gsi4":                  "gsi4pk",
	DocumentsTable:                       "pk",
	DocumentsTable + "/" + byNumberIndex: "pk",
	OutboxTable:                          "pk",
	OutboxTable + "/" + dueIndex:         "dueShard",
	OutboxTable + "/byCompany":           "company",
}

// Resource is the grant's table, or "Table/index".
func (g Grant) Resource() string {
	if g.Index == "" {
		return g.Table
	}
	return g.Table + "/" + g.Index
}

// allows reports whether the grant lets action touch the items of resource whose
// partition keys are keys: every key must match one pattern (ForAllValues).
func (g Grant) allows(action, resource string, keys []string) bool {
	if g.Resource() != resource || !slices.Contains(g.Actions, action) {
		return false
	}
	if len(g.Keys) == 0 {
		return true
	}
	for _, k := range keys {
		if !slices.ContainsFunc(g.Keys, func(p string) bool { return keyMatches(p, k) }) {
			return false
		}
	}
	return true
}

func keyMatches(pattern, key string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, prefix)
	}
	return pattern == key
}

// AccessTable renders Access as the Markdown table docs/DATA.md shows: per function, the
// actions per table and the partition keys they may touch.
func AccessTable() string {
	var b strings.Builder
	b.WriteString("| function | table or index | actions | partition keys |\n| --- | --- | --- | --- |\n")
	for _, fn := range slices.Sorted(maps.Keys(Access)) {
		grants := Access[fn]
		if len(grants) == 0 {
			fmt.Fprintf(&b, "| %s | none | | |\n", fn)
			continue
		}
		for _, g := range grants {
			keys := "any"
			if len(g.Keys) > 0 {
				keys = "`" + strings.Join(g.Keys, "`, `") + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", fn, g.Resource(), strings.Join(g.Actions, ", "), keys)
		}
	}
	return b.String()
}
