package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// activate sets the first password of an account through its emailed
// single-use link.
func (h *handlers) activate(c *gin.Context) {
	var in cases.SetPasswordInput
	if !h.bindJSON(c, &in) {
		return
	}
	if err := h.cases.Activate(c.Request.Context(), h.caller(c), in); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// resetPassword sets a new password through the emailed single-use link.
func (h *handlers) resetPassword(c *gin.Context) {
	var in cases.SetPasswordInput
	if !h.bindJSON(c, &in) {
		return
	}
	if err := h.cases.ResetPassword(c.Request.Context(), h.caller(c), in); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// requestPasswordReset mails a reset link to an active account, answering
// the same whether or not the account exists.
func (h *handlers) requestPasswordReset(c *gin.Context) {
	var in cases.PasswordResetRequestInput
	if !h.bindJSON(c, &in) {
		return
	}
	if err := h.cases.RequestPasswordReset(c.Request.Context(), h.caller(c), in); err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "if an active account has this address, a reset link is on its way"})
}
