package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

const day = 24 * time.Hour

// registrationHarness runs the Registration workflow with its activities
// mocked, recording when (in simulated time) each notice was given.
type registrationHarness struct {
	env     *testsuite.TestWorkflowEnvironment
	start   time.Time
	in      workflows.RegistrationInput
	notices map[activities.RegistrationNoticeKind][]time.Duration
	// failNotice and failDecision, when set, make the activity fail with
	// the error they return instead of succeeding.
	failNotice   func(activities.RegistrationNoticeInput) error
	failDecision func(activities.RegistrationDecisionInput) error
}

func newRegistrationHarness(t *testing.T) *registrationHarness {
	t.Helper()
	h := &registrationHarness{env: newTestEnvironment(), notices: map[activities.RegistrationNoticeKind][]time.Duration{}}
	h.start = h.env.Now()
	h.in = workflows.RegistrationInput{
		RegistrationID: uuid.New(), AuthorityID: uuid.New(),
		Country: "PL", Region: "Mazowieckie", Areas: []string{"services"},
		SubmittedAt: h.start, Day: day,
		ReminderDays: workflows.RegistrationReminderDays, EscalationDays: workflows.RegistrationEscalationDays,
	}
	var a *activities.Activities
	h.env.RegisterActivity(a.RegistrationNotice)
	h.env.RegisterActivity(a.DecideRegistration)
	h.env.OnActivity(a.RegistrationNotice, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RegistrationNoticeInput) error {
			if h.failNotice != nil {
				if err := h.failNotice(in); err != nil {
					return err
				}
			}
			h.notices[in.Kind] = append(h.notices[in.Kind], h.env.Now().Sub(h.start))
			return nil
		})
	h.env.OnActivity(a.DecideRegistration, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RegistrationDecisionInput) (activities.RegistrationOutcome, error) {
			if h.failDecision != nil {
				if err := h.failDecision(in); err != nil {
					return activities.RegistrationOutcome{}, err
				}
			}
			status := models.RegistrationRejected
			if in.Approve {
				status = models.RegistrationApproved
			}
			return activities.RegistrationOutcome{Status: status, DecidedAt: in.DecidedAt}, nil
		})
	return h
}

var polishNationalCoordinator = workflows.Actor{UserID: uuid.New(), BodyID: uuid.New(), National: true, Country: "PL", HasCoordinator: true}

type updateResult struct {
	outcome activities.RegistrationOutcome
	err     error
	done    bool
}

// decideAt sends the decide update after the delay, recording its result.
func (h *registrationHarness) decideAt(delay time.Duration, d workflows.RegistrationDecision) *updateResult {
	res := &updateResult{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.DecideRegistrationUpdate, uuid.NewString(), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { res.err, res.done = err, true },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				res.err, res.done = err, true
				if o, ok := v.(activities.RegistrationOutcome); ok {
					res.outcome = o
				}
			},
		}, d)
	}, delay)
	return res
}

func (h *registrationHarness) run(t *testing.T) activities.RegistrationOutcome {
	t.Helper()
	h.env.ExecuteWorkflow(workflows.Registration, h.in)
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var out activities.RegistrationOutcome
	if err := h.env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRegistration_UndecidedIsRemindedOnDay3AndEscalatedOnDay7(t *testing.T) {
	h := newRegistrationHarness(t)
	decision := h.decideAt(9*day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: true})

	out := h.run(t)

	if got := h.notices[activities.RegistrationSubmitted]; len(got) != 1 || got[0] != 0 {
		t.Errorf("submitted notices at %v, want one at once", got)
	}
	if got := h.notices[activities.RegistrationReminded]; len(got) != 1 || got[0] != 3*day {
		t.Errorf("reminders at %v, want exactly one at day 3", got)
	}
	if got := h.notices[activities.RegistrationEscalated]; len(got) != 1 || got[0] != 7*day {
		t.Errorf("escalations at %v, want exactly one at day 7", got)
	}
	if !decision.done || decision.err != nil || out.Status != models.RegistrationApproved {
		t.Errorf("decision on day 9: %+v, outcome %+v; want approved", decision, out)
	}
}

func TestRegistration_DecidedOnDay1IsNeitherRemindedNorEscalated(t *testing.T) {
	h := newRegistrationHarness(t)
	h.decideAt(day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: false, Reason: "not a public authority"})

	out := h.run(t)

	if out.Status != models.RegistrationRejected {
		t.Errorf("outcome %+v, want rejected", out)
	}
	if n := len(h.notices[activities.RegistrationReminded]) + len(h.notices[activities.RegistrationEscalated]); n != 0 {
		t.Errorf("%d reminders or escalations for a registration decided on day 1", n)
	}
	if h.env.Now().Sub(h.start) != day {
		t.Errorf("workflow ended at %v of simulated time, want right after the decision on day 1", h.env.Now().Sub(h.start))
	}
}

