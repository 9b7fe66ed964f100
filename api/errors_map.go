package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// deny answers a policy decision other than Allow: 404 hides what the
// caller may not know exists, 403 refuses an action on what it may see.
func deny(c *gin.Context, d policy.Decision, what string) {
	if d == policy.NotFound {
		abortWithError(c, http.StatusNotFound, "not_found", what+" does not exist or is not visible to you", nil)
		return
	}
	abortWithError(c, http.StatusForbidden, "forbidden", "your roles do not allow this action on "+what, nil)
}

// storeError maps the store's sentinel errors to statuses in one place.
func (h *handlers) storeError(c *gin.Context, err error, what string) {
	switch {
	case errors.Is(err, models.ErrNotFound):
		abortWithError(c, http.StatusNotFound, "not_found", what+" does not exist or is not visible to you", nil)
	case errors.Is(err, models.ErrConflict):
		abortWithError(c, http.StatusConflict, "conflict", err.Error(), nil)
	case errors.Is(err, models.ErrTokenInvalid), errors.Is(err, models.ErrInvitationInvalid):
		abortWithError(c, http.StatusGone, "link_invalid", err.Error()+": ask for a new one", nil)
	default:
		h.internalError(c, err)
	}
}

func fieldErrors(c *gin.Context, errs []FieldError) {
	names := make([]string, 0, len(errs))
	for _, e := range errs {
		names = append(names, e.Field)
	}
	abortWithError(c, http.StatusUnprocessableEntity, "validation_failed", "these fields are invalid: "+joinComma(names)+" (details say why)", errs)
}
