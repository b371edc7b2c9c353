package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Mail is one message captured by aws-ses-v2-local.
type Mail struct {
	MessageID   string
	From        string
	ReplyTo     []string
	To          []string // as the emulator reads them: one entry per To header of a raw message
	Cc          []string
	Bcc         []string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	At          time.Time // second precision
}

// Attachment is a file attached to a captured mail.
type Attachment struct {
	Filename    string
	ContentType string
	Size        int
	Content     []byte
}

type storeJSON struct {
	Emails []struct {
		MessageID   string   `json:"messageId"`
		From        string   `json:"from"`
		ReplyTo     []string `json:"replyTo"`
		Destination struct {
			To  []string `json:"to"`
			Cc  []string `json:"cc"`
			Bcc []string `json:"bcc"`
		} `json:"destination"`
		Subject string `json:"subject"`
		Body    struct {
			Text string `json:"text"`
			HTML string `json:"html"`
		} `json:"body"`
		Attachments []struct {
			Filename    string `json:"filename"`
			ContentType string `json:"contentType"`
			Size        int    `json:"size"`
			Content     []byte `json:"content"` // base64 in the store
		} `json:"attachments"`
		At int64 `json:"at"`
	} `json:"emails"`
}

// SESStore returns every mail the SES emulator at baseURL has captured,
// oldest first. baseURL must be a loopback IP literal URL.
func SESStore(ctx context.Context, baseURL string) ([]Mail, error) {
	body, err := sesCall(ctx, http.MethodGet, baseURL, "/store")
	if err != nil {
		return nil, err
	}
	var store storeJSON
	if err := json.Unmarshal(body, &store); err != nil {
		return nil, fmt.Errorf("ses store: %w", err)
	}
	mails := make([]Mail, 0, len(store.Emails))
	for _, e := range store.Emails {
		m := Mail{
			MessageID: e.MessageID,
			From:      e.From,
			ReplyTo:   e.ReplyTo,
			To:        e.Destination.To,
			Cc:        e.Destination.Cc,
			Bcc:       e.Destination.Bcc,
			Subject:   e.Subject,
			Text:      e.Body.Text,
			HTML:      e.Body.HTML,
			At:        time.Unix(e.At, 0).UTC(),
		}
		for _, a := range e.Attachments {
			m.Attachments = append(m.Attachments, Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Content: a.Content})
		}
		mails = append(mails, m)
	}
	return mails, nil
}

// ClearSESStore forgets every mail the SES emulator at baseURL captured.
// Only clear an emulator you started.
func ClearSESStore(ctx context.Context, baseURL string) error {
	_, err := sesCall(ctx, http.MethodPost, baseURL, "/clear-store")
	return err
}

func sesCall(ctx context.Context, method, baseURL, path string) ([]byte, error) {
	if err := CheckEndpoint(baseURL); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(baseURL, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := loopbackHTTPClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("ses %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("ses %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ses %s: status %d: %.200s", path, resp.StatusCode, body)
	}
	return body, nil
}
