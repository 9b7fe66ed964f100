package api_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

type requestOut struct {
	ID                 string            `json:"id"`
	Reference          string            `json:"reference"`
	State              string            `json:"state"`
	PersonalData       map[string]string `json:"personal_data"`
	PersonalDataStatus string            `json:"personal_data_status"`
	FreeText           struct {
		Text     *string `json:"text"`
		Redacted bool    `json:"redacted"`
	} `json:"free_text"`
	Questions []struct {
		Code   string `json:"code"`
		Text   string `json:"text"`
		Lang   string `json:"lang"`
		Answer *struct {
			Value    *string `json:"value"`
			Redacted bool    `json:"redacted"`
		} `json:"answer"`
	} `json:"questions"`
	Messages []struct {
		Kind     string  `json:"kind"`
		Text     *string `json:"text"`
		Redacted bool    `json:"redacted"`
	} `json:"messages"`
	AllowedActions []string `json:"allowed_actions"`
	ReplyDueDate   string   `json:"reply_due_date"`
	Overdue        bool     `json:"overdue"`
}

// twoSides puts a German requesting authority and a Polish responding one
// in place, both working in the services area.
func twoSides(t *testing.T, sys *systemtest.System) (requester, responder, allocator systemtest.Official) {
	t.Helper()
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	requester = sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	responder = sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{
		{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})
	allocator = responder
	return requester, responder, allocator
}

func draft(t *testing.T, sys *systemtest.System, requester, responder systemtest.Official) requestOut {
	t.Helper()
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(),
		"subject": "Bauunternehmen Kowalski Sp. z o.o.", "subject_lang": "de",
		"questions": []string{"legally-established", "registration-date", "sanctions"},
		"free_text": "Der Inhaber Jan Kowalski bietet in Bayern Bauleistungen an.", "free_text_lang": "de",
		"personal_data": map[string]string{"name": "Jan Kowalski", "date_of_birth": "1975-03-14"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02"),
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create draft: %d %s", resp.Status, resp.Body)
	}
	var out requestOut
	resp.JSON(t, &out)
	return out
}

func act(t *testing.T, sys *systemtest.System, who systemtest.Official, id, action string, body any, want int) requestOut {
	t.Helper()
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/"+action, who.Token, body)
	if resp.Status != want {
		t.Fatalf("%s: %d %s, want %d", action, resp.Status, resp.Body, want)
	}
	var out requestOut
	if want == http.StatusOK {
		resp.JSON(t, &out)
	}
	return out
}

func get(t *testing.T, sys *systemtest.System, who systemtest.Official, id, lang string) requestOut {
	t.Helper()
	resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+id+"?lang="+lang, who.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("get: %d %s", resp.Status, resp.Body)
	}
	var out requestOut
	resp.JSON(t, &out)
	return out
}

