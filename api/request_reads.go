package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/workflows"
)

// requestTimeline lists every event of a request: who, when, what.
func (h *handlers) requestTimeline(c *gin.Context) {
	v, err := h.cases.Timeline(c.Request.Context(), h.caller(c), requestRef(c))
	h.render(c, http.StatusOK, v, err)
}

// assignees lists whom the caller may assign the request to.
func (h *handlers) assignees(c *gin.Context) {
	v, err := h.cases.Assignees(c.Request.Context(), h.caller(c), requestRef(c))
	h.render(c, http.StatusOK, v, err)
}

// accessLog shows who read the request's personal data, when and why.
func (h *handlers) accessLog(c *gin.Context) {
	v, err := h.cases.AccessLog(c.Request.Context(), h.caller(c), requestRef(c))
	h.render(c, http.StatusOK, v, err)
}

// bindCaseQuery maps the query string into a use case's input, answering
// 400 for a value of the wrong type; the use case validates the rest, so
// that its errors name the parameters as the caller spelt them.
func bindCaseQuery(c *gin.Context, dst any) bool {
	if err := binding.MapFormWithTag(dst, c.Request.URL.Query(), "form"); err != nil {
		abortWithError(c, http.StatusBadRequest, "invalid_query", "a query parameter has the wrong type: "+err.Error(), nil)
		return false
	}
	return true
}

// listRequests pages through the caller's authority's incoming or outgoing
// requests, from the read model.
func (h *handlers) listRequests(c *gin.Context) {
	var q cases.RequestListInput
	if !bindCaseQuery(c, &q) {
		return
	}
	v, err := h.cases.Requests(c.Request.Context(), h.caller(c), q)
	h.render(c, http.StatusOK, v, err)
}

// registerRequestRoutes wires the information requests.
func (h *handlers) registerRequestRoutes(g *gin.RouterGroup) {
	g.GET("/requests", h.listRequests)
	g.POST("/requests", h.createDraft)
	g.GET("/requests/:id", h.getRequest)
	g.PATCH("/requests/:id", h.updateDraft)
	g.DELETE("/requests/:id", h.deleteDraft)
	g.POST("/requests/:id/send", h.sendRequest)
	for _, a := range workflows.Actions() {
		g.POST("/requests/:id/"+string(a), h.requestAction(a))
	}
	g.GET("/requests/:id/timeline", h.requestTimeline)
	g.GET("/requests/:id/attachments", h.listAttachments)
	g.POST("/requests/:id/attachments", h.addAttachment)
	g.GET("/requests/:id/attachments/:attachment_id", h.downloadAttachment)
	g.GET("/requests/:id/access-log", h.accessLog)
	g.GET("/requests/:id/assignees", h.assignees)
	g.GET("/requests/:id/audit-export", h.auditExport)
	for _, iv := range cases.Interventions() {
		g.POST("/requests/:id/coordination/"+iv.Path, h.intervene(iv.Action))
	}
	g.GET("/coordination/requests", h.coordinationDesk)
	g.GET("/stats", h.stats)
}
