package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/openimi/openimi/activities"
)

// RegistrationWorkflowName names the workflow that carries an authority's
// registration to a coordinator's decision.
const RegistrationWorkflowName = "Registration"

// DecideRegistrationUpdate is the update through which a coordinator
// approves or rejects.
const DecideRegistrationUpdate = "decide"

// RegistrationWorkflowID is the business key of a registration's workflow.
func RegistrationWorkflowID(registrationID uuid.UUID) string {
	return "registration/" + registrationID.String()
}

// Defaults of the registration deadlines, in days of OPENIMI_DAY.
const (
	RegistrationReminderDays   = 3
	RegistrationEscalationDays = 7
)

// RegistrationInput starts a registration's workflow once the authority
// and its first user are recorded as pending.
type RegistrationInput struct {
	RegistrationID uuid.UUID
	AuthorityID    uuid.UUID
	Country        string
	Region         string
	Areas          []string
	// SubmittedAt anchors the deadlines: they are computed from the
	// registration's own timestamp, never from a worker's clock.
	SubmittedAt time.Time
	// Day is the length of one day; ReminderDays and EscalationDays count them.
	Day            time.Duration
	ReminderDays   int
	EscalationDays int
}

// Actor is who sends an update, as the API authenticated them.
type Actor struct {
	UserID uuid.UUID
	// The coordinator body the actor speaks for and its scope.
	BodyID         uuid.UUID
	National       bool
	Country        string
	Region         string
	ScopeArea      string
	HasCoordinator bool
}

// RegistrationDecision is a coordinator's approval or rejection.
type RegistrationDecision struct {
	Actor   Actor
	Approve bool
	// Reason is required for a rejection; it is sent to the authority.
	Reason string
}

// RegistrationOutcome is the registration's state after a decision.
type RegistrationOutcome = activities.RegistrationOutcome

// Types of the errors the decide update's validator returns; the API maps
// them to statuses. They cross Temporal as application error types.
const (
	ErrTypeAlreadyDecided = "AlreadyDecided"
	ErrTypeOutsideScope   = "OutsideScope"
	ErrTypeReasonRequired = "ReasonRequired"
)

var (
	errAlreadyDecided = temporal.NewApplicationError("the registration has already been decided", ErrTypeAlreadyDecided)
	errOutsideScope   = temporal.NewApplicationError("the registration is outside the coordinator's scope", ErrTypeOutsideScope)
	errReasonRequired = temporal.NewApplicationError("a rejection needs a reason", ErrTypeReasonRequired)
)

// coversRegistration mirrors the policy package's scope rule, so that the
// workflow refuses a decision even from a caller that skipped the API.
func (a Actor) coversRegistration(in RegistrationInput) bool {
	if !a.HasCoordinator || a.Country != in.Country {
		return false
	}
	if a.National {
		return true
	}
	if a.Region != "" && a.Region != in.Region {
		return false
	}
	if a.ScopeArea != "" {
		for _, area := range in.Areas {
			if area == a.ScopeArea {
				return true
			}
		}
		return false
	}
	return true
}

type registration struct {
	in       RegistrationInput
	deciding bool
	outcome  *RegistrationOutcome
}

// Registration waits for a coordinator of the authority's scope to approve
// or reject it, reminding the coordinators after ReminderDays and
// escalating to the national coordinator after EscalationDays.
func Registration(ctx workflow.Context, in RegistrationInput) (RegistrationOutcome, error) {
	r := &registration{in: in}
	if err := r.setup(ctx); err != nil {
		return RegistrationOutcome{}, err
	}
	return r.run(ctx)
}

func (r *registration) setup(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, DecideRegistrationUpdate, r.decide,
		workflow.UpdateHandlerOptions{Validator: r.validateDecision})
}

