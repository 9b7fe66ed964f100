package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// authorityTarget is what policy needs to know of an authority.
func authorityTarget(a models.Authority) policy.Target {
	t := policy.Target{ID: a.ID, Country: a.CountryCode, Region: a.Region, Status: a.Status}
	for _, area := range a.Areas {
		t.Areas = append(t.Areas, area.AreaCode)
	}
	return t
}

// directoryStoreError turns the store's sentinel errors into the use
// cases' own.
func directoryStoreError(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, models.ErrNotFound):
		return NotFoundError(what)
	case errors.Is(err, models.ErrConflict):
		return &Error{Kind: Conflict, Code: "conflict", Message: err.Error(), Err: err}
	case errors.Is(err, models.ErrTokenInvalid), errors.Is(err, models.ErrInvitationInvalid):
		return linkError(err)
	}
	return err
}

// ---- coordinators and authorities ----

// CreateCoordinatorInput registers a coordinator body and its first user.
type CreateCoordinatorInput struct {
	Kind      models.AuthorityKind `json:"kind" binding:"required,oneof=national_coordinator delegated_coordinator"`
	ScopeArea string               `json:"scope_area" binding:"max=60"`
	Authority AuthorityInput       `json:"authority" binding:"required"`
	FirstUser NewUserInput         `json:"first_user" binding:"required"`
}

// CreatedAuthority is an authority registered in one act with its first
// user, who sets a password through an emailed link.
type CreatedAuthority struct {
	Authority AuthorityView `json:"authority"`
	FirstUser UserView      `json:"first_user"`
}

// CreateCoordinator registers a coordinator body and its first user: the
// helpdesk registers national coordinators, a national coordinator (or the
// helpdesk) its delegated ones. The body is active at once.
func (s *Service) CreateCoordinator(ctx context.Context, c Caller, in CreateCoordinatorInput) (CreatedAuthority, error) {
	if err := s.validate.Check(in); err != nil {
		return CreatedAuthority{}, err
	}
	decision := policy.CreateNationalCoordinator(c.Principal)
	if in.Kind == models.DelegatedCoordinator {
		decision = policy.CreateDelegatedCoordinator(c.Principal, in.Authority.Country)
	}
	if err := Deny(decision, "coordinators of "+in.Authority.Country); err != nil {
		return CreatedAuthority{}, err
	}
	errs := s.checkNewAuthority(in.Authority, in.FirstUser.Language, false)
	if in.Kind == models.NationalCoordinator && (in.ScopeArea != "" || in.Authority.Region != "") {
		errs = append(errs, FieldError{Field: "scope_area", Rule: "national_covers_whole_country"})
	}
	if in.Kind == models.DelegatedCoordinator {
		if in.ScopeArea == "" && in.Authority.Region == "" {
			errs = append(errs, FieldError{Field: "scope_area", Rule: "region_or_area_required"})
		}
		if in.ScopeArea != "" && !s.hasArea(in.ScopeArea) {
			errs = append(errs, FieldError{Field: "scope_area", Rule: "known_area", Param: in.ScopeArea})
		}
	}
	if len(errs) > 0 {
		return CreatedAuthority{}, InvalidFields(errs...)
	}
	authority := authorityModel(in.Authority, in.Kind, models.AuthorityActive)
	authority.ScopeArea = in.ScopeArea
	return s.createWithFirstUser(ctx, authority, in.FirstUser, []models.UserRole{{Role: models.CoordinatorRole}, {Role: models.LocalDataAdministrator}})
}

// RegisterAuthorityInput is a coordinator registering an authority of its
// scope with its first user.
type RegisterAuthorityInput struct {
	Authority AuthorityInput `json:"authority" binding:"required"`
	FirstUser NewUserInput   `json:"first_user" binding:"required"`
}

// RegisterAuthority is a coordinator registering an authority of its scope
// directly: validated by that act, active at once. Its first user is its
// local data administrator.
func (s *Service) RegisterAuthority(ctx context.Context, c Caller, in RegisterAuthorityInput) (CreatedAuthority, error) {
	if err := s.validate.Check(in); err != nil {
		return CreatedAuthority{}, err
	}
	if errs := s.checkNewAuthority(in.Authority, in.FirstUser.Language, true); len(errs) > 0 {
		return CreatedAuthority{}, InvalidFields(errs...)
	}
	authority := authorityModel(in.Authority, models.CompetentAuthority, models.AuthorityActive)
	if err := Deny(policy.RegisterAuthority(c.Principal, authorityTarget(*authority)), "authorities of "+authority.CountryCode+" "+authority.Region); err != nil {
		return CreatedAuthority{}, err
	}
	return s.createWithFirstUser(ctx, authority, in.FirstUser, []models.UserRole{{Role: models.LocalDataAdministrator}})
}

