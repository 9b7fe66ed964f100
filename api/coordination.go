package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/workflows"
)

// coordinationDesk lists what waits for the caller as a coordinator.
func (h *handlers) coordinationDesk(c *gin.Context) {
	var q cases.DeskInput
	if !bindCaseQuery(c, &q) {
		return
	}
	v, err := h.cases.Desk(c.Request.Context(), h.requestCaller(c), q)
	h.render(c, http.StatusOK, v, err)
}

// intervene sends a coordinator's intervention to the request's workflow
// and answers with the request as the coordinator sees it.
func (h *handlers) intervene(action workflows.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		in := cases.InterventionInput{ID: c.Param("id"), Action: action, IdempotencyKey: c.GetHeader("Idempotency-Key")}
		if !h.bindJSON(c, &in.InterventionBody) {
			return
		}
		v, err := h.cases.Intervene(c.Request.Context(), h.requestCaller(c), in)
		h.render(c, http.StatusOK, v, err)
	}
}
