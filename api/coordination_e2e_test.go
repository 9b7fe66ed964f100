package api_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

type coordinatedOut struct {
	requestOut
	RespondingAuthority  string   `json:"responding_authority"`
	AssignedHandler      string   `json:"assigned_handler"`
	AllowedInterventions []string `json:"allowed_interventions"`
}

func intervene(t *testing.T, sys *systemtest.System, who systemtest.Official, id, action string, body map[string]any, want int) coordinatedOut {
	t.Helper()
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/coordination/"+action, who.Token, body)
	if resp.Status != want {
		t.Fatalf("coordination/%s: %d %s, want %d", action, resp.Status, resp.Body, want)
	}
	var out coordinatedOut
	if want == http.StatusOK {
		resp.JSON(t, &out)
	}
	return out
}

func because(reason string, more ...any) map[string]any {
	body := map[string]any{"reason": reason, "reason_lang": "en"}
	for i := 0; i+1 < len(more); i += 2 {
		body[more[i].(string)] = more[i+1]
	}
	return body
}

type deskOut struct {
	Items []struct {
		ID                   string   `json:"id"`
		State                string   `json:"state"`
		Reasons              []string `json:"reasons"`
		CoordinatorOf        []string `json:"coordinator_of"`
		AllowedInterventions []string `json:"allowed_interventions"`
	} `json:"items"`
	Total int `json:"total"`
}

func desk(t *testing.T, sys *systemtest.System, who systemtest.Official, filter string) deskOut {
	t.Helper()
	resp := sys.Do(t, http.MethodGet, "/api/v1/coordination/requests?filter="+filter, who.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("desk: %d %s", resp.Status, resp.Body)
	}
	var out deskOut
	resp.JSON(t, &out)
	return out
}

type timelineOut struct {
	Events []struct {
		Kind     string  `json:"kind"`
		Actor    string  `json:"actor"`
		Text     *string `json:"text"`
		Redacted bool    `json:"redacted"`
	} `json:"events"`
}

func TestCoordination_DeskShowsAnEscalatedRequestToTheCoordinatorsOfBothCountriesAndNobodyElse(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{Day: 300 * time.Millisecond})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	deCoordinator := sys.NationalCoordinator(t, "DE")
	frCoordinator := sys.NationalCoordinator(t, "FR")
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	deadline := time.Now().Add(30 * time.Second)
	var pl deskOut
	for {
		pl = desk(t, sys, plCoordinator, "escalated")
		if pl.Total == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unaccepted request never reached the escalated tray: %+v", pl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	item := pl.Items[0]
	if item.ID != d.ID || !slices.Contains(item.Reasons, "escalated") || !slices.Contains(item.Reasons, "awaiting-acceptance") ||
		!equalStrings(item.CoordinatorOf, []string{"responding"}) || !slices.Contains(item.AllowedInterventions, "coordinator-accept") {
		t.Errorf("PL's desk shows %+v", item)
	}
	de := desk(t, sys, deCoordinator, "")
	if de.Total != 1 || !equalStrings(de.Items[0].CoordinatorOf, []string{"requesting"}) || len(de.Items[0].AllowedInterventions) != 0 {
		t.Errorf("DE's desk shows %+v, want the request on the requesting side, with nothing to do before a referral", de)
	}
	if fr := desk(t, sys, frCoordinator, ""); fr.Total != 0 {
		t.Errorf("FR's desk shows %+v", fr)
	}
	if referred := desk(t, sys, plCoordinator, "referred"); referred.Total != 0 {
		t.Errorf("PL's referred tray shows %+v", referred)
	}
	// Once the coordinator has stepped in, the request leaves the
	// escalated tray and waits in the others.
	intervene(t, sys, plCoordinator, d.ID, "chase", because("please accept it or tell me why not"), http.StatusOK)
	if after := desk(t, sys, plCoordinator, "escalated"); after.Total != 0 {
		t.Errorf("after the chase the escalated tray shows %+v", after)
	}
	if waiting := desk(t, sys, plCoordinator, ""); waiting.Total != 1 || !equalStrings(waiting.Items[0].Reasons, []string{"awaiting-acceptance"}) {
		t.Errorf("after the chase the desk shows %+v", waiting)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/coordination/requests", responder.Token, nil); r.Status != http.StatusForbidden {
		t.Errorf("an official opens the desk: %d, want 403", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/coordination/requests?filter=lost", plCoordinator.Token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown tray: %d, want 422", r.Status)
	}
}