// createWithFirstUser stores an authority with its first user, pending
// until they set a password through the emailed activation link.
func (s *Service) createWithFirstUser(ctx context.Context, authority *models.Authority, in NewUserInput, roles []models.UserRole) (CreatedAuthority, error) {
	token, tokenHash := NewToken()
	user := &models.User{Email: in.Email, DisplayName: strings.TrimSpace(in.DisplayName), PreferredLanguage: in.Language, Status: models.UserPending}
	activation := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.ActivationToken, ExpiresAt: time.Now().Add(ActivationLinkTTL)}
	err := s.store.CreateAuthorityWithUser(ctx, models.NewAuthorityWithUser{
		Authority: authority, FirstUser: user, Roles: roles, Activation: activation,
	}, mailActivation(user, authority.OfficialName, activation, token))
	if err != nil {
		return CreatedAuthority{}, directoryStoreError(err, "the authority")
	}
	return CreatedAuthority{Authority: AuthorityViewOf(*authority, ""), FirstUser: UserViewOf(*user, roles)}, nil
}

// GetAuthorityInput names an authority of the directory.
type GetAuthorityInput struct {
	ID uuid.UUID `json:"-" form:"-"`
	// Lang is the language asked for; the adapter negotiates it into the
	// caller's Language, and it is checked here like any text.
	Lang string `form:"lang" binding:"max=100"`
}

// GetAuthority shows an authority the caller may see, in their language.
func (s *Service) GetAuthority(ctx context.Context, c Caller, in GetAuthorityInput) (AuthorityView, error) {
	if err := s.validate.Check(in); err != nil {
		return AuthorityView{}, err
	}
	a, err := s.visibleAuthority(ctx, c, in.ID)
	if err != nil {
		return AuthorityView{}, err
	}
	return AuthorityViewOf(a, c.Language), nil
}

func (s *Service) visibleAuthority(ctx context.Context, c Caller, id uuid.UUID) (models.Authority, error) {
	if err := accountRequired(c); err != nil {
		return models.Authority{}, err
	}
	a, err := s.store.Authority(ctx, id)
	if err != nil {
		return models.Authority{}, directoryStoreError(err, "the authority")
	}
	if err := Deny(policy.ViewAuthority(c.Principal, authorityTarget(a)), "the authority"); err != nil {
		return models.Authority{}, err
	}
	return a, nil
}

// managedAuthority is an authority whose users the caller administers.
func (s *Service) managedAuthority(ctx context.Context, c Caller, id uuid.UUID) (models.Authority, error) {
	a, err := s.visibleAuthority(ctx, c, id)
	if err != nil {
		return models.Authority{}, err
	}
	if err := Deny(policy.ManageUsers(c.Principal, a.ID), "the users of this authority"); err != nil {
		return models.Authority{}, err
	}
	return a, nil
}

// ---- users of an authority ----

// ListUsersInput names the authority whose officials are listed.
type ListUsersInput struct {
	AuthorityID uuid.UUID `json:"-" form:"-"`
}

// UserList is an authority's officials, by address.
type UserList struct {
	Users []UserView `json:"users"`
}

// ListUsers shows a local data administrator their authority's officials.
func (s *Service) ListUsers(ctx context.Context, c Caller, in ListUsersInput) (UserList, error) {
	a, err := s.managedAuthority(ctx, c, in.AuthorityID)
	if err != nil {
		return UserList{}, err
	}
	users, roles, err := s.store.UsersOf(ctx, a.ID)
	if err != nil {
		return UserList{}, err
	}
	out := UserList{Users: make([]UserView, 0, len(users))}
	for _, u := range users {
		out.Users = append(out.Users, UserViewOf(u, roles[u.ID]))
	}
	return out, nil
}

// CreateUserInput adds an official to an authority.
type CreateUserInput struct {
	AuthorityID uuid.UUID `json:"-" form:"-"`
	NewUserInput
	Roles []RoleInput `json:"roles" form:"roles" binding:"max=50,dive"`
}

