package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/openimi/openimi/cases"
)

// Paging bounds: deep pages are refused rather than scanned.
const (
	defaultPageSize = 20
	maxSearchDepth  = 10_000
)

// paging applies the defaults to a page and a page size given in a query,
// and refuses a page deeper than the lists go, answering 422.
func paging(c *gin.Context, page, size *int, defaultSize int) (int, int, bool) {
	p, n := 1, defaultSize
	if page != nil {
		p = *page
	}
	if size != nil {
		n = *size
	}
	if p*n > maxSearchDepth {
		fieldErrors(c, []FieldError{{Field: "page", Rule: "max_depth", Param: itoa(maxSearchDepth) + " results"}})
		return 0, 0, false
	}
	return p, n, true
}

// bindQuery decodes and validates query parameters like bindJSON does the
// body: 400 for a value of the wrong type, 422 for one that breaks a rule.
func (h *handlers) bindQuery(c *gin.Context, dst any) bool {
	if err := binding.MapFormWithTag(dst, c.Request.URL.Query(), "form"); err != nil {
		abortWithError(c, http.StatusBadRequest, "invalid_query", "a query parameter has the wrong type: "+err.Error(), nil)
		return false
	}
	return h.checkStruct(c, dst)
}

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
