package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openimi/openimi/system/systemtest"
	"github.com/openimi/openimi/system/testenv"
)

// linkToken pulls the single-use token out of a mail's link.
func linkToken(t *testing.T, msg testenv.MailMessage, param string) string {
	t.Helper()
	m := regexp.MustCompile(param + `=([A-Za-z0-9_-]+)`).FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("mail %q has no %s link:\n%s", msg.Subject, param, msg.Text)
	}
	return m[1]
}

// activate follows the activation mail sent to email and signs in.
func activate(t *testing.T, sys *systemtest.System, email string) string {
	t.Helper()
	msgs := sys.Mail.WaitForMessages(t, email, 1, 30*time.Second)
	token := linkToken(t, msgs[0], "token")
	resp := sys.Do(t, http.MethodPost, "/api/v1/auth/activate", "", map[string]string{"token": token, "password": systemtest.ActivePassword})
	if resp.Status != http.StatusNoContent {
		t.Fatalf("activate %s: %d %s", email, resp.Status, resp.Body)
	}
	if again := sys.Do(t, http.MethodPost, "/api/v1/auth/activate", "", map[string]string{"token": token, "password": systemtest.ActivePassword}); again.Status != http.StatusGone {
		t.Errorf("activation link used twice: %d, want 410", again.Status)
	}
	return sys.Login(t, email, systemtest.ActivePassword)
}

func registrationBody(invitation, ldaEmail string) map[string]any {
	return map[string]any{
		"invitation_token": invitation,
		"authority": map[string]any{
			"official_name": "Okręgowa Izba Lekarska w Gdańsku", "official_name_lang": "pl",
			"designation": map[string]string{"pl": "Izba lekarska", "en": "Regional Medical Chamber"},
			"country":     "PL", "region": "Pomorskie", "level": "regional",
			"functional_mailbox": systemtest.UniqueEmail("oil-gdansk"),
			"areas":              []map[string]any{{"area": "professional-qualifications", "competences": []string{"doctor"}}},
		},
		"first_user": map[string]any{"email": ldaEmail, "display_name": "Anna Nowak", "language": "pl", "password": systemtest.ActivePassword},
	}
}

