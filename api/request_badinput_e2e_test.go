package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// requestSnapshot is everything an action could change.
func requestSnapshot(t *testing.T, sys *systemtest.System, id string) map[string]any {
	t.Helper()
	var state string
	var events, answers int64
	var lastEvent int
	db := sys.Store.DB()
	db.Raw("SELECT state, last_event FROM requests WHERE id = ?", id).Row().Scan(&state, &lastEvent)
	db.Raw("SELECT count(*) FROM request_events WHERE request_id = ?", id).Scan(&events)
	db.Raw("SELECT count(*) FROM request_answers WHERE request_id = ?", id).Scan(&answers)
	return map[string]any{"state": state, "last_event": lastEvent, "events": events, "answers": answers}
}

func TestRequest_BadInputOnEveryActionIs4xxAndChangesNothing(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	// A handler of the responding authority without the allocator role.
	plain := sys.Authority(t, "PL", "Pomorskie", nil, nil)
	sys.Store.DB().Exec("UPDATE users SET authority_id = ? WHERE id = ?", responder.AuthorityID, plain.UserID)
	sys.Store.DB().Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, 'request_handler', 'services')", plain.UserID)
	plainToken := sys.Login(t, plain.Email, systemtest.ActivePassword)
	plainOfficial := systemtest.Official{Token: plainToken}
	otherCountry := sys.Authority(t, "FR", "", []models.AuthorityArea{{AreaCode: "services"}}, nil)

	cases := []struct {
		name   string
		who    systemtest.Official
		action string
		body   any
		status int
	}{
		{"not JSON", responder, "accept", "{", http.StatusBadRequest},
		{"unknown field", responder, "accept", `{"reason":"x"}`, http.StatusBadRequest},
		{"bad date", responder, "accept", map[string]any{"proposed_reply_date": "tomorrow"}, http.StatusUnprocessableEntity},
		{"date in the past", responder, "accept", map[string]any{"proposed_reply_date": "2020-01-01"}, http.StatusUnprocessableEntity},
		{"requester accepts", requester, "accept", nil, http.StatusForbidden},
		{"answer before acceptance", responder, "answer", map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}, http.StatusConflict},
		{"close before an answer", requester, "close", nil, http.StatusConflict},
		{"clarify before a question", responder, "clarify", map[string]any{"text": "x", "text_lang": "pl"}, http.StatusConflict},
		{"message without text", requester, "message", map[string]any{}, http.StatusUnprocessableEntity},
		{"message in an unknown language", requester, "message", map[string]any{"text": "hi", "text_lang": "xx"}, http.StatusUnprocessableEntity},
		{"forward nowhere", responder, "forward", map[string]any{}, http.StatusUnprocessableEntity},
		{"forward to an unknown authority", responder, "forward", map[string]any{"forward_to": uuid.NewString()}, http.StatusUnprocessableEntity},
		{"forward abroad", responder, "forward", map[string]any{"forward_to": otherCountry.AuthorityID.String()}, http.StatusUnprocessableEntity},
		{"assign without the allocator role", plainOfficial, "assign", map[string]any{"handler": responder.UserID.String()}, http.StatusForbidden},
		{"assign a stranger", responder, "assign", map[string]any{"handler": requester.UserID.String()}, http.StatusUnprocessableEntity},
		{"propose without a date", responder, "propose-deadline", map[string]any{}, http.StatusUnprocessableEntity},
		{"agree with no proposal", requester, "agree-deadline", nil, http.StatusConflict},
		{"rating out of range", requester, "close", map[string]any{"timeliness_rating": 9}, http.StatusUnprocessableEntity},
	}
	before := requestSnapshot(t, sys, d.ID)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/"+tc.action, tc.who.Token, tc.body)
			if resp.Status != tc.status || resp.ErrorCode() == "" {
				t.Errorf("%d %s, want %d in the error shape", resp.Status, resp.Body, tc.status)
			}
		})
	}
	if after := requestSnapshot(t, sys, d.ID); !equalMaps(before, after) {
		t.Errorf("refused actions changed the request: before %v, after %v", before, after)
	}

	// Accepted, the answers are typed as their questions say.
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	before = requestSnapshot(t, sys, d.ID)
	answers := []struct {
		name    string
		answers []map[string]string
	}{
		{"yes/no answered with maybe", []map[string]string{{"question": "legally-established", "value": "maybe"}}},
		{"date answered with words", []map[string]string{{"question": "registration-date", "value": "last spring"}}},
		{"question not asked", []map[string]string{{"question": "insolvency", "value": "no"}}},
		{"question twice", []map[string]string{{"question": "sanctions", "value": "no"}, {"question": "sanctions", "value": "yes"}}},
		{"no answers", []map[string]string{}},
	}
	for _, tc := range answers {
		t.Run(tc.name, func(t *testing.T) {
			resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/answer", responder.Token, map[string]any{"answers": tc.answers})
			if resp.Status != http.StatusUnprocessableEntity {
				t.Errorf("%d %s, want 422", resp.Status, resp.Body)
			}
		})
	}
	if after := requestSnapshot(t, sys, d.ID); !equalMaps(before, after) {
		t.Errorf("refused answers changed the request: before %v, after %v", before, after)
	}

	// Drafts: bad input on create, edit and delete of a sent request.
	draftCases := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"no fields", map[string]any{}, http.StatusUnprocessableEntity},
		{"own country", map[string]any{"area": "services", "responding_authority": requester.AuthorityID.String(), "subject": "s", "subject_lang": "de",
			"questions": []string{"legally-established"}, "needed_by": time.Now().AddDate(0, 0, 5).Format("2006-01-02")}, http.StatusUnprocessableEntity},
		{"question of another area", map[string]any{"area": "services", "responding_authority": responder.AuthorityID.String(), "subject": "s", "subject_lang": "de",
			"questions": []string{"diploma-authentic"}, "needed_by": time.Now().AddDate(0, 0, 5).Format("2006-01-02")}, http.StatusUnprocessableEntity},
		{"needed by yesterday", map[string]any{"area": "services", "responding_authority": responder.AuthorityID.String(), "subject": "s", "subject_lang": "de",
			"questions": []string{"legally-established"}, "needed_by": time.Now().AddDate(0, 0, -1).Format("2006-01-02")}, http.StatusUnprocessableEntity},
		{"area without the role", map[string]any{"area": "professional-qualifications", "responding_authority": responder.AuthorityID.String(), "subject": "s", "subject_lang": "de",
			"questions": []string{"diploma-authentic"}, "needed_by": time.Now().AddDate(0, 0, 5).Format("2006-01-02")}, http.StatusForbidden},
	}
	var drafts int64
	sys.Store.DB().Raw("SELECT count(*) FROM requests").Scan(&drafts)
	for _, tc := range draftCases {
		t.Run("draft: "+tc.name, func(t *testing.T) {
			if resp := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, tc.body); resp.Status != tc.status {
				t.Errorf("%d %s, want %d", resp.Status, resp.Body, tc.status)
			}
		})
	}
	var draftsAfter int64
	sys.Store.DB().Raw("SELECT count(*) FROM requests").Scan(&draftsAfter)
	if draftsAfter != drafts {
		t.Errorf("refused drafts wrote %d requests", draftsAfter-drafts)
	}
	if r := sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, requester.Token, map[string]any{"subject": "changed"}); r.Status != http.StatusConflict {
		t.Errorf("edit a sent request: %d, want 409", r.Status)
	}
	if r := sys.Do(t, http.MethodDelete, "/api/v1/requests/"+d.ID, requester.Token, nil); r.Status != http.StatusConflict {
		t.Errorf("delete a sent request: %d, want 409", r.Status)
	}
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
