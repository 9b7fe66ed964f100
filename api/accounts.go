package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
)

// Lifetimes of the single-use links.
const (
	activationLinkTTL    = 7 * 24 * time.Hour
	passwordResetLinkTTL = time.Hour
	invitationTTL        = 14 * 24 * time.Hour
)

type setPasswordRequest struct {
	Token    string `json:"token" binding:"required,max=100"`
	Password string `json:"password" binding:"required"`
}

// activate sets the first password of an account created by its local data
// administrator or coordinator, through the emailed single-use link.
func (h *handlers) activate(c *gin.Context) {
	h.usePasswordLink(c, models.ActivationToken, func(u *models.User) error {
		if u.Status != models.UserPending {
			return models.ErrTokenInvalid
		}
		u.Status = models.UserActive
		return nil
	})
}

// resetPassword sets a new password through the emailed single-use link
// and ends every session of the account.
func (h *handlers) resetPassword(c *gin.Context) {
	h.usePasswordLink(c, models.PasswordResetToken, func(u *models.User) error {
		if u.Status != models.UserActive {
			return models.ErrTokenInvalid
		}
		return nil
	})
}

func (h *handlers) usePasswordLink(c *gin.Context, purpose models.TokenPurpose, check func(u *models.User) error) {
	var req setPasswordRequest
	if !h.bindJSON(c, &req) {
		return
	}
	hash, err := password.Hash(req.Password)
	if errors.Is(err, password.ErrWeak) {
		fieldErrors(c, []FieldError{{Field: "password", Rule: "strength", Param: err.Error()}})
		return
	}
	if err != nil {
		h.internalError(c, err)
		return
	}
	err = h.store.ConsumeOneTimeToken(c.Request.Context(), hashToken(req.Token), purpose, time.Now(), func(tx *gorm.DB, u *models.User) error {
		if err := check(u); err != nil {
			return err
		}
		u.PasswordHash = hash
		u.UpdatedAt = time.Now().UTC()
		if err := tx.Save(u).Error; err != nil {
			return err
		}
		// Whoever knew the old password is signed out.
		return tx.Exec("UPDATE sessions SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL", u.ID).Error
	})
	if err != nil {
		h.storeError(c, err, "the link")
		return
	}
	c.Status(http.StatusNoContent)
}

type passwordResetRequest struct {
	Email string `json:"email" binding:"required,email,max=254"`
}

// requestPasswordReset mails a reset link to an active account. It answers
// the same whether or not the account exists, so that it cannot be used to
// find out who has one.
func (h *handlers) requestPasswordReset(c *gin.Context) {
	var req passwordResetRequest
	if !h.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	user, err := h.store.UserByEmail(ctx, req.Email)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		h.internalError(c, err)
		return
	case user.Status == models.UserActive:
		token, tokenHash := newToken()
		link := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.PasswordResetToken, UserID: user.ID, ExpiresAt: time.Now().Add(passwordResetLinkTTL)}
		if err := h.store.IssueOneTimeToken(ctx, link, h.mailPasswordReset(&user, link, token)); err != nil {
			h.internalError(c, err)
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "if an active account has this address, a reset link is on its way"})
}