func TestRequest_TwoOfficialsRunARequestFromDraftToClosureWithAClarification(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	if d.State != "DRAFT" || d.Reference == "" {
		t.Fatalf("draft %+v", d)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, responder.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("the responding side reads a draft: %d, want 404", r.Status)
	}

	sent := act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	if sent.State != "AWAITING_ACCEPTANCE" {
		t.Fatalf("after send: %s", sent.State)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusConflict)

	// Before acceptance the responding side reads the questions in its
	// language, but no personal data.
	before := get(t, sys, responder, d.ID, "pl")
	if before.PersonalData != nil || before.PersonalDataStatus != "redacted_until_accepted" || !before.FreeText.Redacted || before.FreeText.Text != nil {
		t.Errorf("before acceptance the responder sees %+v", before)
	}
	if len(before.Questions) != 3 || before.Questions[0].Lang != "pl" {
		t.Errorf("questions %+v, want three in Polish", before.Questions)
	}
	if want := []string{"accept", "forward", "assign", "message"}; !equalStrings(before.AllowedActions, want) {
		t.Errorf("responder may %v, want %v", before.AllowedActions, want)
	}

	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	after := get(t, sys, responder, d.ID, "pl")
	if after.PersonalData["name"] != "Jan Kowalski" || after.FreeText.Text == nil {
		t.Errorf("after acceptance the responder sees %+v", after)
	}

	act(t, sys, responder, d.ID, "answer", map[string]any{"answers": []map[string]string{
		{"question": "legally-established", "value": "yes"},
		{"question": "registration-date", "value": "2019-05-02"},
		{"question": "sanctions", "value": "no"},
	}, "text": "Firma jest wpisana do KRS.", "text_lang": "pl"}, http.StatusOK)
	act(t, sys, requester, d.ID, "request-clarification", map[string]any{"text": "Seit wann genau?", "text_lang": "de"}, http.StatusOK)
	act(t, sys, responder, d.ID, "clarify", map[string]any{"text": "Od 2 maja 2019 r.", "text_lang": "pl"}, http.StatusOK)
	closed := act(t, sys, requester, d.ID, "close", map[string]any{"timeliness_rating": 5, "effort_rating": 4}, http.StatusOK)
	sys.RecordHistory(t, "request/"+d.ID, "request_lifecycle_v1")
	if closed.State != "CLOSED" || len(closed.AllowedActions) != 0 {
		t.Fatalf("after close: %s, allowed %v", closed.State, closed.AllowedActions)
	}
	if len(closed.Messages) != 3 {
		t.Errorf("messages %+v, want the answer's text, the clarification request and the clarification", closed.Messages)
	}
	for _, q := range closed.Questions {
		if q.Answer == nil || q.Answer.Value == nil {
			t.Errorf("question %s has no answer", q.Code)
		}
	}

	// The timeline tells every step; the access log every read of personal data.
	var timeline struct {
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", requester.Token, nil).JSON(t, &timeline)
	var kinds []string
	for _, e := range timeline.Events {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"sent", "accept", "answer", "request-clarification", "clarify", "close"}; !equalStrings(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
	var log struct {
		Entries []struct {
			User string `json:"user"`
		} `json:"entries"`
	}
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/access-log", responder.Token, nil).JSON(t, &log)
	responderReads := 0
	for _, e := range log.Entries {
		if e.User == responder.UserID.String() {
			responderReads++
		}
	}
	if responderReads == 0 {
		t.Error("the responder's reads of personal data are not in the access log")
	}
	outsider := sys.Authority(t, "FR", "", []models.AuthorityArea{{AreaCode: "services"}}, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	for _, path := range []string{"", "/timeline", "/access-log"} {
		if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+path, outsider.Token, nil); r.Status != http.StatusNotFound {
			t.Errorf("an outsider reads %q: %d, want 404", path, r.Status)
		}
	}
}

func TestRequest_TwentyConcurrentAcceptsOneWinsTheRestGet409(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	statuses := make([]int, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/accept", responder.Token, nil).Status
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != 19 {
		t.Fatalf("20 concurrent accepts answered %v, want one 200 and nineteen 409", counts)
	}
	var accepts int64
	sys.Store.DB().Raw("SELECT count(*) FROM request_events WHERE kind = 'accept'").Scan(&accepts)
	if accepts != 1 {
		t.Errorf("%d accept events recorded, want 1", accepts)
	}
}

func TestRequest_IdempotencyKeyReturnsTheFirstResultInsteadOfActingTwice(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	message := func() int {
		req := map[string]any{"text": "Proszę o cierpliwość.", "text_lang": "pl"}
		return sys.DoWithHeader(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/message", responder.Token, req, "Idempotency-Key", "msg-1").Status
	}
	if first, second := message(), message(); first != http.StatusOK || second != http.StatusOK {
		t.Fatalf("message with the same key twice: %d, %d", first, second)
	}
	var messages int64
	sys.Store.DB().Raw("SELECT count(*) FROM request_events WHERE kind = 'message'").Scan(&messages)
	if messages != 1 {
		t.Errorf("%d messages recorded for one key, want 1", messages)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDraft_IsEditedAndDeletedByItsAuthorityOnly(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	r := sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, requester.Token, map[string]any{
		"subject": "Neuer Betreff", "questions": []string{"insolvency"}, "personal_data": map[string]string{"name": "Anna Nowak"},
	})
	if r.Status != http.StatusOK {
		t.Fatalf("edit draft: %d %s", r.Status, r.Body)
	}
	got := get(t, sys, requester, d.ID, "de")
	if len(got.Questions) != 1 || got.Questions[0].Code != "insolvency" || got.PersonalData["name"] != "Anna Nowak" {
		t.Errorf("edited draft %+v", got)
	}
	if r := sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, responder.Token, map[string]any{"subject": "x"}); r.Status != http.StatusNotFound {
		t.Errorf("the other side edits a draft: %d, want 404", r.Status)
	}
	if r := sys.Do(t, http.MethodDelete, "/api/v1/requests/"+d.ID, requester.Token, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete draft: %d %s", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, requester.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted draft: %d, want 404", r.Status)
	}
}

func TestRequest_PersonalDataAreBlockedThenDeletedByTheWorkflowsOwnTimers(t *testing.T) {
	// Blocking comes 6 months (180 days) after closure and deletion 36
	// months after: with a day of 10 ms, 1.8 s and 10.8 s.
	sys := systemtest.Start(t, systemtest.Options{Day: 10 * time.Millisecond})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "answer", map[string]any{"answers": []map[string]string{
		{"question": "legally-established", "value": "yes"}, {"question": "sanctions", "value": "no"},
	}, "text": "Jan Kowalski jest właścicielem.", "text_lang": "pl"}, http.StatusOK)
	act(t, sys, requester, d.ID, "close", nil, http.StatusOK)
	if got := get(t, sys, requester, d.ID, "en"); got.PersonalData["name"] != "Jan Kowalski" {
		t.Fatalf("right after closure the requester sees %+v", got.PersonalData)
	}

	waitFor := func(status string) requestOut {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for {
			got := get(t, sys, requester, d.ID, "en")
			if got.PersonalDataStatus == status {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("personal data %s, want %s", got.PersonalDataStatus, status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	blocked := waitFor("blocked")
	if blocked.PersonalData != nil || blocked.FreeText.Text != nil {
		t.Errorf("blocked, yet shown: %+v", blocked)
	}
	for _, q := range blocked.Questions {
		if q.Code == "sanctions" && (q.Answer == nil || !q.Answer.Redacted) {
			t.Errorf("the personal answer to %s is shown while blocked", q.Code)
		}
	}
	for _, m := range blocked.Messages {
		if m.Text != nil {
			t.Errorf("message %q shown while blocked", *m.Text)
		}
	}
	waitFor("deleted")
	var fields, text int64
	sys.Store.DB().Raw("SELECT count(*) FROM request_personal_data WHERE request_id = ?", d.ID).Scan(&fields)
	sys.Store.DB().Raw("SELECT count(*) FROM request_events WHERE request_id = ? AND personal AND text <> ''", d.ID).Scan(&text)
	if fields != 0 || text != 0 {
		t.Errorf("after deletion %d personal field rows and %d personal texts remain", fields, text)
	}
	// The audit chains still hold over what the deletion left.
	if id, err := uuid.Parse(d.ID); err != nil {
		t.Fatal(err)
	} else if v, err := sys.Store.VerifyAuditChains(context.Background(), &id); err != nil || len(v.Breaks) != 0 {
		t.Errorf("audit chains after deletion: %v %+v, want no break", err, v.Breaks)
	}
	var timeline struct {
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", requester.Token, nil).JSON(t, &timeline)
	var said []string
	for _, e := range timeline.Events {
		if e.Kind == "personal_data_blocked" || e.Kind == "personal_data_deleted" {
			said = append(said, e.Kind)
		}
	}
	if !equalStrings(said, []string{"personal_data_blocked", "personal_data_deleted"}) {
		t.Errorf("the timeline says %v of the retention, want blocked then deleted", said)
	}
}

func TestRequest_ACoordinatorSeesPersonalDataOnlyAfterRecordingAReason(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	frCoordinator := sys.NationalCoordinator(t, "FR")
	d := draft(t, sys, requester, responder)
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, plCoordinator.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("a coordinator reads a draft: %d, want 404", r.Status)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)

	without := get(t, sys, plCoordinator, d.ID, "en")
	if without.PersonalData != nil || without.PersonalDataStatus != "reason_required" || len(without.AllowedActions) != 0 {
		t.Errorf("without a reason the coordinator sees %+v", without)
	}
	resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"?reason="+url.QueryEscape("complaint by the provider, case 2026/17"), plCoordinator.Token, nil)
	var with requestOut
	resp.JSON(t, &with)
	if with.PersonalData["name"] != "Jan Kowalski" {
		t.Errorf("with a reason the coordinator sees %+v", with.PersonalData)
	}
	var logged []struct{ Reason string }
	sys.Store.DB().Raw("SELECT reason FROM personal_data_access_log WHERE request_id = ? AND user_id = ?", d.ID, plCoordinator.UserID).Scan(&logged)
	if len(logged) != 1 || logged[0].Reason != "coordinator: complaint by the provider, case 2026/17" {
		t.Errorf("access log of the coordinator %+v, want the one read with its reason", logged)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"?reason=curious+about+it", frCoordinator.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("a coordinator of a third country: %d, want 404", r.Status)
	}
}

func TestRequest_PersonalDataStayHiddenFromAResponderThatNeverAccepted(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	if status, _ := upload(t, sys, requester.Token, d.ID, "Ausweis.pdf", []byte("%PDF-1.4\n%%EOF\n"), "true"); status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, requester, d.ID, "withdraw", map[string]any{"text": "Herr Kowalski ist verzogen.", "text_lang": "de"}, http.StatusOK)

	got := get(t, sys, responder, d.ID, "pl")
	if got.State != "WITHDRAWN" || got.PersonalData != nil || got.PersonalDataStatus != "redacted_until_accepted" || got.FreeText.Text != nil {
		t.Errorf("after a withdrawal before acceptance the responder sees %+v", got)
	}
	for _, m := range got.Messages {
		if m.Text != nil {
			t.Errorf("the responder reads the withdrawal's text %q", *m.Text)
		}
	}
	var files struct {
		Attachments []any `json:"attachments"`
	}
	sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/attachments", responder.Token, nil).JSON(t, &files)
	if len(files.Attachments) != 0 {
		t.Errorf("the responder lists %d files of a request it never accepted", len(files.Attachments))
	}
}

func TestRequest_OnlyOfficialsOfTheAreaAndCoordinatorsOfItReadPersonalData(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)

	// A colleague of the requester without a role in the area.
	colleague := sys.Authority(t, "DE", "Bayern", nil, nil)
	sys.Store.DB().Exec("UPDATE users SET authority_id = ? WHERE id = ?", requester.AuthorityID, colleague.UserID)
	sys.Store.DB().Exec("INSERT INTO user_roles (user_id, role) VALUES (?, 'local_data_administrator')", colleague.UserID)
	colleague.Token = sys.Login(t, colleague.Email, systemtest.ActivePassword)
	// Need-to-know is per area: the request does not exist for them.
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, colleague.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("an administrator without a role in the area reads the request: %d %s, want 404", r.Status, r.Body)
	}

	// A delegated coordinator for another area, in the responding country.
	pqCoordinator := sys.Authority(t, "PL", "", []models.AuthorityArea{{AreaCode: "services"}}, []models.UserRole{{Role: models.CoordinatorRole}})
	sys.Store.DB().Exec("UPDATE authorities SET kind = 'delegated_coordinator', scope_area = 'professional-qualifications' WHERE id = ?", pqCoordinator.AuthorityID)
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"?reason="+url.QueryEscape("checking a complaint of 2026"), pqCoordinator.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("a coordinator of another area reads a services request: %d, want 404", r.Status)
	}

	// A reason of blanks is no reason.
	plCoordinator := sys.NationalCoordinator(t, "PL")
	if got := get(t, sys, plCoordinator, d.ID, "en&reason="+url.QueryEscape("            ")); got.PersonalData != nil || got.PersonalDataStatus != "reason_required" {
		t.Errorf("with a reason of blanks the coordinator sees %+v", got)
	}
}
