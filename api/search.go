package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/openimi/openimi/models"
)

// Paging bounds: deep pages are refused rather than scanned.
const (
	defaultPageSize = 20
	maxPageSize     = 100
	maxSearchDepth  = 10_000
)

type searchQuery struct {
	Q          string `form:"q" binding:"max=200"`
	Country    string `form:"country" binding:"omitempty,len=2,uppercase"`
	Area       string `form:"area" binding:"max=60"`
	Competence string `form:"competence" binding:"max=80"`
	Level      string `form:"level" binding:"omitempty,oneof=national regional local"`
	Region     string `form:"region" binding:"max=100"`
	Lang       string `form:"lang" binding:"omitempty,len=2,lowercase"`
	Page       *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize   *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
}

type searchResult struct {
	Items    []authorityView `json:"items"`
	Page     int             `json:"page"`
	PageSize int             `json:"page_size"`
	Total    int64           `json:"total"`
	Lang     string          `json:"lang"`
}

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

// searchAuthorities finds the competent authority abroad: words in any
// language, filters, ranked and paged, shown in the caller's language.
func (h *handlers) searchAuthorities(c *gin.Context) {
	var q searchQuery
	if !h.bindQuery(c, &q) {
		return
	}
	page, pageSize, ok := paging(c, q.Page, q.PageSize, defaultPageSize)
	if !ok {
		return
	}
	var errs []FieldError
	if q.Country != "" && !h.ref.HasCountry(q.Country) {
		errs = append(errs, FieldError{Field: "country", Rule: "known_country", Param: q.Country})
	}
	if q.Area != "" && !h.ref.HasArea(q.Area) {
		errs = append(errs, FieldError{Field: "area", Rule: "known_area", Param: q.Area})
	}
	if q.Competence != "" && q.Area != "" && h.ref.HasArea(q.Area) && !h.ref.HasCompetence(q.Area, q.Competence) {
		errs = append(errs, FieldError{Field: "competence", Rule: "known_competence", Param: q.Competence})
	}
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	found, total, err := h.store.SearchAuthorities(c.Request.Context(), models.AuthoritySearch{
		Words: q.Q, Country: q.Country, Area: q.Area, Competence: q.Competence,
		Level: models.Level(q.Level), Region: q.Region, Page: page, PageSize: pageSize,
	})
	if err != nil {
		h.internalError(c, err)
		return
	}
	lang := h.language(c)
	out := searchResult{Items: make([]authorityView, 0, len(found)), Page: page, PageSize: pageSize, Total: total, Lang: lang}
	for _, a := range found {
		out.Items = append(out.Items, authorityViewOf(a, lang))
	}
	c.JSON(http.StatusOK, out)
}
