package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

type authorityRequest struct {
	Authority authorityInput `json:"authority" binding:"required"`
	FirstUser newUserInput   `json:"first_user" binding:"required"`
}

// registerAuthority is a coordinator registering an authority of its scope
// directly: validated by that act, active at once. Its first user is its
// local data administrator and sets a password through an emailed link.
func (h *handlers) registerAuthority(c *gin.Context) {
	var req authorityRequest
	if !h.bindJSON(c, &req) {
		return
	}
	errs := checkNewAuthority(h.ref, req.Authority, req.FirstUser.Language, true)
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	authority := authorityModel(h.ref, req.Authority, models.CompetentAuthority, models.AuthorityActive)
	if d := policy.RegisterAuthority(principal(c), targetOf(*authority)); d != policy.Allow {
		deny(c, d, "authorities of "+authority.CountryCode+" "+authority.Region)
		return
	}
	h.createWithFirstUser(c, authority, req.FirstUser, []models.UserRole{{Role: models.LocalDataAdministrator}})
}

func (h *handlers) loadAuthority(c *gin.Context, param string) (models.Authority, bool) {
	id, ok := pathID(c, param, "the authority")
	if !ok {
		return models.Authority{}, false
	}
	a, err := h.store.Authority(c.Request.Context(), id)
	if err != nil {
		h.storeError(c, err, "the authority")
		return models.Authority{}, false
	}
	if d := policy.ViewAuthority(principal(c), targetOf(a)); d != policy.Allow {
		deny(c, d, "the authority")
		return models.Authority{}, false
	}
	return a, true
}

func (h *handlers) getAuthority(c *gin.Context) {
	a, ok := h.loadAuthority(c, "id")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, authorityViewOf(a, h.language(c)))
}

// ---- users of an authority ----

type roleInput struct {
	Role models.Role `json:"role" binding:"required,oneof=request_handler allocator local_data_administrator coordinator"`
	Area string      `json:"area" binding:"max=60"`
}

type createUserRequest struct {
	newUserInput
	Roles []roleInput `json:"roles" binding:"max=50,dive"`
}

type updateUserRequest struct {
	DisplayName *string            `json:"display_name" binding:"omitempty,min=1,max=200"`
	Language    *string            `json:"language" binding:"omitempty,len=2,lowercase"`
	Status      *models.UserStatus `json:"status" binding:"omitempty,oneof=active deactivated"`
	Roles       *[]roleInput       `json:"roles" binding:"omitempty,max=50,dive"`
}

// checkRoles refuses roles the authority cannot hold: per-area roles need
// an area the authority works in, authority-wide ones none, and only a
// coordinator body has coordinators.
func checkRoles(a models.Authority, roles []roleInput, field string) ([]models.UserRole, []FieldError) {
	areas := map[string]bool{}
	for _, area := range a.Areas {
		areas[area.AreaCode] = true
	}
	var out []models.UserRole
	var errs []FieldError
	seen := map[models.UserRole]bool{}
	for i, r := range roles {
		f := field + "[" + itoa(i) + "]"
		switch {
		case r.Role.PerArea() && !areas[r.Area]:
			errs = append(errs, FieldError{Field: f + ".area", Rule: "area_of_the_authority", Param: r.Area})
			continue
		case !r.Role.PerArea() && r.Area != "":
			errs = append(errs, FieldError{Field: f + ".area", Rule: "authority_wide_role_takes_no_area", Param: r.Area})
			continue
		case r.Role == models.CoordinatorRole && !a.Kind.IsCoordinator():
			errs = append(errs, FieldError{Field: f + ".role", Rule: "coordinator_body_only", Param: string(r.Role)})
			continue
		}
		ur := models.UserRole{Role: r.Role, AreaCode: r.Area}
		if !seen[ur] {
			seen[ur] = true
			out = append(out, ur)
		}
	}
	return out, errs
}

