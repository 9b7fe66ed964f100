package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// MailMessage is a mail as Mailpit received it.
type MailMessage struct {
	ID      string
	Subject string
	To      []string
	Text    string
	HTML    string
}

type mailpitAddress struct {
	Address string `json:"Address"`
}

type mailpitSummary struct {
	ID      string           `json:"ID"`
	Subject string           `json:"Subject"`
	To      []mailpitAddress `json:"To"`
}

// Messages lists the mails addressed to one recipient, newest first. The
// sink is shared by packages tested in parallel, so tests address mail to
// addresses of their own and ask only for those.
func (m Mail) Messages(t testing.TB, to string) []MailMessage {
	t.Helper()
	var list struct {
		Messages []mailpitSummary `json:"messages"`
	}
	m.getJSON(t, "/api/v1/search?limit=200&query="+url.QueryEscape(`to:"`+to+`"`), &list)
	out := make([]MailMessage, 0, len(list.Messages))
	for _, s := range list.Messages {
		msg := MailMessage{ID: s.ID, Subject: s.Subject}
		exact := false
		for _, a := range s.To {
			msg.To = append(msg.To, a.Address)
			// Mailpit's search matches parts of addresses too.
			exact = exact || strings.EqualFold(a.Address, to)
		}
		if exact {
			out = append(out, msg)
		}
	}
	return out
}

// Message fetches one mail's bodies.
func (m Mail) Message(t testing.TB, id string) MailMessage {
	t.Helper()
	var full struct {
		ID      string           `json:"ID"`
		Subject string           `json:"Subject"`
		To      []mailpitAddress `json:"To"`
		Text    string           `json:"Text"`
		HTML    string           `json:"HTML"`
	}
	m.getJSON(t, "/api/v1/message/"+url.PathEscape(id), &full)
	msg := MailMessage{ID: full.ID, Subject: full.Subject, Text: full.Text, HTML: full.HTML}
	for _, a := range full.To {
		msg.To = append(msg.To, a.Address)
	}
	return msg
}

// WaitForMessages polls until at least n mails reached the recipient, and
// returns them with their bodies; it fails the test after the timeout.
func (m Mail) WaitForMessages(t testing.TB, to string, n int, timeout time.Duration) []MailMessage {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		list := m.Messages(t, to)
		if len(list) >= n {
			for i := range list {
				list[i] = m.Message(t, list[i].ID)
			}
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails reached %s within %v, want %d", len(list), to, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m Mail) getJSON(t testing.TB, path string, into any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("mailpit %s: %v", path, fmt.Errorf("decode: %w", err))
	}
}