// CreateUser adds an official to the caller's own authority; they set a
// password through an emailed single-use link.
func (s *Service) CreateUser(ctx context.Context, c Caller, in CreateUserInput) (UserView, error) {
	if err := s.validate.Check(in); err != nil {
		return UserView{}, err
	}
	a, err := s.managedAuthority(ctx, c, in.AuthorityID)
	if err != nil {
		return UserView{}, err
	}
	roles, errs := checkRoles(a, in.Roles, "roles")
	if !s.hasLanguage(in.Language) {
		errs = append(errs, FieldError{Field: "language", Rule: "known_language", Param: in.Language})
	}
	if len(errs) > 0 {
		return UserView{}, InvalidFields(errs...)
	}
	token, tokenHash := NewToken()
	user := &models.User{Email: in.Email, DisplayName: strings.TrimSpace(in.DisplayName), PreferredLanguage: in.Language,
		AuthorityID: &a.ID, Status: models.UserPending}
	activation := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.ActivationToken, ExpiresAt: time.Now().Add(ActivationLinkTTL)}
	if err := s.store.CreateUserWithActivation(ctx, user, roles, activation, mailActivation(user, a.OfficialName, activation, token)); err != nil {
		return UserView{}, directoryStoreError(err, "the user")
	}
	return UserViewOf(*user, roles), nil
}

// UpdateUserInput changes an official; absent fields stay as they are.
type UpdateUserInput struct {
	AuthorityID uuid.UUID          `json:"-" form:"-"`
	UserID      uuid.UUID          `json:"-" form:"-"`
	DisplayName *string            `json:"display_name" form:"display_name" binding:"omitempty,min=1,max=200"`
	Language    *string            `json:"language" form:"language" binding:"omitempty,len=2,lowercase"`
	Status      *models.UserStatus `json:"status" form:"status" binding:"omitempty,oneof=active deactivated"`
	Roles       *[]RoleInput       `json:"roles" form:"roles" binding:"omitempty,max=50,dive"`
}

// UpdateUser changes an official's name, language, roles or status; a
// local data administrator cannot remove their own administration or
// deactivate themselves, so that no authority is left without one by
// accident.
func (s *Service) UpdateUser(ctx context.Context, c Caller, in UpdateUserInput) (UserView, error) {
	if err := s.validate.Check(in); err != nil {
		return UserView{}, err
	}
	a, err := s.managedAuthority(ctx, c, in.AuthorityID)
	if err != nil {
		return UserView{}, err
	}
	var newRoles []models.UserRole
	var errs []FieldError
	if in.Roles != nil {
		newRoles, errs = checkRoles(a, *in.Roles, "roles")
		if newRoles == nil {
			newRoles = []models.UserRole{}
		}
	}
	if in.DisplayName != nil && strings.TrimSpace(*in.DisplayName) == "" {
		errs = append(errs, FieldError{Field: "display_name", Rule: "min", Param: "1"})
	}
	if in.Language != nil && !s.hasLanguage(*in.Language) {
		errs = append(errs, FieldError{Field: "language", Rule: "known_language", Param: *in.Language})
	}
	if in.UserID == c.UserID {
		if in.Status != nil && *in.Status == models.UserDeactivated {
			errs = append(errs, FieldError{Field: "status", Rule: "not_yourself"})
		}
		if in.Roles != nil && !hasRole(newRoles, models.LocalDataAdministrator) {
			errs = append(errs, FieldError{Field: "roles", Rule: "keep_your_own_administration"})
		}
	}
	if len(errs) > 0 {
		return UserView{}, InvalidFields(errs...)
	}
	u, roles, err := s.store.UpdateUser(ctx, a.ID, in.UserID, func(u *models.User, _ []models.UserRole) ([]models.UserRole, error) {
		if in.DisplayName != nil {
			u.DisplayName = strings.TrimSpace(*in.DisplayName)
		}
		if in.Language != nil {
			u.PreferredLanguage = *in.Language
		}
		if in.Status != nil {
			if u.Status == models.UserPending && *in.Status == models.UserActive {
				return nil, fmt.Errorf("a pending account becomes active through its activation link: %w", models.ErrConflict)
			}
			u.Status = *in.Status
		}
		return newRoles, nil
	})
	if err != nil {
		return UserView{}, directoryStoreError(err, "the user")
	}
	return UserViewOf(u, roles), nil
}

