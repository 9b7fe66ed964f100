package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/openimi/openimi/cases"
)

// bindQueryInput decodes query parameters into a use case's input, which
// the use case validates: 400 for a value of the wrong type.
func (h *handlers) bindQueryInput(c *gin.Context, dst any) bool {
	if err := binding.MapFormWithTag(dst, c.Request.URL.Query(), "form"); err != nil {
		abortWithError(c, http.StatusBadRequest, "invalid_query", "a query parameter has the wrong type: "+err.Error(), nil)
		return false
	}
	return true
}

// searchAuthorities finds the competent authority abroad.
func (h *handlers) searchAuthorities(c *gin.Context) {
	var in cases.SearchAuthoritiesInput
	if !h.bindQueryInput(c, &in) {
		return
	}
	h.respond(c, http.StatusOK)(h.cases.SearchAuthorities(c.Request.Context(), h.caller(c), in))
}
