package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

// part is one decoded leaf of a parsed message.
type part struct {
	contentType, disposition, filename, encoding string
	body                                         []byte
}

// parse reads raw back with the standard library only, as a receiving client would.
func parse(t *testing.T, raw []byte) (*netmail.Message, string, []part) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("top content type: %v", err)
	}
	var parts []part
	var walk func(r io.Reader, boundary string)
	walk = func(r io.Reader, boundary string) {
		mr := multipart.NewReader(r, boundary)
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("NextPart: %v", err)
			}
			mt, ps, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if err != nil {
				t.Fatalf("part content type: %v", err)
			}
			if strings.HasPrefix(mt, "multipart/") {
				parts = append(parts, part{contentType: mt})
				walk(p, ps["boundary"])
				continue
			}
			// The reader decodes quoted-printable itself and drops the header.
			body, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("read part: %v", err)
			}
			enc := p.Header.Get("Content-Transfer-Encoding")
			if enc == "base64" {
				body, err = base64.StdEncoding.DecodeString(string(body))
				if err != nil {
					t.Fatalf("base64: %v", err)
				}
			}
			disposition, _, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			parts = append(parts, part{contentType: mt, disposition: disposition, filename: p.FileName(), encoding: enc, body: body})
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		walk(msg.Body, params["boundary"])
	} else {
		body, _ := io.ReadAll(msg.Body)
		parts = append(parts, part{contentType: mediaType, body: body})
	}
	return msg, mediaType, parts
}

func crlfToLF(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }

