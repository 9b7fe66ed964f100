package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// RegistrationUserInput is the first user of a registering authority,
// who chooses a password at once.
type RegistrationUserInput struct {
	NewUserInput
	Password string `json:"password" form:"password" binding:"required"`
}

// RegisterInput is an invited authority registering itself.
type RegisterInput struct {
	InvitationToken string                `json:"invitation_token" form:"invitation_token" binding:"required,max=100"`
	Authority       AuthorityInput        `json:"authority" binding:"required"`
	FirstUser       RegistrationUserInput `json:"first_user" binding:"required"`
}

// Register records an invited authority and its first user as pending and
// starts the workflow that carries the registration to a coordinator's
// decision. Registration is never open: it needs an unused invitation for
// the authority's country (and region, when the invitation names one). The
// invitation is looked up before the password is hashed, and its tries
// count against the client's limit on links.
func (s *Service) Register(ctx context.Context, c Caller, in RegisterInput) (RegistrationView, error) {
	if err := s.validate.Check(in); err != nil {
		return RegistrationView{}, err
	}
	errs := s.checkNewAuthority(in.Authority, in.FirstUser.Language, true)
	if err := password.Check(in.FirstUser.Password); err != nil {
		errs = append(errs, FieldError{Field: "first_user.password", Rule: "strength", Param: err.Error()})
	}
	if len(errs) > 0 {
		return RegistrationView{}, InvalidFields(errs...)
	}
	if err := s.limitLinkUse(ctx, c); err != nil {
		return RegistrationView{}, err
	}
	tokenHash := HashToken(in.InvitationToken)
	if _, err := s.store.UsableInvitation(ctx, tokenHash, time.Now()); err != nil {
		return RegistrationView{}, s.linkFailed(ctx, c, err)
	}
	hash, err := password.Hash(in.FirstUser.Password)
	if err != nil {
		return RegistrationView{}, err
	}
	authority := authorityModel(in.Authority, models.CompetentAuthority, models.AuthorityPending)
	user := &models.User{
		Email: in.FirstUser.Email, DisplayName: strings.TrimSpace(in.FirstUser.DisplayName), PreferredLanguage: in.FirstUser.Language,
		PasswordHash: hash, Status: models.UserPending,
	}
	reg := &models.Registration{}
	err = s.store.CreateRegistration(ctx, models.NewRegistration{
		Authority: authority, FirstUser: user, Registration: reg, InvitationTokenHash: tokenHash,
	}, time.Now().UTC())
	if errors.Is(err, models.ErrInvitationInvalid) {
		return RegistrationView{}, s.linkFailed(ctx, c, err)
	}
	if err != nil {
		return RegistrationView{}, directoryStoreError(err, "the invitation")
	}
	if err := s.startRegistration(ctx, reg, authority); err != nil {
		// Without its workflow nobody would ever decide it: undo it whole,
		// so the official can simply try again.
		if delErr := s.store.DeleteRegistration(context.WithoutCancel(ctx), reg.ID); delErr != nil {
			err = errors.Join(err, delErr)
		}
		return RegistrationView{}, fmt.Errorf("start the registration's workflow: %w", err)
	}
	return RegistrationViewOf(*reg, *authority, nil), nil
}

func (s *Service) startRegistration(ctx context.Context, reg *models.Registration, a *models.Authority) error {
	in := workflows.RegistrationInput{
		RegistrationID: reg.ID, AuthorityID: a.ID, Country: a.CountryCode, Region: a.Region,
		SubmittedAt: reg.CreatedAt.UTC(), Day: s.settings.Day,
		ReminderDays: workflows.RegistrationReminderDays, EscalationDays: workflows.RegistrationEscalationDays,
	}
	for _, area := range a.Areas {
		in.Areas = append(in.Areas, area.AreaCode)
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflows.RegistrationWorkflowID(reg.ID),
		TaskQueue:                                s.settings.TaskQueue,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.RegistrationWorkflowName, in)
	return err
}

// RegistrationInput names a registration.
type RegistrationInput struct {
	ID uuid.UUID `json:"-" form:"-"`
}

func (s *Service) visibleRegistration(ctx context.Context, c Caller, id uuid.UUID) (models.Registration, error) {
	if err := accountRequired(c); err != nil {
		return models.Registration{}, err
	}
	reg, err := s.store.Registration(ctx, id)
	if err != nil {
		return models.Registration{}, directoryStoreError(err, "the registration")
	}
	if err := Deny(policy.ViewRegistration(c.Principal, authorityTarget(reg.Authority)), "the registration"); err != nil {
		return models.Registration{}, err
	}
	return reg, nil
}

// GetRegistration shows a coordinator of its scope a registration with its
// timeline.
func (s *Service) GetRegistration(ctx context.Context, c Caller, in RegistrationInput) (RegistrationView, error) {
	reg, err := s.visibleRegistration(ctx, c, in.ID)
	if err != nil {
		return RegistrationView{}, err
	}
	events, err := s.store.RegistrationEvents(ctx, reg.ID)
	if err != nil {
		return RegistrationView{}, err
	}
	return RegistrationViewOf(reg, reg.Authority, events), nil
}