func TestCoordination_TheRespondingCountrysCoordinatorAcceptsOnTheAuthoritysBehalfAndAssignsIt(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	deCoordinator := sys.NationalCoordinator(t, "DE")
	frCoordinator := sys.NationalCoordinator(t, "FR")
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	reason := because("accepted after a phone call with the office", "handler", responder.UserID.String())
	intervene(t, sys, frCoordinator, d.ID, "accept", reason, http.StatusNotFound)
	// A delegated coordinator of the responding country for another area
	// sees nothing of a services request, and can do nothing to it.
	pqCoordinator := sys.Authority(t, "PL", "", nil, []models.UserRole{{Role: models.CoordinatorRole}})
	sys.Store.DB().Exec("UPDATE authorities SET kind = 'delegated_coordinator', scope_area = 'professional-qualifications' WHERE id = ?", pqCoordinator.AuthorityID)
	intervene(t, sys, pqCoordinator, d.ID, "accept", reason, http.StatusNotFound)
	if pq := desk(t, sys, pqCoordinator, ""); pq.Total != 0 {
		t.Errorf("the professional qualifications coordinator's desk shows %+v", pq)
	}
	intervene(t, sys, deCoordinator, d.ID, "accept", reason, http.StatusForbidden)
	intervene(t, sys, responder, d.ID, "accept", reason, http.StatusForbidden)
	intervene(t, sys, plCoordinator, d.ID, "accept", because("short"), http.StatusUnprocessableEntity)
	intervene(t, sys, plCoordinator, d.ID, "accept", because("accepted after a phone call", "handler", requester.UserID.String()), http.StatusUnprocessableEntity)
	if got := get(t, sys, responder, d.ID, "pl"); got.State != "AWAITING_ACCEPTANCE" {
		t.Fatalf("refused interventions changed the request: %s", got.State)
	}

	out := intervene(t, sys, plCoordinator, d.ID, "accept", reason, http.StatusOK)
	if out.State != "ACCEPTED" || out.AssignedHandler != responder.UserID.String() || out.PersonalData != nil {
		t.Errorf("after accepting on behalf the coordinator sees %+v", out)
	}
	// The authority accepted, through its coordinator: its officials now
	// read the personal data.
	if got := get(t, sys, responder, d.ID, "pl"); got.PersonalData["name"] != "Jan Kowalski" {
		t.Errorf("the responder after acceptance on its behalf sees %+v", got.PersonalDataStatus)
	}
	var timeline timelineOut
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", requester.Token, nil).JSON(t, &timeline)
	last := timeline.Events[len(timeline.Events)-1]
	if last.Kind != "coordinator-accept" || last.Actor != plCoordinator.UserID.String() || last.Text == nil || *last.Text != reason["reason"] {
		t.Errorf("timeline ends with %+v, want the coordinator's acceptance with its reason", last)
	}
	if got := get(t, sys, requester, d.ID, "de"); len(got.Messages) != 1 || got.Messages[0].Kind != "coordinator-accept" {
		t.Errorf("the requester reads messages %+v, want the coordinator's reason", got.Messages)
	}
	intervene(t, sys, plCoordinator, d.ID, "accept", reason, http.StatusConflict)
	sys.Mail.WaitForMessages(t, requester.Email, 1, 10*time.Second)
}

