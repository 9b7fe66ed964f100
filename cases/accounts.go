package cases

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// Lifetimes of the single-use links.
const (
	ActivationLinkTTL    = 7 * 24 * time.Hour
	PasswordResetLinkTTL = time.Hour
	InvitationTTL        = 14 * 24 * time.Hour
)

// Codes of the Unauthenticated errors of Authenticate, which adapters
// also put in the WWW-Authenticate header.
const (
	CodeUnauthenticated = "unauthenticated"
	CodeInvalidToken    = "invalid_token"
)

// NewToken returns a random session or link token and the hash stored for
// it; only the hash is ever stored.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a session or link token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Authenticate turns a session token (a bearer token, a cookie's value)
// into the Caller it signs in, from the client address given. A missing
// token is "unauthenticated"; an unknown, expired or revoked one, or one of
// an account no longer active, is "invalid_token".
func (s *Service) Authenticate(ctx context.Context, token, address string) (Caller, error) {
	if token == "" {
		return Caller{Address: address}, &Error{Kind: Unauthenticated, Code: CodeUnauthenticated,
			Message: "sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/login"}
	}
	su, err := s.store.UserBySession(ctx, HashToken(token), time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return Caller{Address: address}, &Error{Kind: Unauthenticated, Code: CodeInvalidToken,
			Message: "the token is unknown, expired or revoked: sign in again"}
	}
	if err != nil {
		return Caller{Address: address}, fmt.Errorf("authenticate: %w", err)
	}
	return Caller{Principal: PrincipalOf(su), Session: su, Address: address, Language: su.User.PreferredLanguage}, nil
}

