package mail

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Attachment is a file sent with a mail, base64-encoded in the message.
type Attachment struct {
	Name        string // file name shown to the recipient
	ContentType string // empty means application/octet-stream
	Data        []byte
}

// Message is a mail ready to be written as RFC 5322 bytes.
type Message struct {
	From        string // address of the platform's sending domain
	FromName    string // the space's sender display name
	ReplyTo     string // optional
	To          string
	Content     Content
	Attachments []Attachment
	// MessageID without angle brackets; MessageIDFor derives one from the outbox key, so a
	// resent mail keeps its id. Empty means a random id on From's domain.
	MessageID string
	Headers   map[string]string // extra headers; the ones Build writes itself are refused
	Date      time.Time         // zero means now
}

// reservedHeaders are written by Build from Message's fields.
var reservedHeaders = []string{"bcc", "cc", "content-disposition", "content-transfer-encoding",
	"content-type", "date", "from", "message-id", "mime-version", "reply-to", "sender", "subject", "to"}

var (
	headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	messageID  = regexp.MustCompile(`^[!#-'*+\-/-9=?A-Z^-~.]+@[!#-'*+\-/-9=?A-Z^-~.\[\]]+$`)
)

// Build writes m as a raw message: multipart/alternative with the text part first and
// the HTML part second (text only when there is no HTML), inside multipart/mixed when
// there are attachments. Headers with non-ASCII text are RFC 2047-encoded. It returns an
// error for an invalid address, header or attachment; nothing is sent.
func Build(m Message) ([]byte, error) {
	if strings.TrimSpace(m.Content.Text) == "" {
		return nil, fmt.Errorf("mail: build: no text body")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())

	from, err := netmail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: build: from %q: %w", m.From, err)
	}
	from.Name = oneLine(m.FromName)
	msg.FromMailAddress(from)
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: build: to %q: %w", m.To, err)
	}
	msg.ToMailAddress(to)
	if m.ReplyTo != "" {
		replyTo, err := netmail.ParseAddress(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("mail: build: reply-to %q: %w", m.ReplyTo, err)
		}
		msg.ReplyToMailAddress(replyTo)
	}
	msg.Subject(oneLine(m.Content.Subject))

	id := strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">")
	if id == "" {
		id = randomID(from.Address)
	}
	if !messageID.MatchString(id) {
		return nil, fmt.Errorf("mail: build: message id %q: want local@domain", m.MessageID)
	}
	msg.SetMessageIDWithValue(id)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)

	// RFC 3834: out-of-office robots must not answer a machine-sent mail.
	headers := map[string]string{"Auto-Submitted": "auto-generated"}
	for name, value := range m.Headers {
		if !headerName.MatchString(name) || slices.Contains(reservedHeaders, strings.ToLower(name)) {
			return nil, fmt.Errorf("mail: build: header %q not allowed", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("mail: build: header %s: line break in value", name)
		}
		headers[name] = value
	}
	for name, value := range headers {
		msg.SetGenHeader(gomail.Header(name), value)
	}

	msg.SetBodyString(gomail.TypeTextPlain, m.Content.Text)
	if m.Content.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.Content.HTML)
	}
	for _, a := range m.Attachments {
		if err := attach(msg, a); err != nil {
			return nil, err
		}
	}

	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: build: %w", err)
	}
	return buf.Bytes(), nil
}

func attach(msg *gomail.Msg, a Attachment) error {
	name := strings.TrimSpace(a.Name)
	if name == "" || strings.ContainsAny(name, "/\\\"\r\n\x00") {
		return fmt.Errorf("mail: build: attachment name %q not allowed", a.Name)
	}
	if len(a.Data) == 0 {
		return fmt.Errorf("mail: build: attachment %q is empty", name)
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil || len(params) > 0 || !strings.Contains(mediaType, "/") {
		return fmt.Errorf("mail: build: attachment %q: content type %q: want type/subtype", name, a.ContentType)
	}
	return msg.AttachReader(name, bytes.NewReader(a.Data),
		gomail.WithFileContentType(gomail.ContentType(mediaType)), gomail.WithFileEncoding(gomail.EncodingB64))
}

// MessageIDFor derives a stable Message-ID from an outbox key (which may hold '#' and
// '@'), on the sending domain.
func MessageIDFor(outboxKey, domain string) string {
	sum := sha256.Sum256([]byte(outboxKey))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// randomID makes a Message-ID on the sender's domain, so it never names a host.
func randomID(fromAddr string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	return hex.EncodeToString(b) + "@" + domain
}
