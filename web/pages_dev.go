package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// The dev mailbox: under `openimi dev` only, a page listing what the local
// Mailpit received, so that a newcomer can read the demo's mails and follow
// their links in the browser. A mail is shown as its text part, with its
// links made clickable: its HTML would need inline styles and a frame,
// which the pages' Content-Security-Policy rightly forbids.

type devMailSummary struct {
	ID      string    `json:"ID"`
	Subject string    `json:"Subject"`
	Created time.Time `json:"Created"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

type devMailboxData struct {
	Messages []devMailSummary
}

type devMailData struct {
	Subject  string
	To       []string
	Created  time.Time
	Segments []textSegment
}

// textSegment is a run of a mail's text, or a link in it.
type textSegment struct {
	Text string
	Href string
}

func (h *Handler) devMailbox(w http.ResponseWriter, r *http.Request) {
	var list struct {
		Messages []devMailSummary `json:"messages"`
	}
	if err := h.mailpit(r.Context(), "/api/v1/messages?limit=100", &list); err != nil {
		h.fail(w, r, err)
		return
	}
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "devmail.title")
	p.Data = devMailboxData{Messages: list.Messages}
	h.render(w, r, http.StatusOK, "dev/mailbox", p)
}

func (h *Handler) devMailMessage(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Subject string    `json:"Subject"`
		Date    time.Time `json:"Date"`
		Text    string    `json:"Text"`
		To      []struct {
			Address string `json:"Address"`
		} `json:"To"`
	}
	if err := h.mailpit(r.Context(), "/api/v1/message/"+url.PathEscape(r.PathValue("id")), &msg); err != nil {
		h.fail(w, r, err)
		return
	}
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "devmail.title")
	data := devMailData{Subject: msg.Subject, Created: msg.Date, Segments: linkify(msg.Text)}
	for _, to := range msg.To {
		data.To = append(data.To, to.Address)
	}
	p.Data = data
	h.render(w, r, http.StatusOK, "dev/message", p)
}

func (h *Handler) mailpit(ctx context.Context, path string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.devMail+path, nil)
	if err != nil {
		return fmt.Errorf("dev mailbox: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("dev mailbox: ask Mailpit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return errNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("dev mailbox: Mailpit answered %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("dev mailbox: read Mailpit's answer: %w", err)
	}
	return nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify splits a mail's text into plain runs and http(s) links, which the
// template writes as anchors (html/template escapes both).
func linkify(text string) []textSegment {
	var out []textSegment
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		if m[0] > last {
			out = append(out, textSegment{Text: text[last:m[0]]})
		}
		link := text[m[0]:m[1]]
		out = append(out, textSegment{Text: link, Href: link})
		last = m[1]
	}
	if last < len(text) {
		out = append(out, textSegment{Text: text[last:]})
	}
	return out
}