// PrincipalOf is what policy needs to know of a signed-in account.
func PrincipalOf(su models.SessionUser) policy.Principal {
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

// accountRequired refuses an anonymous caller of a use case that needs one.
func accountRequired(c Caller) error {
	if !c.SignedIn() {
		return &Error{Kind: Unauthenticated, Code: CodeUnauthenticated, Message: "sign in first"}
	}
	return nil
}

// AuthorityRef names the authority an account acts for.
type AuthorityRef struct {
	ID           uuid.UUID              `json:"id"`
	OfficialName string                 `json:"official_name"`
	Kind         models.AuthorityKind   `json:"kind"`
	Country      string                 `json:"country"`
	Region       string                 `json:"region,omitempty"`
	ScopeArea    string                 `json:"scope_area,omitempty"`
	Status       models.AuthorityStatus `json:"status"`
}

// RoleView is one role of an account, in an area or for its whole
// authority.
type RoleView struct {
	Role models.Role `json:"role"`
	Area string      `json:"area,omitempty"`
}

// AccountView is the signed-in account as its owner sees it.
type AccountView struct {
	ID          uuid.UUID     `json:"id"`
	Email       string        `json:"email"`
	DisplayName string        `json:"display_name"`
	Language    string        `json:"language"`
	Helpdesk    bool          `json:"helpdesk"`
	Authority   *AuthorityRef `json:"authority,omitempty"`
	Roles       []RoleView    `json:"roles"`
}

// AccountViewOf is the view of a signed-in account.
func AccountViewOf(su models.SessionUser) AccountView {
	me := AccountView{
		ID: su.User.ID, Email: su.User.Email, DisplayName: su.User.DisplayName,
		Language: su.User.PreferredLanguage, Helpdesk: su.User.IsHelpdesk, Roles: []RoleView{},
	}
	if a := su.Authority; a != nil {
		me.Authority = &AuthorityRef{ID: a.ID, OfficialName: a.OfficialName, Kind: a.Kind, Country: a.CountryCode,
			Region: a.Region, ScopeArea: a.ScopeArea, Status: a.Status}
	}
	for _, r := range su.Roles {
		me.Roles = append(me.Roles, RoleView{Role: r.Role, Area: r.AreaCode})
	}
	return me
}

// Me is the caller's own account.
func (s *Service) Me(_ context.Context, c Caller) (AccountView, error) {
	if err := accountRequired(c); err != nil {
		return AccountView{}, err
	}
	return AccountViewOf(c.Session), nil
}

// LoginInput signs an official in.
type LoginInput struct {
	Email    string `json:"email" form:"email" binding:"required,email,max=254"`
	Password string `json:"password" form:"password" binding:"required,max=72"`
}

// LoginResult is a new session: its token, which the caller keeps (a
// bearer token, a cookie), when it ends, and the account it signs in.
type LoginResult struct {
	Token     string      `json:"token"`
	ExpiresAt time.Time   `json:"expires_at"`
	Me        AccountView `json:"me"`
}

// Login checks an address and password and opens a session, within the
// limits on failed attempts (see loginRefusal).
func (s *Service) Login(ctx context.Context, c Caller, in LoginInput) (LoginResult, error) {
	if err := s.validate.Check(in); err != nil {
		return LoginResult{}, err
	}
	now := time.Now()
	attempt, counts, err := s.store.BeginLogin(ctx, in.Email, c.Address, now.Add(-loginWindow), now.Add(-familiarAddressAge))
	if err != nil {
		return LoginResult{}, err
	}
	if err := loginRefusal(counts); err != nil {
		return LoginResult{}, err
	}

	user, err := s.store.UserByEmail(ctx, in.Email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return LoginResult{}, err
	}
	// An unknown address is checked against a hash too, so that it takes
	// as long as a wrong password and tells nothing.
	if !password.Matches(user.PasswordHash, in.Password) {
		return LoginResult{}, &Error{Kind: Unauthenticated, Code: "invalid_credentials", Message: "the email address or the password is wrong"}
	}
	if user.Status != models.UserActive {
		return LoginResult{}, &Error{Kind: Forbidden, Code: "account_not_active",
			Message: "this account is not active: it awaits activation or its authority's validation, or it was deactivated"}
	}
	if err := s.store.LoginSucceeded(ctx, attempt); err != nil {
		return LoginResult{}, err
	}

	token, tokenHash := NewToken()
	sess := &models.Session{TokenHash: tokenHash, UserID: user.ID, ClientIP: c.Address, ExpiresAt: now.Add(s.settings.SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return LoginResult{}, err
	}
	su, err := s.store.UserBySession(ctx, tokenHash, time.Now())
	if err != nil {
		return LoginResult{}, fmt.Errorf("read the new session: %w", err)
	}
	return LoginResult{Token: token, ExpiresAt: sess.ExpiresAt.UTC(), Me: AccountViewOf(su)}, nil
}

// Logout ends the caller's session on the server: its token no longer
// signs anyone in, wherever it was copied to.
func (s *Service) Logout(ctx context.Context, c Caller) error {
	if err := accountRequired(c); err != nil {
		return err
	}
	return s.store.RevokeSessionByID(ctx, c.Session.SessionID)
}

// SetPasswordInput is what an emailed link's page sends: the link's token
// and the new password.
type SetPasswordInput struct {
	Token    string `json:"token" form:"token" binding:"required,max=100"`
	Password string `json:"password" form:"password" binding:"required"`
}

// Activate sets the first password of an account created by its local data
// administrator or coordinator, through the emailed single-use link.
func (s *Service) Activate(ctx context.Context, c Caller, in SetPasswordInput) error {
	return s.usePasswordLink(ctx, c, in, models.ActivationToken, func(u *models.User) error {
		if u.Status != models.UserPending {
			return models.ErrTokenInvalid
		}
		u.Status = models.UserActive
		return nil
	})
}

// ResetPassword sets a new password through the emailed single-use link
// and ends every session of the account.
func (s *Service) ResetPassword(ctx context.Context, c Caller, in SetPasswordInput) error {
	return s.usePasswordLink(ctx, c, in, models.PasswordResetToken, func(u *models.User) error {
		if u.Status != models.UserActive {
			return models.ErrTokenInvalid
		}
		return nil
	})
}

func (s *Service) usePasswordLink(ctx context.Context, c Caller, in SetPasswordInput, purpose models.TokenPurpose, check func(u *models.User) error) error {
	if err := s.validate.Check(in); err != nil {
		return err
	}
	if err := s.limitLinkUse(ctx, c); err != nil {
		return err
	}
	if err := password.Check(in.Password); err != nil {
		return InvalidFields(FieldError{Field: "password", Rule: "strength", Param: err.Error()})
	}
	tokenHash := HashToken(in.Token)
	// The link is looked up before the password is hashed: a made-up
	// token must not cost a bcrypt hash.
	if _, err := s.store.UsableOneTimeToken(ctx, tokenHash, purpose, time.Now()); err != nil {
		return s.linkFailed(ctx, c, err)
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return err
	}
	err = s.store.ConsumeOneTimeToken(ctx, tokenHash, purpose, time.Now(), func(tx *gorm.DB, u *models.User) error {
		if err := check(u); err != nil {
			return err
		}
		u.PasswordHash = hash
		u.UpdatedAt = time.Now().UTC()
		if err := tx.Save(u).Error; err != nil {
			return fmt.Errorf("save the new password: %w", err)
		}
		// Whoever knew the old password is signed out.
		if err := tx.Exec("UPDATE sessions SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL", u.ID).Error; err != nil {
			return fmt.Errorf("end the account's sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return s.linkFailed(ctx, c, err)
	}
	return nil
}

// linkError is the error of a single-use link that cannot be used.
func linkError(err error) error {
	if errors.Is(err, models.ErrTokenInvalid) || errors.Is(err, models.ErrInvitationInvalid) {
		return &Error{Kind: Gone, Code: "link_invalid", Message: err.Error() + ": ask for a new one", Err: err}
	}
	return err
}

// PasswordResetRequestInput asks for a reset link.
type PasswordResetRequestInput struct {
	Email string `json:"email" form:"email" binding:"required,email,max=254"`
}

// RequestPasswordReset mails a reset link to an active account. It does the
// same work whether or not the account exists, so that neither its answer
// nor its time tell who has one, and it is limited per address asked about
// and per client.
func (s *Service) RequestPasswordReset(ctx context.Context, c Caller, in PasswordResetRequestInput) error {
	if err := s.validate.Check(in); err != nil {
		return err
	}
	return s.requestPasswordReset(ctx, c, in)
}
