package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/workflows"
)

// recorded is one event the workflow wrote, at its simulated time.
type recorded struct {
	kind  string
	after time.Duration
	ev    activities.RequestEvent
}

type requestHarness struct {
	env    *testsuite.TestWorkflowEnvironment
	start  time.Time
	in     workflows.RequestInput
	events []recorded
	// fail, when set, decides whether the recording of an event fails
	// (non-nil) instead of being recorded; tried lists every key tried.
	fail  func(activities.RequestEvent) error
	tried []string
}

var (
	requester = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(), Handler: true}
	responder = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(), Handler: true}
	allocator = workflows.RequestActor{UserID: uuid.New(), AuthorityID: responder.AuthorityID, Allocator: true}
	outsider  = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(), Handler: true, Allocator: true}
	// Another authority of the responding country, for forwards.
	otherResponder = workflows.RequestActor{UserID: uuid.New(), AuthorityID: uuid.New(), Handler: true}
)

func newRequestHarness(t *testing.T, neededByDays int) *requestHarness {
	t.Helper()
	h := &requestHarness{env: newTestEnvironment()}
	h.start = h.env.Now()
	h.in = workflows.RequestInput{
		RequestID: uuid.New(), Reference: "IMI-2026-000001", Area: "services",
		RequestingAuthority: requester.AuthorityID, RequestingCountry: "DE",
		RespondingAuthority: responder.AuthorityID, RespondingCountry: "PL",
		SentAt: h.start, NeededByDays: neededByDays, Day: day,
		Deadlines: workflows.DefaultRequestDeadlines(), SentBy: requester.UserID,
	}
	var a *activities.Activities
	h.env.RegisterActivity(a.RecordRequestEvent)
	h.env.OnActivity(a.RecordRequestEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ev activities.RequestEvent) error {
			h.tried = append(h.tried, ev.Key)
			if h.fail != nil {
				if err := h.fail(ev); err != nil {
					return err
				}
			}
			h.events = append(h.events, recorded{kind: ev.Kind, after: h.env.Now().Sub(h.start), ev: ev})
			return nil
		})
	return h
}

type actionResult struct {
	status workflows.RequestStatus
	err    error
	done   bool
}

// act sends an action after delay (in simulated time).
func (h *requestHarness) act(delay time.Duration, a workflows.Action, cmd workflows.RequestCommand) *actionResult {
	res := &actionResult{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(string(a), uuid.NewString(), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { res.err, res.done = err, true },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				res.err, res.done = err, true
				if s, ok := v.(workflows.RequestStatus); ok {
					res.status = s
				}
			},
		}, cmd)
	}, delay)
	return res
}

// run executes the workflow until it ends or continues as new.
func (h *requestHarness) run(t *testing.T) {
	t.Helper()
	h.env.ExecuteWorkflow(workflows.InformationRequest, h.in)
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
}

// at lists the simulated times at which events of a kind were recorded.
func (h *requestHarness) at(kind string) []time.Duration {
	var out []time.Duration
	for _, e := range h.events {
		if e.kind == kind {
			out = append(out, e.after)
		}
	}
	return out
}

func days(n ...int) []time.Duration {
	out := make([]time.Duration, 0, len(n))
	for _, d := range n {
		out = append(out, time.Duration(d)*day)
	}
	return out
}

func sameTimes(got, want []time.Duration) bool { return slices.Equal(got, want) }

func (h *requestHarness) expect(t *testing.T, kind string, want []time.Duration) {
	t.Helper()
	if got := h.at(kind); !sameTimes(got, want) {
		t.Errorf("%s at %v, want %v", kind, got, want)
	}
}

func (h *requestHarness) mustSucceed(t *testing.T, name string, r *actionResult) {
	t.Helper()
	if !r.done || r.err != nil {
		t.Fatalf("%s: done=%v err=%v, want success", name, r.done, r.err)
	}
}

func mustRefuse(t *testing.T, name string, r *actionResult, errType string) {
	t.Helper()
	if !hasErrorType(r.err, errType) {
		t.Fatalf("%s: %v, want refused with %s", name, r.err, errType)
	}
}

// Retention counts mean calendar months (365.25 / 12 days) after closure.
var (
	retentionBlock  = time.Duration(6 * 365.25 / 12 * float64(day))
	retentionDelete = time.Duration(36 * 365.25 / 12 * float64(day))
)

