package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// TestRequest_UnacceptedRequestIsRemindedAndEscalatedAndEveryMailArrivesOnce
// runs a request whose acceptance is late, so that the workflow reminds
// and escalates it, then follows it to closure, and counts the mails each
// person received: exactly the set SPEC §3 promises, none twice.
func TestRequest_UnacceptedRequestIsRemindedAndEscalatedAndEveryMailArrivesOnce(t *testing.T) {
	day := 300 * time.Millisecond
	sys := systemtest.Start(t, systemtest.Options{Day: day})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	requester := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	responder := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	plCoordinator := sys.NationalCoordinator(t, "PL")
	deCoordinator := sys.NationalCoordinator(t, "DE")
	var mailbox string
	if err := sys.Store.DB().Raw("SELECT functional_mailbox FROM authorities WHERE id = ?", responder.AuthorityID).Scan(&mailbox).Error; err != nil {
		t.Fatal(err)
	}
	// A second handler whose address is broken: their mail fails, and the
	// request goes on regardless.
	broken := sys.Authority(t, "PL", "Pomorskie", areas, nil)
	if err := sys.Store.DB().Exec("UPDATE users SET authority_id = ?, email = 'broken address' WHERE id = ?", responder.AuthorityID, broken.UserID).Error; err != nil {
		t.Fatal(err)
	}
	if err := sys.Store.DB().Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, 'request_handler', 'services')", broken.UserID).Error; err != nil {
		t.Fatal(err)
	}

	resp := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(),
		"subject": "Bauunternehmen", "subject_lang": "de", "questions": []string{"legally-established"},
		"needed_by": time.Now().UTC().AddDate(0, 0, 40).Format("2006-01-02"),
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", resp.Status, resp.Body)
	}
	id := resp.Map(t)["id"].(string)
	act(t, sys, requester, id, "send", nil, http.StatusOK)

	// Nobody accepts: reminded on days 3 and 6, escalated on day 7.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var escalated bool
		sys.Store.DB().Raw("SELECT escalated_at IS NOT NULL FROM requests WHERE id = ?", id).Scan(&escalated)
		if escalated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unaccepted request was not escalated")
		}
		time.Sleep(50 * time.Millisecond)
	}
	list := sys.Do(t, http.MethodGet, "/api/v1/requests?box=incoming&escalated=true", responder.Token, nil)
	if m := list.Map(t); list.Status != http.StatusOK || m["total"] != float64(1) {
		t.Errorf("incoming escalated requests: %d %v, want this one", list.Status, m)
	}

	act(t, sys, responder, id, "accept", nil, http.StatusOK)
	act(t, sys, responder, id, "answer", map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}, http.StatusOK)
	act(t, sys, requester, id, "close", nil, http.StatusOK)

	want := map[string]int{
		// received, reminders on days 3 and 6, closed
		responder.Email: 4,
		// received
		mailbox: 1,
		// escalated on day 7
		plCoordinator.Email: 1,
		// accepted, answered
		requester.Email: 2,
	}
	for address, n := range want {
		if got := sys.Mail.WaitForMessages(t, address, n, 30*time.Second); len(got) != n {
			t.Errorf("%s received %d mails, want %d", address, len(got), n)
		}
	}
	// Wait a little more than the dispatcher's poll, then count again: any
	// duplicate would have arrived by now.
	time.Sleep(2 * time.Second)
	for address, n := range want {
		if got := sys.Mail.Messages(t, address); len(got) != n {
			var subjects []string
			for _, m := range got {
				subjects = append(subjects, m.Subject)
			}
			t.Errorf("%s received %d mails in the end, want %d: %v", address, len(got), n, subjects)
		}
	}
	if got := sys.Mail.Messages(t, deCoordinator.Email); len(got) != 0 {
		t.Errorf("the requesting country's coordinator received %d mails, want none", len(got))
	}
	var failed int64
	sys.Store.DB().Raw("SELECT count(*) FROM mail_outbox WHERE recipient = 'broken address' AND status = 'failed'").Scan(&failed)
	if failed == 0 {
		t.Error("the mails to the broken address are not recorded as failed")
	}
	var state string
	sys.Store.DB().Raw("SELECT state FROM requests WHERE id = ?", id).Scan(&state)
	if state != "CLOSED" {
		t.Errorf("request %s despite the failed mails, want CLOSED", state)
	}
}