func TestBuildWithAttachment(t *testing.T) {
	n := notice("fr")
	content, err := RenderDocumentNotice(n)
	if err != nil {
		t.Fatal(err)
	}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 0xff, 0x80, '\n'}, 500)...)
	raw, err := Build(Message{
		From: "no-reply@mail.efacture.example", FromName: "Société Acme Finance", ReplyTo: "support@acme.example",
		To: "pierre@durand.example", Content: content,
		Attachments: []Attachment{{Name: "F-2024-0042.pdf", ContentType: "application/pdf", Data: pdf}},
		MessageID:   "<notify.0042@mail.efacture.example>",
		Headers:     map[string]string{"X-SES-CONFIGURATION-SET": "efacture-mail"},
		Date:        time.Date(2024, 3, 5, 18, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, top, parts := parse(t, raw)

	from, err := netmail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Name != "Société Acme Finance" || from.Address != "no-reply@mail.efacture.example" {
		t.Errorf("got From %v (%v), want Société Acme Finance <no-reply@mail.efacture.example>", from, err)
	}
	if !strings.Contains(msg.Header.Get("From"), "=?utf-8?") {
		t.Errorf("got From %q, want the name RFC 2047-encoded", msg.Header.Get("From"))
	}
	if got, _ := msg.Header.AddressList("Reply-To"); len(got) != 1 || got[0].Address != "support@acme.example" {
		t.Errorf("got Reply-To %v, want support@acme.example", got)
	}
	if got, _ := msg.Header.AddressList("To"); len(got) != 1 || got[0].Address != "pierre@durand.example" {
		t.Errorf("got To %v, want pierre@durand.example", got)
	}
	rawSubject := msg.Header.Get("Subject")
	if !strings.Contains(rawSubject, "=?UTF-8?") {
		t.Errorf("got raw Subject %q, want RFC 2047 encoding", rawSubject)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(rawSubject); err != nil || subject != content.Subject {
		t.Errorf("got Subject %q (%v), want %q", subject, err, content.Subject)
	}
	for name, want := range map[string]string{
		"Message-ID":              "<notify.0042@mail.efacture.example>",
		"MIME-Version":            "1.0",
		"Auto-Submitted":          "auto-generated",
		"X-Ses-Configuration-Set": "efacture-mail",
		"User-Agent":              "",
		"X-Mailer":                "",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("got %s %q, want %q", name, got, want)
		}
	}
	if date, err := msg.Header.Date(); err != nil || !date.Equal(time.Date(2024, 3, 5, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("got Date %v (%v), want 2024-03-05 18:00 UTC", date, err)
	}

	if top != "multipart/mixed" {
		t.Fatalf("got %s, want multipart/mixed", top)
	}
	var kinds []string
	for _, p := range parts {
		kinds = append(kinds, p.contentType)
	}
	if want := "multipart/alternative text/plain text/html application/pdf"; strings.Join(kinds, " ") != want {
		t.Fatalf("got parts %v, want %s", kinds, want)
	}
	if got := crlfToLF(parts[1].body); got != content.Text {
		t.Errorf("got text part %q, want %q", got, content.Text)
	}
	if got := crlfToLF(parts[2].body); got != content.HTML {
		t.Errorf("got HTML part differing from the rendered HTML")
	}
	att := parts[3]
	if att.disposition != "attachment" || att.filename != "F-2024-0042.pdf" || att.encoding != "base64" {
		t.Errorf("got attachment %s %q %s, want attachment F-2024-0042.pdf base64", att.disposition, att.filename, att.encoding)
	}
	if !bytes.Equal(att.body, pdf) {
		t.Errorf("attachment bytes differ from the PDF")
	}
}

func TestBuildWithoutAttachment(t *testing.T) {
	content, err := RenderRecovery(recovery("en"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Build(Message{From: "no-reply@mail.efacture.example", FromName: "Acme Finance", To: "pierre@durand.example", Content: content})
	if err != nil {
		t.Fatal(err)
	}
	msg, top, parts := parse(t, raw)
	if top != "multipart/alternative" || len(parts) != 2 || parts[0].contentType != "text/plain" || parts[1].contentType != "text/html" {
		t.Fatalf("got %s with %v, want multipart/alternative with text then HTML", top, parts)
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); got != content.Subject {
		t.Errorf("got Subject %q, want %q", got, content.Subject)
	}
	if got := msg.Header.Get("Reply-To"); got != "" {
		t.Errorf("got Reply-To %q, want none", got)
	}
	id := msg.Header.Get("Message-ID")
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@mail.efacture.example>") {
		t.Errorf("got Message-ID %q, want a random id on the sender's domain", id)
	}
	if date, err := msg.Header.Date(); err != nil || time.Since(date) > time.Minute {
		t.Errorf("got Date %v (%v), want now", date, err)
	}
}

func TestBuildTextOnly(t *testing.T) {
	raw, err := Build(Message{From: "a@b.example", To: "c@d.example", Content: Content{Subject: "s", Text: "hello\n"}})
	if err != nil {
		t.Fatal(err)
	}
	msg, top, parts := parse(t, raw)
	if got := msg.Header.Get("Subject"); got != "s" {
		t.Errorf("got Subject %q, want the ASCII subject unencoded", got)
	}
	if top != "text/plain" || crlfToLF(parts[0].body) != "hello\n" {
		t.Errorf("got %s %q, want a single text/plain body", top, parts[0].body)
	}
}

func TestBuildErrors(t *testing.T) {
	ok := Message{From: "no-reply@mail.example", To: "pierre@durand.example", Content: Content{Subject: "s", Text: "t"}}
	tests := map[string]func(*Message){
		"bad from":              func(m *Message) { m.From = "not an address" },
		"bad to":                func(m *Message) { m.To = "" },
		"bad reply-to":          func(m *Message) { m.ReplyTo = "x@" },
		"no text":               func(m *Message) { m.Content.Text = " " },
		"reserved header":       func(m *Message) { m.Headers = map[string]string{"subject": "x"} },
		"header name with :":    func(m *Message) { m.Headers = map[string]string{"X-A: b": "x"} },
		"header value with LF":  func(m *Message) { m.Headers = map[string]string{"X-A": "a\nBcc: x@y.example"} },
		"message id with space": func(m *Message) { m.MessageID = "a b@c" },
		"message id without @":  func(m *Message) { m.MessageID = "abc" },
		"attachment path":       func(m *Message) { m.Attachments = []Attachment{{Name: "../x.pdf", Data: []byte("x")}} },
		"attachment empty":      func(m *Message) { m.Attachments = []Attachment{{Name: "x.pdf"}} },
		"attachment type":       func(m *Message) { m.Attachments = []Attachment{{Name: "x.pdf", ContentType: "pdf", Data: []byte("x")}} },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			m := ok
			edit(&m)
			if raw, err := Build(m); err == nil {
				t.Errorf("got a message, want an error:\n%s", raw)
			}
		})
	}
	if _, err := Build(ok); err != nil {
		t.Errorf("the valid base message failed: %v", err)
	}
}

func TestBuildSubjectStaysOneLine(t *testing.T) {
	raw, err := Build(Message{From: "a@b.example", To: "c@d.example", Content: Content{Subject: "Hi\r\nBcc: x@evil.example", Text: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	msg, _, _ := parse(t, raw)
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("Subject") != "Hi Bcc: x@evil.example" {
		t.Errorf("got Subject %q and Bcc %q, want the line break folded away", msg.Header.Get("Subject"), msg.Header.Get("Bcc"))
	}
}

func TestMessageIDFor(t *testing.T) {
	a := MessageIDFor("activation#pierre@durand.example", "mail.example")
	b := MessageIDFor("activation#pierre@durand.example", "mail.example")
	c := MessageIDFor("activation#pierre.durand_1", "mail.example")
	if a != b || a == c {
		t.Errorf("got %q, %q, %q; want the same id for the same key and another for another key", a, b, c)
	}
	if !messageID.MatchString(a) || !strings.HasSuffix(a, "@mail.example") {
		t.Errorf("got %q, want local@mail.example", a)
	}
	if _, err := Build(Message{From: "a@mail.example", To: "c@d.example", Content: Content{Subject: "s", Text: "t"}, MessageID: a}); err != nil {
		t.Errorf("Build refused MessageIDFor's id: %v", err)
	}
}
