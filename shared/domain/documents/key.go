package documents

import (
	"net/url"
	"path"
	"strings"
)

// Kinds of inbox files.
const (
	KindDocument    = "documents"
	KindReferential = "customers"
)

// InboxKey is a parsed inbox object key: inbox/{space}/{kind}/{rest}.
type InboxKey struct {
	Raw   string // the decoded key, as stored in S3
	Space string
	Kind  string // documents, customers or anything else billing put there
	Rest  string // everything after inbox/{space}/
}

// ParseInboxKey decodes an S3 event key (URL-encoded, `+` for space) and splits it.
// ok is false for anything outside inbox/{space}/…, which ingestion must ignore.
func ParseInboxKey(eventKey string) (InboxKey, bool) {
	raw, err := url.QueryUnescape(eventKey)
	if err != nil {
		return InboxKey{}, false
	}
	parts := strings.SplitN(raw, "/", 3)
	if len(parts) < 3 || parts[0] != "inbox" || parts[1] == "" || parts[2] == "" || strings.HasSuffix(raw, "/") {
		return InboxKey{}, false
	}
	k := InboxKey{Raw: raw, Space: parts[1], Rest: parts[2]}
	if i := strings.IndexByte(parts[2], '/'); i > 0 {
		k.Kind = parts[2][:i]
	}
	return k, true
}

// Ext is the lower-cased extension of the key, without the dot.
func (k InboxKey) Ext() string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(k.Raw), "."))
}

// RejectedKey is where a rejected file goes, keeping billing's sub-folders.
func (k InboxKey) RejectedKey() string { return "rejected/" + k.Space + "/" + k.Rest }

// ProcessedKey is where an applied referential goes; ts keeps daily files apart.
func (k InboxKey) ProcessedKey(ts string) string {
	return "processed/" + k.Space + "/" + k.Rest + "." + ts
}

// ReportKey is where a referential's report goes.
func (k InboxKey) ReportKey(ts string) string {
	return "reports/" + k.Space + "/" + k.Rest + "." + ts + ".report.json"
}