func TestRegistration_DecidedBetweenReminderAndEscalationIsOnlyReminded(t *testing.T) {
	h := newRegistrationHarness(t)
	h.decideAt(5*day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: true})
	h.run(t)
	if len(h.notices[activities.RegistrationReminded]) != 1 || len(h.notices[activities.RegistrationEscalated]) != 0 {
		t.Errorf("notices %v, want one reminder and no escalation", h.notices)
	}
}

func TestRegistration_DeadlinesCountFromSubmissionNotFromTheWorkflowStart(t *testing.T) {
	h := newRegistrationHarness(t)
	// The workflow starts two days after the registration was submitted
	// (say, a worker outage): the reminder is then due one day later.
	h.in.SubmittedAt = h.start.Add(-2 * day)
	h.decideAt(10*day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: true})
	h.run(t)
	if got := h.notices[activities.RegistrationReminded]; len(got) != 1 || got[0] != day {
		t.Errorf("reminder at %v after start, want at 1 day (day 3 after submission)", got)
	}
	if got := h.notices[activities.RegistrationEscalated]; len(got) != 1 || got[0] != 5*day {
		t.Errorf("escalation at %v after start, want at 5 days (day 7 after submission)", got)
	}
}

func TestRegistration_ValidatorRefusesSecondDecisionOutsiderAndRejectionWithoutReason(t *testing.T) {
	h := newRegistrationHarness(t)
	otherCountry := workflows.Actor{UserID: uuid.New(), National: true, Country: "DE", HasCoordinator: true}
	otherRegion := workflows.Actor{UserID: uuid.New(), Country: "PL", Region: "Pomorskie", HasCoordinator: true}
	otherArea := workflows.Actor{UserID: uuid.New(), Country: "PL", ScopeArea: "professional-qualifications", HasCoordinator: true}
	notCoordinator := workflows.Actor{UserID: uuid.New(), National: true, Country: "PL"}

	outsiders := []*updateResult{
		h.decideAt(time.Hour, workflows.RegistrationDecision{Actor: otherCountry, Approve: true}),
		h.decideAt(time.Hour, workflows.RegistrationDecision{Actor: otherRegion, Approve: true}),
		h.decideAt(time.Hour, workflows.RegistrationDecision{Actor: otherArea, Approve: true}),
		h.decideAt(time.Hour, workflows.RegistrationDecision{Actor: notCoordinator, Approve: true}),
	}
	noReason := h.decideAt(2*time.Hour, workflows.RegistrationDecision{Actor: polishNationalCoordinator})
	first := h.decideAt(3*time.Hour, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: true})
	// Sent at the same moment, as two coordinators clicking at once.
	second := h.decideAt(3*time.Hour, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: false, Reason: "changed my mind"})

	out := h.run(t)

	for i, r := range outsiders {
		if !hasErrorType(r.err, workflows.ErrTypeOutsideScope) {
			t.Errorf("outsider %d: %v, want refused as outside scope", i, r.err)
		}
	}
	if !hasErrorType(noReason.err, workflows.ErrTypeReasonRequired) {
		t.Errorf("rejection without reason: %v, want refused", noReason.err)
	}
	if first.err != nil || first.outcome.Status != models.RegistrationApproved {
		t.Errorf("first decision: %+v, want approved", first)
	}
	if !hasErrorType(second.err, workflows.ErrTypeAlreadyDecided) {
		t.Errorf("second decision: %v, want refused as already decided", second.err)
	}
	if out.Status != models.RegistrationApproved {
		t.Errorf("outcome %+v, want the first decision's", out)
	}
}

func hasErrorType(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}

func TestRegistration_ANoticeOrDecisionRefusedForGoodLeavesTheRegistrationDecidable(t *testing.T) {
	h := newRegistrationHarness(t)
	h.failNotice = func(in activities.RegistrationNoticeInput) error {
		if in.Kind == activities.RegistrationSubmitted {
			return refusedForGood()
		}
		return nil
	}
	h.failDecision = func(in activities.RegistrationDecisionInput) error {
		if in.Reason == "bad\x00reason" {
			return refusedForGood()
		}
		return nil
	}
	refused := h.decideAt(day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Reason: "bad\x00reason"})
	decision := h.decideAt(4*day, workflows.RegistrationDecision{Actor: polishNationalCoordinator, Approve: true})

	out := h.run(t)

	if !hasErrorType(refused.err, workflows.ErrTypeActionNotRecorded) {
		t.Errorf("decision the database refuses: %v, want %s", refused.err, workflows.ErrTypeActionNotRecorded)
	}
	if decision.err != nil || out.Status != models.RegistrationApproved {
		t.Errorf("the next decision: %v, outcome %+v; want approved", decision.err, out)
	}
	// The refused submission notice was skipped; the reminder still came.
	if got := h.notices[activities.RegistrationReminded]; len(got) != 1 || got[0] != 3*day {
		t.Errorf("reminders at %v, want one at day 3", got)
	}
}