func TestCoordination_TheCoordinatorForwardsWithinItsCountryAndChasesTheNewAuthority(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	regional := sys.Authority(t, "PL", "Mazowieckie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	french := sys.Authority(t, "FR", "", areas, nil)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	intervene(t, sys, plCoordinator, d.ID, "forward", because("the French office is competent", "forward_to", french.AuthorityID.String()), http.StatusUnprocessableEntity)
	out := intervene(t, sys, plCoordinator, d.ID, "forward", because("the Mazovian office is competent", "forward_to", regional.AuthorityID.String()), http.StatusOK)
	if out.State != "AWAITING_ACCEPTANCE" || out.RespondingAuthority != regional.AuthorityID.String() {
		t.Errorf("after the forward: %+v", out)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, responder.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("the authority forwarded from reads the request: %d, want 404", r.Status)
	}

	chased := intervene(t, sys, plCoordinator, d.ID, "chase", because("please accept or forward it this week", "reason_lang", "en"), http.StatusOK)
	if chased.State != "AWAITING_ACCEPTANCE" {
		t.Errorf("a chase changed the state to %s", chased.State)
	}
	// Forwarded, then chased: two mails, the chase naming the coordinator
	// but not the note, which is read behind the login.
	mails := sys.Mail.WaitForMessages(t, regional.Email, 2, 10*time.Second)
	var chaseMail *string
	for _, m := range mails {
		if strings.Contains(m.Subject, "coordinator asks you") {
			chaseMail = &m.Text
		}
	}
	if chaseMail == nil || strings.Contains(*chaseMail, "this week") {
		t.Errorf("chase mail %v, want one without the note's text", chaseMail)
	}
	// The regional authority, not yet accepting, sees the note redacted.
	var timeline timelineOut
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", regional.Token, nil).JSON(t, &timeline)
	last := timeline.Events[len(timeline.Events)-1]
	if last.Kind != "chase" || last.Actor != plCoordinator.UserID.String() {
		t.Errorf("timeline ends with %+v, want the chase by the coordinator", last)
	}
}

func TestCoordination_BothCoordinatorsMediateAReferralReturnItAndCloseIt(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	deCoordinator := sys.NationalCoordinator(t, "DE")
	frCoordinator := sys.NationalCoordinator(t, "FR")
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	answer := map[string]any{"answers": []map[string]string{
		{"question": "legally-established", "value": "yes"},
		{"question": "registration-date", "value": "2019-05-02"},
		{"question": "sanctions", "value": "no"},
	}}
	act(t, sys, responder, d.ID, "answer", answer, http.StatusOK)
	intervene(t, sys, deCoordinator, d.ID, "close", because("nothing to mediate yet"), http.StatusConflict)
	act(t, sys, requester, d.ID, "refer", map[string]any{"text": "Die Antwort widerspricht dem Register.", "text_lang": "de"}, http.StatusOK)

	if referred := desk(t, sys, deCoordinator, "referred"); referred.Total != 1 ||
		!equalStrings(referred.Items[0].AllowedInterventions, []string{"coordinator-note", "return", "coordinator-close"}) {
		t.Errorf("DE's referred tray %+v", referred)
	}
	intervene(t, sys, deCoordinator, d.ID, "note", because("our register shows a sanction from 2024"), http.StatusOK)
	intervene(t, sys, frCoordinator, d.ID, "note", because("may the French side join in?"), http.StatusNotFound)
	intervene(t, sys, requester, d.ID, "close", because("closing it myself instead"), http.StatusForbidden)
	intervene(t, sys, plCoordinator, d.ID, "note", because("we will ask the authority to check again"), http.StatusOK)
	sys.Mail.WaitForMessages(t, deCoordinator.Email, 1, 10*time.Second)

	intervene(t, sys, plCoordinator, d.ID, "return", because("back to the authority for a new answer"), http.StatusUnprocessableEntity)
	back := intervene(t, sys, plCoordinator, d.ID, "return", because("back to the authority for a new answer", "return_to", "ACCEPTED"), http.StatusOK)
	if back.State != "ACCEPTED" {
		t.Fatalf("after the return: %s", back.State)
	}
	act(t, sys, responder, d.ID, "answer", answer, http.StatusOK)
	act(t, sys, requester, d.ID, "refer", map[string]any{"text": "Immer noch falsch.", "text_lang": "de"}, http.StatusOK)
	closed := intervene(t, sys, deCoordinator, d.ID, "close", because("agreed by both coordinators: the register is right"), http.StatusOK)
	sys.RecordHistory(t, "request/"+d.ID, "request_referral_mediation_v1")
	if closed.State != "CLOSED" || len(closed.AllowedInterventions) != 0 {
		t.Errorf("after the coordinators' closure: %s, may %v", closed.State, closed.AllowedInterventions)
	}

	var timeline timelineOut
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", requester.Token, nil).JSON(t, &timeline)
	var kinds []string
	for _, e := range timeline.Events {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"sent", "accept", "answer", "refer", "coordinator-note", "coordinator-note", "return", "answer", "refer", "coordinator-close"}
	if !equalStrings(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
}

func TestStats_ANationalCoordinatorSeesItsCountryTheHelpdeskAllOthersNothing(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	today := time.Now().UTC().Format("2006-01-02")

	var board struct {
		Country string `json:"country"`
		Rows    []struct {
			Direction           string `json:"direction"`
			Group               string `json:"group"`
			Requests            int    `json:"requests"`
			Open                int    `json:"open"`
			AcceptedWithin7Days struct {
				Value *float64 `json:"value"`
				Band  string   `json:"band"`
			} `json:"accepted_within_7_days"`
			AverageDaysToAnswer struct {
				Value *float64 `json:"value"`
			} `json:"average_days_to_answer"`
		} `json:"rows"`
	}
	resp := sys.Do(t, http.MethodGet, "/api/v1/stats?from="+today+"&to="+today, plCoordinator.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("stats of PL: %d %s", resp.Status, resp.Body)
	}
	resp.JSON(t, &board)
	if board.Country != "PL" || len(board.Rows) != 1 {
		t.Fatalf("PL's scoreboard %+v, want its one received request", board)
	}
	row := board.Rows[0]
	if row.Direction != "received" || row.Group != "PL" || row.Requests != 1 || row.Open != 1 ||
		row.AcceptedWithin7Days.Value == nil || *row.AcceptedWithin7Days.Value != 100 || row.AcceptedWithin7Days.Band != "green" ||
		row.AverageDaysToAnswer.Value != nil {
		t.Errorf("PL's row %+v", row)
	}

	if r := sys.Do(t, http.MethodGet, "/api/v1/stats?country=DE", plCoordinator.Token, nil); r.Status != http.StatusForbidden {
		t.Errorf("PL's coordinator reads DE's figures: %d, want 403", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/stats", responder.Token, nil); r.Status != http.StatusForbidden {
		t.Errorf("an official reads the scoreboard: %d, want 403", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/stats?from="+today+"&to=2020-01-01", plCoordinator.Token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a period ending before it starts: %d, want 422", r.Status)
	}

	helpdesk := systemtest.Official{Token: sys.HelpdeskToken(t)}
	csvResp := sys.DoWithHeader(t, http.MethodGet, "/api/v1/stats?group_by=area&from="+today+"&to="+today, helpdesk.Token, nil, "Accept", "text/csv")
	if csvResp.Status != http.StatusOK || !strings.HasPrefix(csvResp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", csvResp.Status, csvResp.Header.Get("Content-Type"))
	}
	lines, err := csv.NewReader(strings.NewReader(string(csvResp.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Header, then services received and sent: the helpdesk sees both sides.
	if len(lines) != 3 || lines[0][0] != "direction" || lines[1][0] != "received" || lines[1][1] != "services" ||
		lines[1][3] != "100.0" || lines[1][4] != "green" || lines[1][5] != "" {
		t.Errorf("CSV %q", lines)
	}
}
