package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

func itoa(i int) string { return strconv.Itoa(i) }

func joinComma(s []string) string { return strings.Join(s, ", ") }

// pathID parses the :name path parameter as a UUID; a malformed one is a
// resource that does not exist.
func pathID(c *gin.Context, name, what string) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		abortWithError(c, http.StatusNotFound, "not_found", what+" does not exist or is not visible to you", nil)
		return uuid.Nil, false
	}
	return id, true
}

func targetOf(a models.Authority) policy.Target {
	t := policy.Target{ID: a.ID, Country: a.CountryCode, Region: a.Region, Status: a.Status}
	for _, area := range a.Areas {
		t.Areas = append(t.Areas, area.AreaCode)
	}
	return t
}

// ---- coordinators ----

type coordinatorRequest struct {
	Kind      models.AuthorityKind `json:"kind" binding:"required,oneof=national_coordinator delegated_coordinator"`
	ScopeArea string               `json:"scope_area" binding:"max=60"`
	Authority authorityInput       `json:"authority" binding:"required"`
	FirstUser newUserInput         `json:"first_user" binding:"required"`
}

// createCoordinator registers a coordinator body and its first user: the
// helpdesk registers national coordinators, a national coordinator (or the
// helpdesk) its delegated ones. The body is active at once; its first user
// sets a password through an emailed link.
func (h *handlers) createCoordinator(c *gin.Context) {
	var req coordinatorRequest
	if !h.bindJSON(c, &req) {
		return
	}
	p := principal(c)
	decision := policy.CreateNationalCoordinator(p)
	if req.Kind == models.DelegatedCoordinator {
		decision = policy.CreateDelegatedCoordinator(p, req.Authority.Country)
	}
	if decision != policy.Allow {
		deny(c, decision, "coordinators of "+req.Authority.Country)
		return
	}
	errs := checkNewAuthority(h.ref, req.Authority, req.FirstUser.Language, false)
	if req.Kind == models.NationalCoordinator && (req.ScopeArea != "" || req.Authority.Region != "") {
		errs = append(errs, FieldError{Field: "scope_area", Rule: "national_covers_whole_country"})
	}
	if req.Kind == models.DelegatedCoordinator {
		if req.ScopeArea == "" && req.Authority.Region == "" {
			errs = append(errs, FieldError{Field: "scope_area", Rule: "region_or_area_required"})
		}
		if req.ScopeArea != "" && !h.ref.HasArea(req.ScopeArea) {
			errs = append(errs, FieldError{Field: "scope_area", Rule: "known_area", Param: req.ScopeArea})
		}
	}
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	authority := authorityModel(h.ref, req.Authority, req.Kind, models.AuthorityActive)
	authority.ScopeArea = req.ScopeArea
	h.createWithFirstUser(c, authority, req.FirstUser, []models.UserRole{{Role: models.CoordinatorRole}, {Role: models.LocalDataAdministrator}})
}

// createWithFirstUser stores an authority with its first user, pending
// until they set a password through the emailed activation link.
func (h *handlers) createWithFirstUser(c *gin.Context, authority *models.Authority, in newUserInput, roles []models.UserRole) {
	token, tokenHash := cases.NewToken()
	user := &models.User{Email: in.Email, DisplayName: in.DisplayName, PreferredLanguage: in.Language, Status: models.UserPending}
	activation := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.ActivationToken, ExpiresAt: time.Now().Add(cases.ActivationLinkTTL)}
	err := h.store.CreateAuthorityWithUser(c.Request.Context(), models.NewAuthorityWithUser{
		Authority: authority, FirstUser: user, Roles: roles, Activation: activation,
	}, h.mailActivation(user, authority.OfficialName, activation, token))
	if err != nil {
		h.storeError(c, err, "the authority")
		return
	}
	c.JSON(http.StatusCreated, gin.H{"authority": authorityViewOf(*authority, ""), "first_user": userViewOf(*user, roles)})
}

// ---- invitations ----

type invitationRequest struct {
	Email    string `json:"email" binding:"required,email,max=254"`
	Language string `json:"language" binding:"required,len=2,lowercase"`
	Region   string `json:"region" binding:"max=100"`
	Note     string `json:"note" binding:"max=2000"`
}