func (r *registration) validateDecision(ctx workflow.Context, d RegistrationDecision) error {
	switch {
	case r.deciding || r.outcome != nil:
		return errAlreadyDecided
	case !d.Actor.coversRegistration(r.in):
		return errOutsideScope
	case !d.Approve && d.Reason == "":
		return errReasonRequired
	}
	return nil
}

// decide applies the decision and returns once it is visible in the
// database, so that a read right after sees it.
func (r *registration) decide(ctx workflow.Context, d RegistrationDecision) (RegistrationOutcome, error) {
	r.deciding = true
	var a *activities.Activities
	var outcome RegistrationOutcome
	err := workflow.ExecuteActivity(actionContext(ctx), a.DecideRegistration, activities.RegistrationDecisionInput{
		RegistrationID: r.in.RegistrationID,
		ActorUserID:    d.Actor.UserID,
		Approve:        d.Approve,
		Reason:         d.Reason,
		DecidedAt:      workflow.Now(ctx),
	}).Get(ctx, &outcome)
	if err != nil {
		r.deciding = false
		var appErr *temporal.ApplicationError
		if !handlesRecordingFailures(ctx) || (errors.As(err, &appErr) && appErr.Type() == "conflict") {
			// Decided otherwise meanwhile: the API maps the activity's
			// own type.
			return RegistrationOutcome{}, fmt.Errorf("record the decision: %w", err)
		}
		workflow.GetLogger(ctx).Error("decision not recorded; the registration is still pending", "error", err)
		return RegistrationOutcome{}, notRecorded("the decision", err)
	}
	r.outcome = &outcome
	return outcome, nil
}

func (r *registration) run(ctx workflow.Context) (RegistrationOutcome, error) {
	decided := func() bool { return r.outcome != nil }
	if err := r.notice(ctx, activities.RegistrationSubmitted, decided); err != nil {
		return RegistrationOutcome{}, err
	}

	steps := []struct {
		days int
		kind activities.RegistrationNoticeKind
	}{
		{r.in.ReminderDays, activities.RegistrationReminded},
		{r.in.EscalationDays, activities.RegistrationEscalated},
	}
	for _, step := range steps {
		due := r.in.SubmittedAt.Add(time.Duration(step.days) * r.in.Day)
		wait := due.Sub(workflow.Now(ctx))
		if wait > 0 {
			done, err := workflow.AwaitWithTimeout(ctx, wait, decided)
			if err != nil {
				return RegistrationOutcome{}, err
			}
			if done {
				break
			}
		}
		if decided() {
			break
		}
		if err := r.notice(ctx, step.kind, decided); err != nil {
			return RegistrationOutcome{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return decided() && workflow.AllHandlersFinished(ctx) }); err != nil {
		return RegistrationOutcome{}, err
	}
	return *r.outcome, nil
}

// notice records a step of the registration and tells the coordinators.
// A notice refused for good is skipped (the next step's notice tells them
// again); while the database is out of reach it is tried again after
// recordRetryPause, until the registration is decided.
func (r *registration) notice(ctx workflow.Context, kind activities.RegistrationNoticeKind, decided func() bool) error {
	var a *activities.Activities
	at := workflow.Now(ctx)
	for {
		err := workflow.ExecuteActivity(backgroundContext(ctx), a.RegistrationNotice, activities.RegistrationNoticeInput{
			RegistrationID: r.in.RegistrationID,
			Kind:           kind,
			At:             at,
		}).Get(ctx, nil)
		if err == nil || !handlesRecordingFailures(ctx) {
			return err
		}
		log := workflow.GetLogger(ctx)
		if permanent(err) {
			log.Error("registration notice could not be recorded; it is skipped", "kind", string(kind), "error", err)
			return nil
		}
		log.Warn("registration notice not recorded yet; trying again later", "kind", string(kind), "retry_in", recordRetryPause.String(), "error", err)
		done, err := workflow.AwaitWithTimeout(ctx, recordRetryPause, decided)
		if err != nil || done {
			return err
		}
	}
}
