package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// updateMe changes the caller's own account: today its language.
func (h *handlers) updateMe(c *gin.Context) {
	var in cases.SetLanguageInput
	if !h.bindJSON(c, &in) {
		return
	}
	v, err := h.cases.SetLanguage(c.Request.Context(), h.caller(c), in)
	h.render(c, http.StatusOK, v, err)
}
