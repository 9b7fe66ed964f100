package cases

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

func official(authority uuid.UUID, grants ...policy.Grant) policy.Principal {
	return policy.Principal{UserID: uuid.New(), Grants: grants,
		Body: &policy.Body{ID: authority, Kind: models.CompetentAuthority, Status: models.AuthorityActive}}
}

func TestPartyOf_NeedToKnowIsPerArea(t *testing.T) {
	requesting, responding := uuid.New(), uuid.New()
	r := models.Request{AreaCode: "services", RequestingAuthority: requesting, RespondingAuthority: responding, State: "ACCEPTED"}
	handler := policy.Grant{Role: models.RequestHandler, Area: "services"}
	allocator := policy.Grant{Role: models.Allocator, Area: "services"}
	elsewhere := policy.Grant{Role: models.RequestHandler, Area: "professional-qualifications"}
	admin := policy.Grant{Role: models.LocalDataAdministrator}
	for _, tc := range []struct {
		name  string
		p     policy.Principal
		state string
		side  workflows.Side
	}{
		{"requesting handler", official(requesting, handler), "ACCEPTED", workflows.Requesting},
		{"responding allocator", official(responding, allocator), "ACCEPTED", workflows.Responding},
		{"requesting official of another area", official(requesting, elsewhere), "ACCEPTED", ""},
		{"responding administrator", official(responding, admin), "ACCEPTED", ""},
		{"responding handler of a draft", official(responding, handler), models.Draft, ""},
		{"third authority", official(uuid.New(), handler), "ACCEPTED", ""},
	} {
		r.State = tc.state
		pt, ok := partyOf(tc.p, r)
		if ok != (tc.side != "") || pt.Side != tc.side {
			t.Errorf("%s: party %+v, %t; want side %q", tc.name, pt, ok, tc.side)
		}
	}
	if got := policy.RequestAreas(official(requesting, handler, allocator, elsewhere, admin)); len(got) != 2 || got[0] != "services" || got[1] != "professional-qualifications" {
		t.Errorf("RequestAreas = %v", got)
	}
}

func TestAccessLogEntryFor_HidesFileNamesAndReasonsFromWhomMayNotReadPersonalData(t *testing.T) {
	download := models.AccessLogEntry{What: "attachment Kowalski-passport.pdf", Reason: "party to the request (requesting)"}
	read := models.AccessLogEntry{What: "GET /api/v1/requests/:id", Reason: "coordinator: complaint by Jan Kowalski"}
	if got := accessLogEntryFor(download, true); got.What != download.What || got.Redacted {
		t.Errorf("shown in full: %+v", got)
	}
	if got := accessLogEntryFor(download, false); got.What != "attachment" || !got.Redacted || got.Reason != download.Reason {
		t.Errorf("a download, redacted: %+v", got)
	}
	if got := accessLogEntryFor(read, false); got.Reason != "coordinator" || !got.Redacted || got.What != read.What {
		t.Errorf("a coordinator's read, redacted: %+v", got)
	}
}

func TestOverdueAt_TheDayAfterTheAgreedDateUntilAnsweredOrClosed(t *testing.T) {
	day := time.Hour
	sent := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	due := sent.Add(10 * day)
	r := models.Request{SentAt: &sent, ReplyDue: &due}
	for _, tc := range []struct {
		name string
		at   time.Time
		edit func(*models.Request)
		want bool
	}{
		{"on the agreed date", due.Add(day - time.Second), nil, false},
		{"the day after, not accepted", due.Add(day), nil, true},
		{"answered before", due.Add(2 * day), func(r *models.Request) { a := due; r.AnsweredAt = &a }, false},
		{"answered after it turned overdue", due.Add(2 * day), func(r *models.Request) { a := due.Add(3 * day); r.AnsweredAt = &a }, true},
		{"withdrawn", due.Add(2 * day), func(r *models.Request) { c := due; r.ClosedAt = &c }, false},
		{"a draft", due.Add(2 * day), func(r *models.Request) { r.SentAt = nil }, false},
	} {
		x := r
		if tc.edit != nil {
			tc.edit(&x)
		}
		if got := x.OverdueAt(tc.at, day); got != tc.want {
			t.Errorf("%s: overdue %t, want %t", tc.name, got, tc.want)
		}
	}
}

func TestPersonalStatus_ResponderBeforeAcceptanceAndCoordinatorWithoutReasonSeeNone(t *testing.T) {
	responding := uuid.New()
	r := models.Request{RespondingAuthority: responding}
	if got := personalStatus(r, Party{Side: workflows.Responding, Authority: responding, Handler: true}); got != PersonalUntilAccepted {
		t.Errorf("responder before acceptance: %s", got)
	}
	r.AcceptedBy = &responding
	if got := personalStatus(r, Party{Side: workflows.Responding, Authority: responding, Handler: true}); got != PersonalShown {
		t.Errorf("responder after acceptance: %s", got)
	}
	if got := personalStatus(r, Party{Side: Coordinating, Reason: "too short"}); got != PersonalNeedsReason {
		t.Errorf("coordinator with a short reason: %s", got)
	}
	now := time.Now()
	r.PersonalBlockedAt = &now
	if got := personalStatus(r, Party{Side: workflows.Requesting, Handler: true}); got != PersonalBlocked {
		t.Errorf("blocked: %s", got)
	}
}

func TestAct_NamesABrokenRuleOfTheBodyAsTheCallerWroteIt(t *testing.T) {
	s := &Service{validate: NewValidator()}
	long := make([]byte, 10001)
	for i := range long {
		long[i] = 'a'
	}
	_, err := s.Act(t.Context(), Caller{}, ActionInput{ID: "x", Action: workflows.ActMessage, ActionBody: ActionBody{Text: string(long)}})
	if e := AsError(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "text" || e.Fields[0].Rule != "max" {
		t.Errorf("Act with a text too long = %v, want text failing max", err)
	}
	lang := "XX"
	_, err = s.EditDraft(t.Context(), Caller{}, EditDraftInput{ID: "x", DraftInput: DraftInput{SubjectLang: &lang}})
	if e := AsError(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "subject_lang" {
		t.Errorf("EditDraft with an upper-case language = %v, want subject_lang", err)
	}
}
