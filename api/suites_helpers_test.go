package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"regexp"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// The suites' cast (hostile input, outsiders): the two parties of a
// request, their countries' coordinators and the helpdesk.
type suiteCast struct {
	sys        *systemtest.System
	requester  systemtest.Official // DE, request handler in services
	responder  systemtest.Official // PL, request handler and allocator in services
	deCoord    systemtest.Official
	plCoord    systemtest.Official
	plOther    systemtest.Official // another PL authority in services, to forward to
	helpdesk   string
	servicesDE []models.AuthorityArea
}

func newSuiteCast(t *testing.T, sys *systemtest.System) *suiteCast {
	t.Helper()
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	return &suiteCast{
		sys: sys,
		requester: sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{
			{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.LocalDataAdministrator}}),
		responder: sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{
			{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}}),
		deCoord: sys.NationalCoordinator(t, "DE"),
		plCoord: sys.NationalCoordinator(t, "PL"),
		plOther: sys.Authority(t, "PL", "Mazowieckie", areas, []models.UserRole{
			{Role: models.RequestHandler, AreaCode: "services"}}),
		helpdesk:   sys.HelpdeskToken(t),
		servicesDE: areas,
	}
}

// requestIn is a request of the cast brought to a state: DRAFT,
// AWAITING_ACCEPTANCE, ACCEPTED, PROPOSED (accepted, a new date proposed
// by the responder), ANSWERED, CLARIFICATION_REQUESTED or REFERRED. The
// draft carries marker in every personal field and a personal attachment.
type requestIn struct {
	ID         string
	Attachment string
}

func (c *suiteCast) requestIn(t *testing.T, state, marker string) requestIn {
	t.Helper()
	sys := c.sys
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests", c.requester.Token, map[string]any{
		"area": "services", "responding_authority": c.responder.AuthorityID.String(),
		"subject": "Construction company checked by the suites", "subject_lang": "en",
		"questions": []string{"legally-established", "registration-date", "sanctions"},
		"free_text": "free text " + marker, "free_text_lang": "en",
		"personal_data": map[string]string{"name": "Name " + marker, "date_of_birth": "1975-03-14"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 20).Format(time.DateOnly),
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create draft: %d %s", resp.Status, resp.Body)
	}
	var out requestIn
	resp.JSON(t, &out)
	out.Attachment = c.attach(t, c.requester.Token, out.ID, "passport-"+marker+".pdf", true)
	step := func(who systemtest.Official, action string, body any) {
		t.Helper()
		if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+out.ID+"/"+action, who.Token, body); r.Status != http.StatusOK {
			t.Fatalf("bring the request to %s: %s: %d %s", state, action, r.Status, r.Body)
		}
	}
	order := []string{"DRAFT", "AWAITING_ACCEPTANCE", "ACCEPTED", "ANSWERED", "CLARIFICATION_REQUESTED"}
	reach := func(s string) bool {
		want := state
		switch state {
		case "PROPOSED":
			want = "ACCEPTED"
		case "REFERRED":
			want = "ANSWERED"
		}
		return indexOf(order, s) <= indexOf(order, want)
	}
	if reach("AWAITING_ACCEPTANCE") {
		step(c.requester, "send", nil)
	}
	if reach("ACCEPTED") {
		step(c.responder, "accept", map[string]any{"text": "accepted " + marker, "text_lang": "en"})
	}
	if state == "PROPOSED" {
		step(c.responder, "propose-deadline", map[string]any{"proposed_reply_date": time.Now().UTC().AddDate(0, 0, 40).Format(time.DateOnly), "text": "later " + marker, "text_lang": "en"})
	}
	if reach("ANSWERED") {
		step(c.responder, "answer", map[string]any{"answers": []map[string]string{
			{"question": "legally-established", "value": "yes"},
			{"question": "registration-date", "value": "2019-05-02"},
			{"question": "sanctions", "value": "no"},
		}, "text": "answer " + marker, "text_lang": "en"})
	}
	if reach("CLARIFICATION_REQUESTED") {
		step(c.requester, "request-clarification", map[string]any{"text": "clarify " + marker, "text_lang": "en"})
	}
	if state == "REFERRED" {
		step(c.requester, "refer", map[string]any{"text": "refer " + marker, "text_lang": "en"})
	}
	return out
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return len(s)
}

