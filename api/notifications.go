package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

func (h *handlers) failedNotifications(c *gin.Context) {
	var in cases.FailedNotificationsInput
	if !h.bindQueryInput(c, &in) {
		return
	}
	h.respond(c, http.StatusOK)(h.cases.FailedNotifications(c.Request.Context(), h.caller(c), in))
}