func TestRegistration_InvitedAuthorityIsRemindedEscalatedAndApprovedEndToEnd(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{Day: 400 * time.Millisecond})
	helpdesk := sys.HelpdeskToken(t)

	// The helpdesk registers Poland's national coordinator, who activates
	// the account through the emailed link.
	nimicEmail := systemtest.UniqueEmail("nimic-pl")
	resp := sys.Do(t, http.MethodPost, "/api/v1/coordinators", helpdesk, map[string]any{
		"kind": "national_coordinator",
		"authority": map[string]any{
			"official_name": "Ministerstwo Rozwoju i Technologii", "official_name_lang": "pl", "country": "PL", "level": "national",
			"functional_mailbox": systemtest.UniqueEmail("imi-pl"),
		},
		"first_user": map[string]any{"email": nimicEmail, "display_name": "Koordynator", "language": "pl"},
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create national coordinator: %d %s", resp.Status, resp.Body)
	}
	nimic := activate(t, sys, nimicEmail)

	// The coordinator invites an authority; the invitation arrives by mail.
	invitee := systemtest.UniqueEmail("invitee")
	if resp := sys.Do(t, http.MethodPost, "/api/v1/invitations", nimic, map[string]any{"email": invitee, "language": "pl"}); resp.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", resp.Status, resp.Body)
	}
	invitation := linkToken(t, sys.Mail.WaitForMessages(t, invitee, 1, 30*time.Second)[0], "invitation")

	// The authority registers itself with its first user.
	ldaEmail := systemtest.UniqueEmail("lda")
	resp = sys.Do(t, http.MethodPost, "/api/v1/registrations", "", registrationBody(invitation, ldaEmail))
	if resp.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.Status, resp.Body)
	}
	var reg struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		Authority struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"authority"`
		Timeline []struct {
			Kind string `json:"kind"`
		} `json:"timeline"`
	}
	resp.JSON(t, &reg)
	if reg.Status != "pending" || reg.Authority.Status != "pending_validation" {
		t.Fatalf("registration %+v, want pending", reg)
	}
	if again := sys.Do(t, http.MethodPost, "/api/v1/registrations", "", registrationBody(invitation, systemtest.UniqueEmail("other"))); again.Status != http.StatusGone {
		t.Errorf("invitation used twice: %d %s, want 410", again.Status, again.Body)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": ldaEmail, "password": systemtest.ActivePassword}); r.Status != http.StatusForbidden {
		t.Errorf("first user signs in before validation: %d, want 403", r.Status)
	}

	// Nobody decides: the coordinator is reminded on day 3 and escalated
	// to on day 7 (the national coordinator is both here).
	mails := sys.Mail.WaitForMessages(t, nimicEmail, 4, 30*time.Second) // activation + pending + reminder + escalation
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := sys.Do(t, http.MethodGet, "/api/v1/registrations/"+reg.ID, nimic, nil)
		r.JSON(t, &reg)
		if len(reg.Timeline) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var kinds []string
	for _, ev := range reg.Timeline {
		kinds = append(kinds, ev.Kind)
	}
	if len(kinds) != 3 || kinds[0] != "submitted" || kinds[1] != "reminded" || kinds[2] != "escalated" {
		t.Fatalf("timeline %v, want submitted, reminded, escalated", kinds)
	}
	if len(mails) != 4 {
		t.Errorf("the coordinator got %d mails, want activation, pending, reminder and escalation", len(mails))
	}

	// A coordinator of another country learns nothing of it.
	de := sys.NationalCoordinator(t, "DE")
	if r := sys.Do(t, http.MethodPost, "/api/v1/registrations/"+reg.ID+"/approve", de.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("German coordinator approves a Polish registration: %d, want 404", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/registrations/"+reg.ID, de.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("German coordinator reads a Polish registration: %d, want 404", r.Status)
	}

	// Two approvals at once: one wins, the other is told it is decided.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = sys.Do(t, http.MethodPost, "/api/v1/registrations/"+reg.ID+"/approve", nimic, nil).Status
		})
	}
	wg.Wait()
	if !(statuses[0] == http.StatusOK && statuses[1] == http.StatusConflict) && !(statuses[0] == http.StatusConflict && statuses[1] == http.StatusOK) {
		t.Fatalf("two simultaneous approvals answered %v, want one 200 and one 409", statuses)
	}

	// The authority and its first user are active; the user is told so.
	if msgs := sys.Mail.WaitForMessages(t, ldaEmail, 1, 30*time.Second); len(msgs) != 1 {
		t.Errorf("first user got %d mails, want the approval", len(msgs))
	}
	lda := sys.Login(t, ldaEmail, systemtest.ActivePassword)
	r := sys.Do(t, http.MethodGet, "/api/v1/authorities/"+reg.Authority.ID, lda, nil)
	if m := r.Map(t); r.Status != http.StatusOK || m["status"] != "active" {
		t.Fatalf("authority after approval: %d %v", r.Status, m)
	}

	sys.RecordHistory(t, "registration/"+reg.ID, "registration_v1")

	// Its local data administrator adds an official, who activates.
	handlerEmail := systemtest.UniqueEmail("handler")
	r = sys.Do(t, http.MethodPost, "/api/v1/authorities/"+reg.Authority.ID+"/users", lda, map[string]any{
		"email": handlerEmail, "display_name": "Jan Kowalski", "language": "pl",
		"roles": []map[string]string{{"role": "request_handler", "area": "professional-qualifications"}},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	var handler struct {
		ID string `json:"id"`
	}
	r.JSON(t, &handler)
	handlerToken := activate(t, sys, handlerEmail)
	if r := sys.Do(t, http.MethodGet, "/api/v1/authorities/"+reg.Authority.ID+"/users", handlerToken, nil); r.Status != http.StatusForbidden {
		t.Errorf("a request handler lists the users: %d, want 403", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/authorities/"+reg.Authority.ID+"/users", de.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("another country's coordinator lists the users: %d, want 404", r.Status)
	}

	// Deactivated, the official's token stops working at once.
	r = sys.Do(t, http.MethodPatch, "/api/v1/authorities/"+reg.Authority.ID+"/users/"+handler.ID, lda, map[string]any{"status": "deactivated"})
	if r.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/me", handlerToken, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("deactivated official's token: %d, want 401", r.Status)
	}
}

func TestRegistration_RejectionNeedsAReasonAndLeavesTheAuthorityRejected(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	nimic := sys.NationalCoordinator(t, "PL")
	invitee := systemtest.UniqueEmail("invitee")
	if resp := sys.Do(t, http.MethodPost, "/api/v1/invitations", nimic.Token, map[string]any{"email": invitee, "language": "en"}); resp.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", resp.Status, resp.Body)
	}
	invitation := linkToken(t, sys.Mail.WaitForMessages(t, invitee, 1, 30*time.Second)[0], "invitation")
	ldaEmail := systemtest.UniqueEmail("lda")
	resp := sys.Do(t, http.MethodPost, "/api/v1/registrations", "", registrationBody(invitation, ldaEmail))
	if resp.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.Status, resp.Body)
	}
	id := resp.Map(t)["id"].(string)

	if r := sys.Do(t, http.MethodPost, "/api/v1/registrations/"+id+"/reject", nimic.Token, map[string]string{}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("reject without reason: %d %s, want 422", r.Status, r.Body)
	}
	r := sys.Do(t, http.MethodPost, "/api/v1/registrations/"+id+"/reject", nimic.Token, map[string]string{"reason": "not a public authority"})
	if r.Status != http.StatusOK || r.Map(t)["status"] != "rejected" {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/registrations/"+id+"/approve", nimic.Token, nil); r.Status != http.StatusConflict {
		t.Errorf("approve after rejection: %d, want 409", r.Status)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": ldaEmail, "password": systemtest.ActivePassword}); r.Status != http.StatusForbidden {
		t.Errorf("rejected authority's user signs in: %d, want 403", r.Status)
	}
	if msgs := sys.Mail.WaitForMessages(t, ldaEmail, 1, 30*time.Second); len(msgs) != 1 {
		t.Errorf("first user got %d mails, want the rejection", len(msgs))
	}
}

func TestRegisterAuthority_NamedInARegionalOfficialLanguageIsAcceptedAndAnUnknownLanguageRefused(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	es := sys.NationalCoordinator(t, "ES")
	body := func(lang string, designation map[string]string) map[string]any {
		return map[string]any{
			"authority": map[string]any{
				"official_name": "Ajuntament de Lloret de Vistalegre", "official_name_lang": lang,
				"designation": designation,
				"country":     "ES", "region": "Illes Balears", "level": "local",
				"functional_mailbox": systemtest.UniqueEmail("ajuntament"),
				"areas":              []map[string]any{{"area": "services", "competences": []string{"retail"}}},
			},
			"first_user": map[string]any{"email": systemtest.UniqueEmail("lda-ca"), "display_name": "Margalida Mas", "language": "es"},
		}
	}
	resp := sys.Do(t, http.MethodPost, "/api/v1/authorities", es.Token, body("ca", map[string]string{"ca": "Ajuntament", "es": "Ayuntamiento"}))
	if resp.Status != http.StatusCreated {
		t.Fatalf("an authority named in Catalan: %d %s, want 201", resp.Status, resp.Body)
	}
	var created struct {
		Authority struct {
			ID               string `json:"id"`
			OfficialNameLang string `json:"official_name_lang"`
		} `json:"authority"`
	}
	resp.JSON(t, &created)
	if created.Authority.OfficialNameLang != "ca" {
		t.Errorf("official_name_lang = %q, want ca", created.Authority.OfficialNameLang)
	}
	for _, lang := range []string{"eu", "gl"} {
		if r := sys.Do(t, http.MethodPost, "/api/v1/authorities", es.Token, body(lang, nil)); r.Status != http.StatusCreated {
			t.Errorf("an authority named in %s: %d %s, want 201", lang, r.Status, r.Body)
		}
	}
	for _, tc := range []struct {
		name        string
		lang        string
		designation map[string]string
		field       string
	}{
		{"unknown name language", "xx", nil, "authority.official_name_lang"},
		{"unknown designation language", "ca", map[string]string{"qq": "Ajuntament"}, "authority.designation.qq"},
	} {
		r := sys.Do(t, http.MethodPost, "/api/v1/authorities", es.Token, body(tc.lang, tc.designation))
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", tc.name, r.Status, r.Body)
			continue
		}
		if !strings.Contains(string(r.Body), `"field":"`+tc.field+`","rule":"known_language"`) {
			t.Errorf("%s: %s, want %s refused as known_language", tc.name, r.Body, tc.field)
		}
	}
	// Catalan names an authority; it is not a language officials read
	// OpenIMI in.
	if r := sys.Do(t, http.MethodPost, "/api/v1/invitations", es.Token, map[string]any{"email": systemtest.UniqueEmail("inv"), "language": "ca"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an invitation to be read in Catalan: %d %s, want 422", r.Status, r.Body)
	}
}