// ---- invitations ----

// InviteInput asks an authority of the coordinator's scope to register.
type InviteInput struct {
	Email    string `json:"email" form:"email" binding:"required,email,max=254"`
	Language string `json:"language" form:"language" binding:"required,len=2,lowercase"`
	Region   string `json:"region" form:"region" binding:"max=100"`
	Note     string `json:"note" form:"note" binding:"max=2000"`
}

// InvitationView is an invitation as its coordinator sees it once sent.
type InvitationView struct {
	ID        uuid.UUID `json:"id"`
	Email     string    `json:"email"`
	Country   string    `json:"country"`
	Region    string    `json:"region"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Invite asks an authority of the coordinator's scope to register, by an
// emailed single-use link.
func (s *Service) Invite(ctx context.Context, c Caller, in InviteInput) (InvitationView, error) {
	if err := s.validate.Check(in); err != nil {
		return InvitationView{}, err
	}
	if err := accountRequired(c); err != nil {
		return InvitationView{}, err
	}
	p := c.Principal
	if p.Body == nil {
		return InvitationView{}, ForbiddenError("invitations")
	}
	if err := Deny(policy.InviteAuthority(p, p.Body.Country, in.Region), "invitations for this region"); err != nil {
		return InvitationView{}, err
	}
	if !s.hasLanguage(in.Language) {
		return InvitationView{}, InvalidFields(FieldError{Field: "language", Rule: "known_language", Param: in.Language})
	}
	body, err := s.store.Authority(ctx, p.Body.ID)
	if err != nil {
		return InvitationView{}, fmt.Errorf("load the inviting body: %w", err)
	}
	token, tokenHash := NewToken()
	inv := &models.Invitation{
		TokenHash: tokenHash, Email: models.NormalizeEmail(in.Email), Language: in.Language,
		CountryCode: p.Body.Country, Region: strings.TrimSpace(in.Region), Note: in.Note,
		InvitedByUser: p.UserID, InvitedByBody: p.Body.ID, ExpiresAt: time.Now().Add(InvitationTTL),
	}
	if err := s.store.CreateInvitation(ctx, inv, mailInvitation(inv, body.OfficialName, token)); err != nil {
		return InvitationView{}, err
	}
	return InvitationView{ID: inv.ID, Email: inv.Email, Country: inv.CountryCode, Region: inv.Region, ExpiresAt: inv.ExpiresAt.UTC()}, nil
}

// ---- failed notifications ----

// FailedNotificationsInput pages through an authority's undelivered mail.
type FailedNotificationsInput struct {
	Status   string `form:"status" binding:"required,oneof=failed"`
	Page     *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize *int   `form:"page_size" binding:"omitempty,min=1,max=200"`
}

// NotificationView is a mail that could not be delivered.
type NotificationView struct {
	ID        int64     `json:"id"`
	Recipient string    `json:"recipient"`
	Template  string    `json:"template"`
	EventKey  string    `json:"event_key"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	FailedAt  time.Time `json:"failed_at"`
}

// NotificationList is one page of failed mail.
type NotificationList struct {
	Items    []NotificationView `json:"items"`
	Total    int64              `json:"total"`
	Page     int                `json:"page"`
	PageSize int                `json:"page_size"`
}