func after(closedDay int, d time.Duration) []time.Duration {
	return []time.Duration{time.Duration(closedDay)*day + d}
}

func TestRequest_UnacceptedRequestIsRemindedOnDays3And6AndEscalatedOnDay7(t *testing.T) {
	h := newRequestHarness(t, 30)
	withdraw := h.act(9*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester, Text: "no longer needed"})
	h.run(t)

	h.mustSucceed(t, "withdraw on day 9", withdraw)
	h.expect(t, "sent", days(0))
	h.expect(t, string(activities.AcceptanceReminder), days(3, 6))
	h.expect(t, string(activities.AcceptanceEscalation), days(7))
	// Nothing of the reply runs for a request never accepted.
	h.expect(t, string(activities.ReplyReminder), nil)
	h.expect(t, string(activities.ReplyOverdue), nil)
	// Withdrawn: its personal data are blocked, then deleted, counted from withdrawal.
	h.expect(t, string(activities.PersonalDataBlocked), after(9, retentionBlock))
	h.expect(t, string(activities.PersonalDataDeleted), after(9, retentionDelete))
}

func TestRequest_AcceptedRequestIsRemindedBeforeAndOnTheDateThenOverdueAndEscalatedTwice(t *testing.T) {
	h := newRequestHarness(t, 20)
	accept := h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	answer := h.act(31*day+time.Hour, workflows.ActAnswer, workflows.RequestCommand{Actor: responder,
		Answers: []workflows.QuestionAnswer{{Question: "legally-established", Value: "yes"}}})
	closing := h.act(32*day, workflows.ActClose, workflows.RequestCommand{Actor: requester, TimelinessRating: 2, EffortRating: 4})
	h.run(t)

	h.mustSucceed(t, "accept", accept)
	h.mustSucceed(t, "answer", answer)
	h.mustSucceed(t, "close", closing)
	h.expect(t, string(activities.AcceptanceReminder), nil)
	h.expect(t, string(activities.ReplyReminder), days(17, 20))
	h.expect(t, string(activities.ReplyOverdue), days(21))
	h.expect(t, string(activities.ReplyEscalation), days(23))
	h.expect(t, string(activities.ReplyEscalationBoth), days(30))
	h.expect(t, string(activities.PersonalDataBlocked), after(32, retentionBlock))
	h.expect(t, string(activities.PersonalDataDeleted), after(32, retentionDelete))
	for _, e := range h.events {
		if e.kind == string(activities.ReplyOverdue) && !e.ev.After.Overdue {
			t.Error("the overdue event does not mark the request overdue")
		}
	}
}