// invite asks an authority of the coordinator's scope to register, by an
// emailed single-use link.
func (h *handlers) invite(c *gin.Context) {
	var req invitationRequest
	if !h.bindJSON(c, &req) {
		return
	}
	p := principal(c)
	if p.Body == nil {
		deny(c, policy.Forbidden, "invitations")
		return
	}
	if d := policy.InviteAuthority(p, p.Body.Country, req.Region); d != policy.Allow {
		deny(c, d, "invitations for this region")
		return
	}
	if !h.ref.HasLanguage(req.Language) {
		fieldErrors(c, []FieldError{{Field: "language", Rule: "known_language", Param: req.Language}})
		return
	}
	body, err := h.store.Authority(c.Request.Context(), p.Body.ID)
	if err != nil {
		h.internalError(c, err)
		return
	}
	token, tokenHash := cases.NewToken()
	inv := &models.Invitation{
		TokenHash: tokenHash, Email: models.NormalizeEmail(req.Email), Language: req.Language,
		CountryCode: p.Body.Country, Region: strings.TrimSpace(req.Region), Note: req.Note,
		InvitedByUser: p.UserID, InvitedByBody: p.Body.ID, ExpiresAt: time.Now().Add(cases.InvitationTTL),
	}
	if err := h.store.CreateInvitation(c.Request.Context(), inv, h.mailInvitation(inv, body.OfficialName, token)); err != nil {
		h.internalError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{
		"id": inv.ID, "email": inv.Email, "country": inv.CountryCode, "region": inv.Region, "expires_at": inv.ExpiresAt.UTC(),
	})
}

// ---- registrations ----

type registrationUserInput struct {
	newUserInput
	Password string `json:"password" binding:"required"`
}

type registrationRequest struct {
	InvitationToken string                `json:"invitation_token" binding:"required,max=100"`
	Authority       authorityInput        `json:"authority" binding:"required"`
	FirstUser       registrationUserInput `json:"first_user" binding:"required"`
}

// register records an invited authority and its first user as pending and
// starts the workflow that carries the registration to a coordinator's
// decision. Registration is never open: it needs an unused invitation for
// the authority's country (and region, when the invitation names one).
func (h *handlers) register(c *gin.Context) {
	var req registrationRequest
	if !h.bindJSON(c, &req) {
		return
	}
	errs := checkNewAuthority(h.ref, req.Authority, req.FirstUser.Language, true)
	hash, err := password.Hash(req.FirstUser.Password)
	if errors.Is(err, password.ErrWeak) {
		errs = append(errs, FieldError{Field: "first_user.password", Rule: "strength", Param: err.Error()})
	} else if err != nil {
		h.internalError(c, err)
		return
	}
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	ctx := c.Request.Context()
	now := time.Now().UTC()
	authority := authorityModel(h.ref, req.Authority, models.CompetentAuthority, models.AuthorityPending)
	user := &models.User{
		Email: req.FirstUser.Email, DisplayName: req.FirstUser.DisplayName, PreferredLanguage: req.FirstUser.Language,
		PasswordHash: hash, Status: models.UserPending,
	}
	reg := &models.Registration{}
	err = h.store.CreateRegistration(ctx, models.NewRegistration{
		Authority: authority, FirstUser: user, Registration: reg, InvitationTokenHash: cases.HashToken(req.InvitationToken),
	}, now)
	if err != nil {
		h.storeError(c, err, "the invitation")
		return
	}
	if err := h.startRegistration(ctx, reg, authority); err != nil {
		// Without its workflow nobody would ever decide it: undo it whole,
		// so the official can simply try again.
		if delErr := h.store.DeleteRegistration(context.WithoutCancel(ctx), reg.ID); delErr != nil {
			err = errors.Join(err, delErr)
		}
		h.internalError(c, err)
		return
	}
	c.JSON(http.StatusCreated, registrationViewOf(*reg, *authority, nil))
}

func (h *handlers) startRegistration(ctx context.Context, reg *models.Registration, a *models.Authority) error {
	in := workflows.RegistrationInput{
		RegistrationID: reg.ID, AuthorityID: a.ID, Country: a.CountryCode, Region: a.Region,
		SubmittedAt: reg.CreatedAt.UTC(), Day: h.settings.Day,
		ReminderDays: workflows.RegistrationReminderDays, EscalationDays: workflows.RegistrationEscalationDays,
	}
	for _, area := range a.Areas {
		in.Areas = append(in.Areas, area.AreaCode)
	}
	_, err := h.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflows.RegistrationWorkflowID(reg.ID),
		TaskQueue:                                h.settings.TaskQueue,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.RegistrationWorkflowName, in)
	return err
}