// FailedNotifications shows a local data administrator the mails to its
// authority's officials that could not be delivered, so that a wrong
// address is noticed and mended rather than silently missed.
func (s *Service) FailedNotifications(ctx context.Context, c Caller, in FailedNotificationsInput) (NotificationList, error) {
	if err := s.validate.Check(in); err != nil {
		return NotificationList{}, err
	}
	if err := accountRequired(c); err != nil {
		return NotificationList{}, err
	}
	p := c.Principal
	if p.Body == nil {
		return NotificationList{}, ForbiddenError("notifications")
	}
	if err := Deny(policy.ManageUsers(p, p.Body.ID), "the notifications of this authority"); err != nil {
		return NotificationList{}, err
	}
	page, size, err := directoryPage(in.Page, in.PageSize, 50)
	if err != nil {
		return NotificationList{}, err
	}
	mails, total, err := s.store.FailedMail(ctx, p.Body.ID, models.MailPage{Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return NotificationList{}, err
	}
	out := NotificationList{Items: make([]NotificationView, 0, len(mails)), Total: total, Page: page, PageSize: size}
	for _, m := range mails {
		out.Items = append(out.Items, NotificationView{ID: m.ID, Recipient: m.Recipient, Template: m.Template, EventKey: m.EventKey,
			Attempts: m.Attempts, LastError: m.LastError, FailedAt: m.UpdatedAt.UTC()})
	}
	return out, nil
}

// Paging bounds: deep pages are refused rather than scanned.
const (
	directoryPageSize   = 20
	directorySearchDeep = 10_000
)

// directoryPage applies the defaults to a page and a page size, and
// refuses a page deeper than the lists go.
func directoryPage(page, size *int, defaultSize int) (int, int, error) {
	p, n := 1, defaultSize
	if page != nil {
		p = *page
	}
	if size != nil {
		n = *size
	}
	if p*n > directorySearchDeep {
		return 0, 0, InvalidFields(FieldError{Field: "page", Rule: "max_depth", Param: fmt.Sprintf("%d results", directorySearchDeep)})
	}
	return p, n, nil
}

// ---- search ----

// SearchAuthoritiesInput finds authorities: words in any language and
// filters.
type SearchAuthoritiesInput struct {
	Q          string `form:"q" binding:"max=200"`
	Country    string `form:"country" binding:"omitempty,len=2,uppercase"`
	Area       string `form:"area" binding:"max=60"`
	Competence string `form:"competence" binding:"max=80"`
	Level      string `form:"level" binding:"omitempty,oneof=national regional local"`
	Region     string `form:"region" binding:"max=100"`
	Lang       string `form:"lang" binding:"omitempty,len=2,lowercase"`
	Page       *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize   *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
	// NamesOnly is for a list to choose from (the pages' forward picker):
	// the results carry no areas or competences. Not a query parameter.
	NamesOnly bool `form:"-" json:"-"`
}

// AuthoritySearchResult is one page of authorities found, in the reader's
// language.
type AuthoritySearchResult struct {
	Items    []AuthorityView `json:"items"`
	Page     int             `json:"page"`
	PageSize int             `json:"page_size"`
	Total    int64           `json:"total"`
	Lang     string          `json:"lang"`
}

// SearchAuthorities finds the competent authority abroad: words in any
// language, filters, ranked and paged, shown in the caller's language.
func (s *Service) SearchAuthorities(ctx context.Context, c Caller, in SearchAuthoritiesInput) (AuthoritySearchResult, error) {
	if err := s.validate.Check(in); err != nil {
		return AuthoritySearchResult{}, err
	}
	if err := accountRequired(c); err != nil {
		return AuthoritySearchResult{}, err
	}
	page, pageSize, err := directoryPage(in.Page, in.PageSize, directoryPageSize)
	if err != nil {
		return AuthoritySearchResult{}, err
	}
	var errs []FieldError
	if _, ok := s.catalog.Country(in.Country); in.Country != "" && !ok {
		errs = append(errs, FieldError{Field: "country", Rule: "known_country", Param: in.Country})
	}
	if in.Area != "" && !s.hasArea(in.Area) {
		errs = append(errs, FieldError{Field: "area", Rule: "known_area", Param: in.Area})
	}
	if in.Competence != "" && in.Area != "" && s.hasArea(in.Area) && !s.hasCompetence(in.Area, in.Competence) {
		errs = append(errs, FieldError{Field: "competence", Rule: "known_competence", Param: in.Competence})
	}
	if len(errs) > 0 {
		return AuthoritySearchResult{}, InvalidFields(errs...)
	}
	found, total, err := s.store.SearchAuthorities(ctx, models.AuthoritySearch{
		Words: in.Q, Country: in.Country, Area: in.Area, Competence: in.Competence,
		Level: models.Level(in.Level), Region: in.Region, Page: page, PageSize: pageSize, NamesOnly: in.NamesOnly,
	})
	if err != nil {
		return AuthoritySearchResult{}, err
	}
	lang := c.Language
	if lang == "" {
		lang = "en"
	}
	out := AuthoritySearchResult{Items: make([]AuthorityView, 0, len(found)), Page: page, PageSize: pageSize, Total: total, Lang: lang}
	for _, a := range found {
		out.Items = append(out.Items, AuthorityViewOf(a, lang))
	}
	return out, nil
}