func TestRequest_ForwardRestartsTheAcceptanceClock(t *testing.T) {
	h := newRequestHarness(t, 30)
	forward := h.act(5*day, workflows.ActForward, workflows.RequestCommand{Actor: responder,
		ForwardTo: otherResponder.AuthorityID, ForwardToCountry: "PL", Text: "competent is the regional office"})
	// The authority that forwarded is no longer part of the request.
	late := h.act(5*day+time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	accept := h.act(14*day, workflows.ActAccept, workflows.RequestCommand{Actor: otherResponder})
	withdraw := h.act(15*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	h.mustSucceed(t, "forward", forward)
	mustRefuse(t, "accept by the authority that forwarded", late, workflows.ErrTypeNotAllowed)
	h.mustSucceed(t, "accept by the new authority", accept)
	h.mustSucceed(t, "withdraw", withdraw)
	// Day 3 before the forward; then 5+3, 5+6, and escalation 5+7: the old day 6 and 7 never fire.
	h.expect(t, string(activities.AcceptanceReminder), days(3, 8, 11))
	h.expect(t, string(activities.AcceptanceEscalation), days(12))
	if len(h.events) < 2 || h.events[1].ev.After.RespondingAuthority != responder.AuthorityID {
		t.Fatalf("events %v", h.events)
	}
	for _, e := range h.events {
		if e.kind == "forward" && e.ev.After.RespondingAuthority != otherResponder.AuthorityID {
			t.Errorf("forward recorded responding authority %v, want the new one", e.ev.After.RespondingAuthority)
		}
	}
}

func TestRequest_AgreedNewDeadlineReschedulesTheReplyTimers(t *testing.T) {
	h := newRequestHarness(t, 10)
	accept := h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder, ProposedDueDays: 25})
	// Until the requester agrees, the needed-by date (day 10) governs.
	agree := h.act(8*day, workflows.ActAgreeDeadline, workflows.RequestCommand{Actor: requester})
	answer := h.act(24*day, workflows.ActAnswer, workflows.RequestCommand{Actor: responder,
		Answers: []workflows.QuestionAnswer{{Question: "legally-established", Value: "no"}}})
	withdrawTooLate := h.act(24*day+time.Hour, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	closing := h.act(25*day, workflows.ActClose, workflows.RequestCommand{Actor: requester})
	h.run(t)

	h.mustSucceed(t, "accept with a proposal", accept)
	if accept.status.ProposedDueDays != 25 || accept.status.ReplyDueDays != 10 {
		t.Errorf("after accept: %+v, want day 10 due and day 25 proposed", accept.status)
	}
	h.mustSucceed(t, "agree", agree)
	if agree.status.ReplyDueDays != 25 || agree.status.ProposedDueDays != 0 {
		t.Errorf("after agreement: %+v, want day 25 due", agree.status)
	}
	h.mustSucceed(t, "answer", answer)
	mustRefuse(t, "withdraw once answered", withdrawTooLate, workflows.ErrTypeWrongState)
	h.mustSucceed(t, "close", closing)
	// Old date (day 10): its reminder 3 days before fired on day 7; agreement on day 8
	// moved the date to day 25: reminders on days 22 and 25 are pending but the
	// answer on day 24 ends the reply timers before the day-25 one.
	h.expect(t, string(activities.ReplyReminder), days(7, 22))
	h.expect(t, string(activities.ReplyOverdue), nil)
}

func TestRequest_ClarificationLoopThenClosure(t *testing.T) {
	h := newRequestHarness(t, 30)
	steps := []*actionResult{
		h.act(1*day, workflows.ActAccept, workflows.RequestCommand{Actor: responder}),
		h.act(2*day, workflows.ActAnswer, workflows.RequestCommand{Actor: responder, Answers: []workflows.QuestionAnswer{{Question: "q1", Value: "yes"}}}),
		h.act(3*day, workflows.ActRequestClarification, workflows.RequestCommand{Actor: requester, Text: "Which register?", TextLang: "en"}),
		h.act(4*day, workflows.ActClarify, workflows.RequestCommand{Actor: responder, Text: "The trade register.", TextLang: "en"}),
		h.act(5*day, workflows.ActRequestClarification, workflows.RequestCommand{Actor: requester, Text: "Since when?", TextLang: "en"}),
		h.act(6*day, workflows.ActClarify, workflows.RequestCommand{Actor: responder, Text: "Since 2019.", TextLang: "en"}),
		h.act(7*day, workflows.ActClose, workflows.RequestCommand{Actor: requester, TimelinessRating: 5, EffortRating: 5}),
	}
	h.run(t)
	want := []workflows.RequestState{workflows.Accepted, workflows.Answered, workflows.ClarificationRequested,
		workflows.Answered, workflows.ClarificationRequested, workflows.Answered, workflows.Closed}
	for i, s := range steps {
		h.mustSucceed(t, fmt.Sprintf("step %d", i+1), s)
		if s.status.State != want[i] {
			t.Errorf("step %d: state %s, want %s", i+1, s.status.State, want[i])
		}
	}
	h.expect(t, string(activities.PersonalDataBlocked), after(7, retentionBlock))
}

func TestRequest_WithdrawIsAllowedWhileAwaitingAndAcceptedOnly(t *testing.T) {
	t.Run("awaiting acceptance", func(t *testing.T) {
		h := newRequestHarness(t, 30)
		r := h.act(day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
		h.run(t)
		h.mustSucceed(t, "withdraw", r)
		if r.status.State != workflows.Withdrawn {
			t.Errorf("state %s", r.status.State)
		}
	})
	t.Run("accepted", func(t *testing.T) {
		h := newRequestHarness(t, 30)
		h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
		r := h.act(2*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
		h.run(t)
		h.mustSucceed(t, "withdraw", r)
		// No reply reminder fires for a withdrawn request.
		h.expect(t, string(activities.ReplyReminder), nil)
	})
	t.Run("answered and referred", func(t *testing.T) {
		h := newRequestHarness(t, 30)
		h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
		h.act(2*day, workflows.ActAnswer, workflows.RequestCommand{Actor: responder, Answers: []workflows.QuestionAnswer{{Question: "q1", Value: "yes"}}})
		answered := h.act(3*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
		refer := h.act(4*day, workflows.ActRefer, workflows.RequestCommand{Actor: requester, Text: "the answer contradicts the register"})
		referred := h.act(5*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
		h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 6*day)
		h.run(t)
		mustRefuse(t, "withdraw when answered", answered, workflows.ErrTypeWrongState)
		h.mustSucceed(t, "refer", refer)
		mustRefuse(t, "withdraw when referred", referred, workflows.ErrTypeWrongState)
		if !strings.Contains(answered.err.Error(), "ANSWERED") || !strings.Contains(answered.err.Error(), "close") {
			t.Errorf("refusal %q does not name the state and what is possible", answered.err)
		}
	})
}

func TestRequest_RightsAreCheckedByTheValidator(t *testing.T) {
	h := newRequestHarness(t, 30)
	noRole := workflows.RequestActor{UserID: uuid.New(), AuthorityID: responder.AuthorityID}
	results := map[string]*actionResult{
		"outsider accepts":               h.act(time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: outsider}),
		"requester accepts":              h.act(time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: requester}),
		"responder without role accepts": h.act(time.Hour, workflows.ActAccept, workflows.RequestCommand{Actor: noRole}),
		"handler assigns":                h.act(time.Hour, workflows.ActAssign, workflows.RequestCommand{Actor: responder, Handler: responder.UserID}),
	}
	assign := h.act(2*time.Hour, workflows.ActAssign, workflows.RequestCommand{Actor: allocator, Handler: responder.UserID})
	forwardAbroad := h.act(3*time.Hour, workflows.ActForward, workflows.RequestCommand{Actor: responder, ForwardTo: uuid.New(), ForwardToCountry: "FR"})
	h.act(4*time.Hour, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)
	for name, r := range results {
		mustRefuse(t, name, r, workflows.ErrTypeNotAllowed)
	}
	h.mustSucceed(t, "allocator assigns", assign)
	if assign.status.AssignedHandler != responder.UserID {
		t.Errorf("assigned %v", assign.status.AssignedHandler)
	}
	mustRefuse(t, "forward abroad", forwardAbroad, workflows.ErrTypeInvalidAction)
}

func TestRequest_OfTwoSimultaneousAcceptsOneWins(t *testing.T) {
	h := newRequestHarness(t, 30)
	var results []*actionResult
	for range 5 {
		results = append(results, h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder}))
	}
	h.act(2*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)
	won := 0
	for _, r := range results {
		switch {
		case r.err == nil && r.done:
			won++
		case hasErrorType(r.err, workflows.ErrTypeBusy), hasErrorType(r.err, workflows.ErrTypeWrongState):
		default:
			t.Errorf("accept: %v", r.err)
		}
	}
	if won != 1 {
		t.Errorf("%d accepts succeeded, want exactly 1", won)
	}
	if n := len(h.at("accept")); n != 1 {
		t.Errorf("%d accept events recorded, want 1", n)
	}
}

func TestRequest_ContinueAsNewKeepsPendingDeadlinesAndFiresNothingTwice(t *testing.T) {
	h := newRequestHarness(t, 30)
	h.in.ContinueAsNewAfter = 2
	// sent (day 0) and the day-3 reminder make two events: the run continues as new.
	h.run(t)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want a continue-as-new", err)
	}
	var next workflows.RequestInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Resume == nil || len(next.Resume.Fired) != 1 {
		t.Fatalf("carried progress %+v, want the day-3 reminder recorded as fired", next.Resume)
	}
	h.expect(t, string(activities.AcceptanceReminder), days(3))

	// The second run starts where the first stopped (day 3), with the same
	// absolute times: it must fire the day-6 reminder and the day-7
	// escalation, and not the day-3 reminder again.
	h2 := newRequestHarness(t, 30)
	h2.env.SetStartTime(h.start.Add(3 * day))
	h2.start = h.start
	next.ContinueAsNewAfter = 0
	h2.in = next
	h2.act(5*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h2.run(t)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	h2.expect(t, "sent", nil)
	h2.expect(t, string(activities.AcceptanceReminder), days(6))
	h2.expect(t, string(activities.AcceptanceEscalation), days(7))
	h2.expect(t, "withdraw", days(8))
}