// attach uploads a small PDF and returns its id.
func (c *suiteCast) attach(t *testing.T, token, id, filename string, personal bool) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", filename)
	part.Write([]byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"))
	p := "false"
	if personal {
		p = "true"
	}
	w.WriteField("personal", p)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.sys.URL+"/api/v1/requests/"+id+"/attachments", nil)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp := c.sys.Send(t, req, body.Bytes())
	if resp.Status != http.StatusCreated {
		t.Fatalf("attach %s: %d %s", filename, resp.Status, resp.Body)
	}
	return resp.Map(t)["id"].(string)
}

// stateOf reads a request's state as its requester sees it.
func (c *suiteCast) stateOf(t *testing.T, id string) (string, int) {
	t.Helper()
	resp := c.sys.Do(t, http.MethodGet, "/api/v1/requests/"+id, c.requester.Token, nil)
	if resp.Status != http.StatusOK {
		return "", resp.Status
	}
	state, _ := resp.Map(t)["state"].(string)
	return state, resp.Status
}

// noActivityRetrying fails the test when the request's workflow has an
// activity that failed and is being retried, the mark of an input that
// wedges a request, and waits for its pending activities to finish.
func (c *suiteCast) noActivityRetrying(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		described, err := c.sys.App.Temporal.DescribeWorkflow(ctx, "request/"+id, "")
		if err != nil {
			return // a draft has no workflow
		}
		desc := described.RawResponse
		pending := desc.GetPendingActivities()
		for _, a := range pending {
			if a.GetAttempt() > 1 || a.GetLastFailure() != nil {
				t.Errorf("request %s: activity %s is being retried (attempt %d): %v",
					id, a.GetActivityType().GetName(), a.GetAttempt(), a.GetLastFailure().GetMessage())
				return
			}
		}
		if len(pending) == 0 || desc.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("request %s: activities still pending after 10 s: %v", id, pending)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stillUsable proves a request survived what was done to it: no activity
// retrying, its requester reads it, and a legal action for its state
// succeeds (a message while it is open, an edit while a draft).
func (c *suiteCast) stillUsable(t *testing.T, id string) {
	t.Helper()
	c.noActivityRetrying(t, id)
	state, status := c.stateOf(t, id)
	switch state {
	case "":
		if status != http.StatusNotFound { // a deleted draft is gone, rightly
			t.Errorf("request %s: its requester reads it with %d", id, status)
		}
	case "DRAFT":
		if r := c.sys.Do(t, http.MethodPatch, "/api/v1/requests/"+id, c.requester.Token, map[string]any{"subject": "still usable"}); r.Status != http.StatusOK {
			t.Errorf("request %s: a legal edit of the draft afterwards: %d %s", id, r.Status, r.Body)
		}
	case "CLOSED", "WITHDRAWN":
		// Ended by a legal action among the hostile ones: nothing more to do.
	default:
		if r := c.sys.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/message", c.requester.Token,
			map[string]any{"text": "still usable", "text_lang": "en"}); r.Status != http.StatusOK {
			t.Errorf("request %s (%s): a legal message afterwards: %d %s", id, state, r.Status, r.Body)
		}
	}
}

// registration has a coordinator invite an authority of its country and
// the authority register itself; it returns the registration's id.
func (c *suiteCast) registration(t *testing.T, coordinator systemtest.Official, country, marker string) string {
	t.Helper()
	sys := c.sys
	invitee := systemtest.UniqueEmail("suite-invitee")
	if r := sys.Do(t, http.MethodPost, "/api/v1/invitations", coordinator.Token, map[string]any{"email": invitee, "language": "en"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	msg := sys.Mail.WaitForMessages(t, invitee, 1, 30*time.Second)[0]
	m := regexp.MustCompile(`invitation=([A-Za-z0-9_-]+)`).FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("invitation mail without a link:\n%s", msg.Text)
	}
	// The invitee registers from a machine of its own: the suite's hostile
	// registrations from the test's address use up that address's allowance
	// of unknown links, as an attacker's would.
	resp := postFrom(t, sys, "127.0.3.1", "/api/v1/registrations", map[string]any{
		"invitation_token": m[1],
		"authority": map[string]any{
			"official_name": "Suite authority " + marker, "official_name_lang": "en", "country": country, "level": "national",
			"functional_mailbox": systemtest.UniqueEmail("suite-mailbox"),
			"areas":              []map[string]any{{"area": "services", "competences": []string{"construction"}}},
		},
		"first_user": map[string]any{"email": systemtest.UniqueEmail("suite-first"), "display_name": "First " + marker, "language": "en", "password": systemtest.ActivePassword},
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.Status, resp.Body)
	}
	return resp.Map(t)["id"].(string)
}
