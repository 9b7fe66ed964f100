package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/workflows"
)

// requestCaller is the caller of a request use case: the signed-in
// principal, the client's address and the language it reads.
func (h *handlers) requestCaller(c *gin.Context) cases.Caller {
	return cases.Caller{Principal: principal(c), Address: c.ClientIP(), Language: h.language(c)}
}

// render answers a use case's result with status, or its error.
func (h *handlers) render(c *gin.Context, status int, result any, err error) {
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(status, result)
}

// requestRef is the request of the path, with a coordinator's reason.
func requestRef(c *gin.Context) cases.RequestRef {
	return cases.RequestRef{ID: c.Param("id"), Reason: c.Query("reason")}
}

// createDraft starts a request for the caller's authority.
func (h *handlers) createDraft(c *gin.Context) {
	var in cases.DraftInput
	if !h.bindJSON(c, &in) {
		return
	}
	v, err := h.cases.DraftRequest(c.Request.Context(), h.requestCaller(c), in)
	h.render(c, http.StatusCreated, v, err)
}

// updateDraft edits a draft; a sent request is changed only by actions.
func (h *handlers) updateDraft(c *gin.Context) {
	var in cases.DraftInput
	if !h.bindJSON(c, &in) {
		return
	}
	v, err := h.cases.EditDraft(c.Request.Context(), h.requestCaller(c), cases.EditDraftInput{ID: c.Param("id"), DraftInput: in})
	h.render(c, http.StatusOK, v, err)
}

func (h *handlers) deleteDraft(c *gin.Context) {
	if err := h.cases.DeleteDraft(c.Request.Context(), h.requestCaller(c), requestRef(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// sendRequest starts the request's workflow and returns once the request
// shows as sent.
func (h *handlers) sendRequest(c *gin.Context) {
	v, err := h.cases.SendRequest(c.Request.Context(), h.requestCaller(c),
		cases.SendInput{ID: c.Param("id"), IdempotencyKey: c.GetHeader("Idempotency-Key")})
	h.render(c, http.StatusOK, v, err)
}

// requestAction sends an official's action to the request's workflow and
// answers with the request once the action is visible.
func (h *handlers) requestAction(action workflows.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		in := cases.ActionInput{ID: c.Param("id"), Action: action, IdempotencyKey: c.GetHeader("Idempotency-Key")}
		if c.Request.ContentLength != 0 && !h.bindJSON(c, &in.ActionBody) {
			return
		}
		v, err := h.cases.Act(c.Request.Context(), h.requestCaller(c), in)
		h.render(c, http.StatusOK, v, err)
	}
}

func (h *handlers) getRequest(c *gin.Context) {
	v, err := h.cases.Request(c.Request.Context(), h.requestCaller(c), requestRef(c))
	h.render(c, http.StatusOK, v, err)
}