func (h *handlers) loadRegistration(c *gin.Context) (models.Registration, bool) {
	id, ok := pathID(c, "id", "the registration")
	if !ok {
		return models.Registration{}, false
	}
	reg, err := h.store.Registration(c.Request.Context(), id)
	if err != nil {
		h.storeError(c, err, "the registration")
		return models.Registration{}, false
	}
	if d := policy.ViewRegistration(principal(c), targetOf(reg.Authority)); d != policy.Allow {
		deny(c, d, "the registration")
		return models.Registration{}, false
	}
	return reg, true
}

func (h *handlers) getRegistration(c *gin.Context) {
	reg, ok := h.loadRegistration(c)
	if !ok {
		return
	}
	events, err := h.store.RegistrationEvents(c.Request.Context(), reg.ID)
	if err != nil {
		h.internalError(c, err)
		return
	}
	c.JSON(http.StatusOK, registrationViewOf(reg, reg.Authority, events))
}

// listRegistrations shows a coordinator the pending registrations of its
// scope, oldest first.
func (h *handlers) listRegistrations(c *gin.Context) {
	p := principal(c)
	if p.Body == nil || !p.Body.Kind.IsCoordinator() {
		deny(c, policy.Forbidden, "registrations")
		return
	}
	regs, err := h.store.PendingRegistrations(c.Request.Context(), p.Body.Country)
	if err != nil {
		h.internalError(c, err)
		return
	}
	out := []registrationView{}
	for _, reg := range regs {
		if p.Coordinates(targetOf(reg.Authority)) {
			out = append(out, registrationViewOf(reg, reg.Authority, nil))
		}
	}
	c.JSON(http.StatusOK, gin.H{"registrations": out})
}

type rejectRequest struct {
	Reason string `json:"reason" binding:"required,max=2000"`
}

func (h *handlers) approveRegistration(c *gin.Context) { h.decideRegistration(c, true) }
func (h *handlers) rejectRegistration(c *gin.Context)  { h.decideRegistration(c, false) }

// decideRegistration sends the coordinator's decision to the registration's
// workflow and answers once it is recorded.
func (h *handlers) decideRegistration(c *gin.Context, approve bool) {
	var reason string
	if !approve {
		var req rejectRequest
		if !h.bindJSON(c, &req) {
			return
		}
		reason = strings.TrimSpace(req.Reason)
	}
	reg, ok := h.loadRegistration(c)
	if !ok {
		return
	}
	p := principal(c)
	if d := policy.DecideRegistration(p, targetOf(reg.Authority)); d != policy.Allow {
		deny(c, d, "the registration")
		return
	}
	if reg.Status != models.RegistrationPending {
		abortWithError(c, http.StatusConflict, "conflict", "the registration is already "+string(reg.Status), nil)
		return
	}
	actor := workflows.Actor{UserID: p.UserID, HasCoordinator: p.Has(models.CoordinatorRole, "")}
	if b := p.Body; b != nil {
		actor.BodyID, actor.National, actor.Country, actor.Region, actor.ScopeArea =
			b.ID, b.Kind == models.NationalCoordinator, b.Country, b.Region, b.ScopeArea
	}
	handle, err := h.temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID:   workflows.RegistrationWorkflowID(reg.ID),
		UpdateName:   workflows.DecideRegistrationUpdate,
		Args:         []any{workflows.RegistrationDecision{Actor: actor, Approve: approve, Reason: reason}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var outcome workflows.RegistrationOutcome
	if err == nil {
		err = handle.Get(c.Request.Context(), &outcome)
	}
	if err != nil {
		h.workflowError(c, err)
		return
	}
	reg.Status, reg.Reason, reg.DecidedAt = outcome.Status, reason, &outcome.DecidedAt
	reg.Authority.Status = models.AuthorityRejected
	if approve {
		reg.Authority.Status = models.AuthorityActive
	}
	c.JSON(http.StatusOK, registrationViewOf(reg, reg.Authority, nil))
}

// workflowError maps a workflow's refusal to a status: a state conflict is
// 409, a scope refusal 403; anything else is the system's fault.
func (h *handlers) workflowError(c *gin.Context, err error) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeAlreadyDecided, "conflict":
			abortWithError(c, http.StatusConflict, "conflict", appErr.Message(), nil)
			return
		case workflows.ErrTypeOutsideScope:
			abortWithError(c, http.StatusForbidden, "forbidden", appErr.Message(), nil)
			return
		case workflows.ErrTypeReasonRequired:
			fieldErrors(c, []FieldError{{Field: "reason", Rule: "required"}})
			return
		}
	}
	// A decision that arrives once another one has completed the workflow
	// finds no running workflow: it was decided already.
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		abortWithError(c, http.StatusConflict, "conflict", "the registration has been decided already", nil)
		return
	}
	h.internalError(c, err)
}