func (h *handlers) listUsers(c *gin.Context) {
	a, ok := h.loadAuthority(c, "id")
	if !ok {
		return
	}
	if d := policy.ManageUsers(principal(c), a.ID); d != policy.Allow {
		deny(c, d, "the users of this authority")
		return
	}
	users, roles, err := h.store.UsersOf(c.Request.Context(), a.ID)
	if err != nil {
		h.internalError(c, err)
		return
	}
	out := make([]userView, 0, len(users))
	for _, u := range users {
		out = append(out, userViewOf(u, roles[u.ID]))
	}
	c.JSON(http.StatusOK, gin.H{"users": out})
}

// createUser adds an official to the caller's own authority; they set a
// password through an emailed single-use link.
func (h *handlers) createUser(c *gin.Context) {
	var req createUserRequest
	if !h.bindJSON(c, &req) {
		return
	}
	a, ok := h.loadAuthority(c, "id")
	if !ok {
		return
	}
	if d := policy.ManageUsers(principal(c), a.ID); d != policy.Allow {
		deny(c, d, "the users of this authority")
		return
	}
	roles, errs := checkRoles(a, req.Roles, "roles")
	if !h.ref.HasLanguage(req.Language) {
		errs = append(errs, FieldError{Field: "language", Rule: "known_language", Param: req.Language})
	}
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	token, tokenHash := cases.NewToken()
	user := &models.User{Email: req.Email, DisplayName: strings.TrimSpace(req.DisplayName), PreferredLanguage: req.Language,
		AuthorityID: &a.ID, Status: models.UserPending}
	activation := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.ActivationToken, ExpiresAt: time.Now().Add(cases.ActivationLinkTTL)}
	if err := h.store.CreateUserWithActivation(c.Request.Context(), user, roles, activation, h.mailActivation(user, a.OfficialName, activation, token)); err != nil {
		h.storeError(c, err, "the user")
		return
	}
	c.JSON(http.StatusCreated, userViewOf(*user, roles))
}

// updateUser changes an official's name, language, roles or status; a
// local data administrator cannot remove their own administration or
// deactivate themselves, so that no authority is left without one by
// accident.
func (h *handlers) updateUser(c *gin.Context) {
	var req updateUserRequest
	if !h.bindJSON(c, &req) {
		return
	}
	a, ok := h.loadAuthority(c, "id")
	if !ok {
		return
	}
	p := principal(c)
	if d := policy.ManageUsers(p, a.ID); d != policy.Allow {
		deny(c, d, "the users of this authority")
		return
	}
	userID, ok := pathID(c, "user_id", "the user")
	if !ok {
		return
	}
	var newRoles []models.UserRole
	var errs []FieldError
	if req.Roles != nil {
		newRoles, errs = checkRoles(a, *req.Roles, "roles")
		if newRoles == nil {
			newRoles = []models.UserRole{}
		}
	}
	if req.Language != nil && !h.ref.HasLanguage(*req.Language) {
		errs = append(errs, FieldError{Field: "language", Rule: "known_language", Param: *req.Language})
	}
	if userID == p.UserID {
		if req.Status != nil && *req.Status == models.UserDeactivated {
			errs = append(errs, FieldError{Field: "status", Rule: "not_yourself"})
		}
		if req.Roles != nil && !hasRole(newRoles, models.LocalDataAdministrator) {
			errs = append(errs, FieldError{Field: "roles", Rule: "keep_your_own_administration"})
		}
	}
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	u, roles, err := h.store.UpdateUser(c.Request.Context(), a.ID, userID, func(u *models.User, _ []models.UserRole) ([]models.UserRole, error) {
		if req.DisplayName != nil {
			u.DisplayName = strings.TrimSpace(*req.DisplayName)
		}
		if req.Language != nil {
			u.PreferredLanguage = *req.Language
		}
		if req.Status != nil {
			if u.Status == models.UserPending && *req.Status == models.UserActive {
				return nil, fmt.Errorf("a pending account becomes active through its activation link: %w", models.ErrConflict)
			}
			u.Status = *req.Status
		}
		return newRoles, nil
	})
	if err != nil {
		h.storeError(c, err, "the user")
		return
	}
	c.JSON(http.StatusOK, userViewOf(u, roles))
}

func hasRole(roles []models.UserRole, role models.Role) bool {
	for _, r := range roles {
		if r.Role == role {
			return true
		}
	}
	return false
}