// RegistrationList is the registrations awaiting the caller's decision.
type RegistrationList struct {
	Registrations []RegistrationView `json:"registrations"`
}

// ListRegistrations shows a coordinator the pending registrations of its
// scope, oldest first.
func (s *Service) ListRegistrations(ctx context.Context, c Caller) (RegistrationList, error) {
	if err := accountRequired(c); err != nil {
		return RegistrationList{}, err
	}
	p := c.Principal
	if p.Body == nil || !p.Body.Kind.IsCoordinator() {
		return RegistrationList{}, ForbiddenError("registrations")
	}
	regs, err := s.store.PendingRegistrations(ctx, p.Body.Country)
	if err != nil {
		return RegistrationList{}, err
	}
	out := RegistrationList{Registrations: []RegistrationView{}}
	for _, reg := range regs {
		if p.Coordinates(authorityTarget(reg.Authority)) {
			out.Registrations = append(out.Registrations, RegistrationViewOf(reg, reg.Authority, nil))
		}
	}
	return out, nil
}

// RejectRegistrationInput is a coordinator's refusal, with its reason.
type RejectRegistrationInput struct {
	ID     uuid.UUID `json:"-" form:"-"`
	Reason string    `json:"reason" form:"reason" binding:"required,max=2000"`
}

// ApproveRegistration lets a registered authority in.
func (s *Service) ApproveRegistration(ctx context.Context, c Caller, in RegistrationInput) (RegistrationView, error) {
	return s.decideRegistration(ctx, c, in.ID, true, "")
}

// RejectRegistration turns a registration down, saying why.
func (s *Service) RejectRegistration(ctx context.Context, c Caller, in RejectRegistrationInput) (RegistrationView, error) {
	if err := s.validate.Check(in); err != nil {
		return RegistrationView{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return RegistrationView{}, InvalidFields(FieldError{Field: "reason", Rule: "required"})
	}
	return s.decideRegistration(ctx, c, in.ID, false, reason)
}

// decideRegistration sends the coordinator's decision to the
// registration's workflow and returns once it is recorded.
func (s *Service) decideRegistration(ctx context.Context, c Caller, id uuid.UUID, approve bool, reason string) (RegistrationView, error) {
	reg, err := s.visibleRegistration(ctx, c, id)
	if err != nil {
		return RegistrationView{}, err
	}
	p := c.Principal
	if err := Deny(policy.DecideRegistration(p, authorityTarget(reg.Authority)), "the registration"); err != nil {
		return RegistrationView{}, err
	}
	if reg.Status != models.RegistrationPending {
		return RegistrationView{}, ConflictError("conflict", "the registration is already %s", reg.Status)
	}
	actor := workflows.Actor{UserID: p.UserID, HasCoordinator: p.Has(models.CoordinatorRole, "")}
	if b := p.Body; b != nil {
		actor.BodyID, actor.National, actor.Country, actor.Region, actor.ScopeArea =
			b.ID, b.Kind == models.NationalCoordinator, b.Country, b.Region, b.ScopeArea
	}
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.RegistrationWorkflowID(reg.ID),
		UpdateName:   workflows.DecideRegistrationUpdate,
		Args:         []any{workflows.RegistrationDecision{Actor: actor, Approve: approve, Reason: reason}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var outcome workflows.RegistrationOutcome
	if err == nil {
		err = handle.Get(ctx, &outcome)
	}
	if err != nil {
		return RegistrationView{}, registrationWorkflowError(err)
	}
	reg.Status, reg.Reason, reg.DecidedAt = outcome.Status, reason, &outcome.DecidedAt
	reg.Authority.Status = models.AuthorityRejected
	if approve {
		reg.Authority.Status = models.AuthorityActive
	}
	return RegistrationViewOf(reg, reg.Authority, nil), nil
}

// registrationWorkflowError turns the workflow's refusals into the use
// cases' errors: a state conflict, a scope refusal, a missing reason;
// anything else is the system's fault.
func registrationWorkflowError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeAlreadyDecided, "conflict":
			return &Error{Kind: Conflict, Code: "conflict", Message: appErr.Message(), Err: err}
		case workflows.ErrTypeOutsideScope:
			return &Error{Kind: Forbidden, Code: "forbidden", Message: appErr.Message(), Err: err}
		case workflows.ErrTypeReasonRequired:
			return InvalidFields(FieldError{Field: "reason", Rule: "required"})
		}
	}
	// A decision that arrives once another one has completed the workflow
	// finds no running workflow: it was decided already.
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		return &Error{Kind: Conflict, Code: "conflict", Message: "the registration has been decided already", Err: err}
	}
	return fmt.Errorf("decide the registration: %w", err)
}
