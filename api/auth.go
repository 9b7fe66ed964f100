package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// Login limits: failures within the window, per account and per client
// address, beyond which logins are refused until the window moves on.
const (
	loginWindow             = 15 * time.Minute
	maxLoginFailuresAccount = 5
	maxLoginFailuresClient  = 20
)

// Keys of what authenticate puts in the request's context.
const (
	principalKey = "principal"
	accountKey   = "account"
)

// newToken returns a random bearer or link token and the hash stored for it.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func bearerToken(c *gin.Context) string {
	scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate resolves the bearer token to a principal, or answers 401.
func (h *handlers) authenticate(c *gin.Context) {
	token := bearerToken(c)
	if token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="openimi"`)
		abortWithError(c, http.StatusUnauthorized, "unauthenticated", "sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/login", nil)
		return
	}
	su, err := h.store.UserBySession(c.Request.Context(), hashToken(token), time.Now())
	if errors.Is(err, models.ErrNotFound) {
		c.Header("WWW-Authenticate", `Bearer realm="openimi", error="invalid_token"`)
		abortWithError(c, http.StatusUnauthorized, "invalid_token", "the token is unknown, expired or revoked: sign in again", nil)
		return
	}
	if err != nil {
		h.internalError(c, err)
		return
	}
	c.Set(principalKey, principalOf(su))
	c.Set(accountKey, su)
	c.Next()
}

func principalOf(su models.SessionUser) policy.Principal {
	p := policy.Principal{
		UserID:   su.User.ID,
		Email:    su.User.Email,
		Language: su.User.PreferredLanguage,
		Helpdesk: su.User.IsHelpdesk,
	}
	if a := su.Authority; a != nil {
		p.Body = &policy.Body{ID: a.ID, Kind: a.Kind, Country: a.CountryCode, Region: a.Region, ScopeArea: a.ScopeArea, Status: a.Status}
	}
	for _, r := range su.Roles {
		p.Grants = append(p.Grants, policy.Grant{Role: r.Role, Area: r.AreaCode})
	}
	return p
}

// principal is the caller of an authenticated route.
func principal(c *gin.Context) policy.Principal {
	p, _ := c.MustGet(principalKey).(policy.Principal)
	return p
}

type loginRequest struct {
	Email    string `json:"email" binding:"required,email,max=254"`
	Password string `json:"password" binding:"required,max=72"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Me        meView    `json:"me"`
}

func (h *handlers) login(c *gin.Context) {
	var req loginRequest
	if !h.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	client := c.ClientIP()
	attempt, byAccount, byClient, err := h.store.BeginLogin(ctx, req.Email, client, time.Now().Add(-loginWindow))
	if err != nil {
		h.internalError(c, err)
		return
	}
	if byAccount >= maxLoginFailuresAccount || byClient >= maxLoginFailuresClient {
		c.Header("Retry-After", strconv.Itoa(int(loginWindow.Seconds())))
		abortWithError(c, http.StatusTooManyRequests, "too_many_attempts",
			"too many failed sign-ins for this account or from this address; try again in 15 minutes or reset the password", nil)
		return
	}

	user, err := h.store.UserByEmail(ctx, req.Email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		h.internalError(c, err)
		return
	}
	if !password.Matches(user.PasswordHash, req.Password) {
		abortWithError(c, http.StatusUnauthorized, "invalid_credentials", "the email address or the password is wrong", nil)
		return
	}
	if user.Status != models.UserActive {
		abortWithError(c, http.StatusForbidden, "account_not_active",
			"this account is not active: it awaits activation or its authority's validation, or it was deactivated", nil)
		return
	}
	if err := h.store.LoginSucceeded(ctx, attempt); err != nil {
		h.internalError(c, err)
		return
	}

	token, tokenHash := newToken()
	sess := &models.Session{TokenHash: tokenHash, UserID: user.ID, ClientIP: client, ExpiresAt: time.Now().Add(h.settings.SessionTTL)}
	if err := h.store.CreateSession(ctx, sess); err != nil {
		h.internalError(c, err)
		return
	}
	su, err := h.store.UserBySession(ctx, tokenHash, time.Now())
	if err != nil {
		h.internalError(c, err)
		return
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt.UTC(), Me: meOf(su)})
}

func (h *handlers) logout(c *gin.Context) {
	if err := h.store.RevokeSession(c.Request.Context(), hashToken(bearerToken(c))); err != nil {
		h.internalError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type authorityRef struct {
	ID           uuid.UUID              `json:"id"`
	OfficialName string                 `json:"official_name"`
	Kind         models.AuthorityKind   `json:"kind"`
	Country      string                 `json:"country"`
	Region       string                 `json:"region,omitempty"`
	ScopeArea    string                 `json:"scope_area,omitempty"`
	Status       models.AuthorityStatus `json:"status"`
}

type roleView struct {
	Role models.Role `json:"role"`
	Area string      `json:"area,omitempty"`
}

type meView struct {
	ID          uuid.UUID     `json:"id"`
	Email       string        `json:"email"`
	DisplayName string        `json:"display_name"`
	Language    string        `json:"language"`
	Helpdesk    bool          `json:"helpdesk"`
	Authority   *authorityRef `json:"authority,omitempty"`
	Roles       []roleView    `json:"roles"`
}

func meOf(su models.SessionUser) meView {
	me := meView{
		ID: su.User.ID, Email: su.User.Email, DisplayName: su.User.DisplayName,
		Language: su.User.PreferredLanguage, Helpdesk: su.User.IsHelpdesk, Roles: []roleView{},
	}
	if a := su.Authority; a != nil {
		me.Authority = &authorityRef{ID: a.ID, OfficialName: a.OfficialName, Kind: a.Kind, Country: a.CountryCode,
			Region: a.Region, ScopeArea: a.ScopeArea, Status: a.Status}
	}
	for _, r := range su.Roles {
		me.Roles = append(me.Roles, roleView{Role: r.Role, Area: r.AreaCode})
	}
	return me
}

func (h *handlers) me(c *gin.Context) {
	su, _ := c.MustGet(accountKey).(models.SessionUser)
	c.JSON(http.StatusOK, meOf(su))
}
