package workflows_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/workflows"
)

var (
	// The coordinators of the responding (PL) and requesting (DE) countries.
	plCoordinator = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(),
		Coordinator: workflows.CoordinatorScope{Country: "PL", Responding: true}}
	deCoordinator = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(),
		Coordinator: workflows.CoordinatorScope{Country: "DE", Requesting: true}}
	// A flag set for the wrong request: a French coordinator claiming the
	// responding side.
	frCoordinator = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(),
		Coordinator: workflows.CoordinatorScope{Country: "FR", Responding: true}}
)

func (h *requestHarness) last(kind string) activities.RequestEvent {
	for i := len(h.events) - 1; i >= 0; i-- {
		if h.events[i].kind == kind {
			return h.events[i].ev
		}
	}
	return activities.RequestEvent{}
}

func TestRequest_EscalatedRequestIsAcceptedOnTheAuthoritysBehalfByItsCoordinator(t *testing.T) {
	h := newRequestHarness(t, 30)
	handler := uuid.New()
	byRequesting := h.act(8*day, workflows.CoordAccept, workflows.RequestCommand{Actor: deCoordinator, Text: "the German side insists"})
	byForeign := h.act(8*day, workflows.CoordAccept, workflows.RequestCommand{Actor: frCoordinator, Text: "not my country at all"})
	byOfficial := h.act(8*day, workflows.CoordAccept, workflows.RequestCommand{Actor: responder, Text: "an official is no coordinator"})
	noReason := h.act(8*day, workflows.CoordAccept, workflows.RequestCommand{Actor: plCoordinator, Text: "  "})
	accept := h.act(8*day+time.Hour, workflows.CoordAccept, workflows.RequestCommand{Actor: plCoordinator, Handler: handler, Text: "accepted after a phone call"})
	again := h.act(8*day+2*time.Hour, workflows.CoordAccept, workflows.RequestCommand{Actor: plCoordinator, Text: "accepted after a phone call"})
	h.act(9*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	mustRefuse(t, "the requesting country's coordinator accepts", byRequesting, workflows.ErrTypeNotAllowed)
	mustRefuse(t, "a third country's coordinator accepts", byForeign, workflows.ErrTypeNotAllowed)
	mustRefuse(t, "an official uses the coordinator's accept", byOfficial, workflows.ErrTypeNotAllowed)
	mustRefuse(t, "accept without a reason", noReason, workflows.ErrTypeInvalidAction)
	h.mustSucceed(t, "the responding country's coordinator accepts", accept)
	mustRefuse(t, "accept twice", again, workflows.ErrTypeWrongState)
	if accept.status.State != workflows.Accepted || accept.status.AssignedHandler != handler {
		t.Errorf("after accepting on behalf: %+v", accept.status)
	}
	ev := h.last(string(workflows.CoordAccept))
	if ev.ActorUser != plCoordinator.UserID || ev.Command.Text != "accepted after a phone call" {
		t.Errorf("timeline entry %+v, want the coordinator and the reason", ev)
	}
	// The authority accepted, through its coordinator: it, not the
	// coordinator, now reads the personal data.
	if ev.After.AcceptedBy != responder.AuthorityID || ev.After.AssignedHandler != handler {
		t.Errorf("accepted by %v, handler %v", ev.After.AcceptedBy, ev.After.AssignedHandler)
	}
	h.expect(t, string(activities.AcceptanceEscalation), days(7))
}

func TestRequest_CoordinatorForwardRestartsTheAcceptanceClock(t *testing.T) {
	h := newRequestHarness(t, 60)
	abroad := h.act(8*day, workflows.CoordForward, workflows.RequestCommand{Actor: plCoordinator,
		ForwardTo: uuid.New(), ForwardToCountry: "FR", Text: "wrong country entirely"})
	forward := h.act(8*day+time.Hour, workflows.CoordForward, workflows.RequestCommand{Actor: plCoordinator,
		ForwardTo: otherResponder.AuthorityID, ForwardToCountry: "PL", Text: "the regional office is competent"})
	h.act(20*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	mustRefuse(t, "forward abroad", abroad, workflows.ErrTypeInvalidAction)
	h.mustSucceed(t, "forward", forward)
	if forward.status.RespondingAuthority != otherResponder.AuthorityID || forward.status.State != workflows.AwaitingAcceptance {
		t.Errorf("after the forward: %+v", forward.status)
	}
	from := 8*day + time.Hour
	h.expect(t, string(activities.AcceptanceEscalation), []time.Duration{7 * day, from + 7*day})
}

func TestRequest_ChaseIsRecordedAndLeavesTheDeadlinesAlone(t *testing.T) {
	h := newRequestHarness(t, 30)
	chase := h.act(2*day, workflows.Chase, workflows.RequestCommand{Actor: plCoordinator, Text: "please accept or forward this week"})
	byRequesting := h.act(2*day-time.Hour, workflows.Chase, workflows.RequestCommand{Actor: deCoordinator, Text: "chasing from the other side"})
	h.act(9*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	h.mustSucceed(t, "chase", chase)
	mustRefuse(t, "chase by the requesting country's coordinator", byRequesting, workflows.ErrTypeNotAllowed)
	if chase.status.State != workflows.AwaitingAcceptance {
		t.Errorf("after the chase: %s", chase.status.State)
	}
	h.expect(t, string(workflows.Chase), days(2))
	h.expect(t, string(activities.AcceptanceReminder), days(3, 6))
	h.expect(t, string(activities.AcceptanceEscalation), days(7))
}

func TestRequest_ReferredRequestIsMediatedReturnedAndClosedByTheCoordinators(t *testing.T) {
	h := newRequestHarness(t, 30)
	answer := workflows.RequestCommand{Actor: responder, Answers: []workflows.QuestionAnswer{{Question: "q", Value: "yes"}}}
	h.act(time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	h.act(2*day, workflows.ActAnswer, answer)
	earlyClose := h.act(2*day+time.Hour, workflows.CoordClose, workflows.RequestCommand{Actor: deCoordinator, Text: "nothing to mediate yet"})
	h.act(3*day, workflows.ActRefer, workflows.RequestCommand{Actor: requester, Text: "the answer contradicts the register"})
	note := h.act(4*day, workflows.CoordNote, workflows.RequestCommand{Actor: deCoordinator, Text: "our register says otherwise"})
	foreignNote := h.act(4*day-2*time.Hour, workflows.CoordNote, workflows.RequestCommand{Actor: frCoordinator, Text: "may I join in?"})
	officialClose := h.act(4*day-time.Hour, workflows.ActClose, workflows.RequestCommand{Actor: requester})
	badReturn := h.act(5*day, workflows.Return, workflows.RequestCommand{Actor: plCoordinator, ReturnTo: workflows.Closed, Text: "back to nowhere"})
	back := h.act(5*day+time.Hour, workflows.Return, workflows.RequestCommand{Actor: plCoordinator, ReturnTo: workflows.Accepted, Text: "the authority will check again"})
	h.act(6*day, workflows.ActAnswer, answer)
	h.act(7*day, workflows.ActRefer, workflows.RequestCommand{Actor: requester, Text: "still wrong"})
	closeIt := h.act(8*day, workflows.CoordClose, workflows.RequestCommand{Actor: deCoordinator, Text: "agreed between the coordinators: the register is right"})
	h.run(t)

	mustRefuse(t, "coordinators close an answered request", earlyClose, workflows.ErrTypeWrongState)
	h.mustSucceed(t, "note of the requesting country's coordinator", note)
	mustRefuse(t, "note of a third country's coordinator", foreignNote, workflows.ErrTypeNotAllowed)
	mustRefuse(t, "the requester closes a referred request", officialClose, workflows.ErrTypeWrongState)
	mustRefuse(t, "return to CLOSED", badReturn, workflows.ErrTypeInvalidAction)
	h.mustSucceed(t, "return to ACCEPTED", back)
	if back.status.State != workflows.Accepted {
		t.Errorf("after the return: %s", back.status.State)
	}
	h.mustSucceed(t, "coordinators close", closeIt)
	if closeIt.status.State != workflows.Closed {
		t.Errorf("after the coordinators' closure: %s", closeIt.status.State)
	}
	if ev := h.last(string(workflows.Return)); ev.Command.ReturnTo != string(workflows.Accepted) || ev.ActorUser != plCoordinator.UserID {
		t.Errorf("return recorded as %+v", ev)
	}
	h.expect(t, string(workflows.CoordNote), days(4))
	// Retention runs from the coordinators' closure.
	h.expect(t, string(activities.PersonalDataBlocked), after(8, retentionBlock))
}

func TestRequest_ALateReturnToAcceptedIsNotEscalatedBackToTheCoordinatorsAtOnce(t *testing.T) {
	// Agreed date day 5; answered on day 2, referred on day 3, and the
	// mediation outlasts the date: returned on day 20, past both
	// escalations (day 5+3 and day 5+10).
	h := newRequestHarness(t, 5)
	answer := workflows.RequestCommand{Actor: responder, Answers: []workflows.QuestionAnswer{{Question: "q", Value: "yes"}}}
	h.act(time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	h.act(2*day, workflows.ActAnswer, answer)
	h.act(3*day, workflows.ActRefer, workflows.RequestCommand{Actor: requester, Text: "contradicts the register"})
	back := h.act(20*day, workflows.Return, workflows.RequestCommand{Actor: plCoordinator, ReturnTo: workflows.Accepted, Text: "check it again, please"})
	h.act(21*day, workflows.ActAnswer, answer)
	h.act(22*day, workflows.ActClose, workflows.RequestCommand{Actor: requester})
	h.run(t)

	h.mustSucceed(t, "late return", back)
	h.expect(t, string(activities.ReplyEscalation), nil)
	h.expect(t, string(activities.ReplyEscalationBoth), nil)
	// It is overdue all the same: the date has passed.
	h.expect(t, string(activities.ReplyOverdue), days(20))
}

func TestRequest_AnInterventionOnARequestThatMovedMeanwhileIsRefused(t *testing.T) {
	h := newRequestHarness(t, 30)
	h.act(day, workflows.ActForward, workflows.RequestCommand{Actor: responder, ForwardTo: otherResponder.AuthorityID, ForwardToCountry: "PL", Text: "the regional office"})
	// The coordinator read the request while the first authority held it.
	stale := h.act(2*day, workflows.CoordAccept, workflows.RequestCommand{Actor: plCoordinator, ExpectedResponding: responder.AuthorityID, Text: "accepting on its behalf"})
	fresh := h.act(3*day, workflows.CoordAccept, workflows.RequestCommand{Actor: plCoordinator, ExpectedResponding: otherResponder.AuthorityID, Text: "accepting on its behalf"})
	h.act(4*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)
	mustRefuse(t, "intervention on a request that moved", stale, workflows.ErrTypeWrongState)
	h.mustSucceed(t, "intervention on the request as it is", fresh)
}
