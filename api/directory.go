package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
)

// pathID parses the :name path parameter as a UUID; a malformed one is a
// resource that does not exist.
func pathID(c *gin.Context, name, what string) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		abortWithError(c, http.StatusNotFound, "not_found", what+" does not exist or is not visible to you", nil)
		return uuid.Nil, false
	}
	return id, true
}

// The directory's handlers adapt the use cases of cases/directory.go and
// cases/registrations.go: bind, call, render.

func (h *handlers) createCoordinator(c *gin.Context) {
	var in cases.CreateCoordinatorInput
	if !h.bindJSON(c, &in) {
		return
	}
	h.respond(c, http.StatusCreated)(h.cases.CreateCoordinator(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) invite(c *gin.Context) {
	var in cases.InviteInput
	if !h.bindJSON(c, &in) {
		return
	}
	h.respond(c, http.StatusCreated)(h.cases.Invite(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) register(c *gin.Context) {
	var in cases.RegisterInput
	if !h.bindJSON(c, &in) {
		return
	}
	h.respond(c, http.StatusCreated)(h.cases.Register(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) getRegistration(c *gin.Context) {
	id, ok := pathID(c, "id", "the registration")
	if !ok {
		return
	}
	h.respond(c, http.StatusOK)(h.cases.GetRegistration(c.Request.Context(), h.caller(c), cases.RegistrationInput{ID: id}))
}

func (h *handlers) listRegistrations(c *gin.Context) {
	h.respond(c, http.StatusOK)(h.cases.ListRegistrations(c.Request.Context(), h.caller(c)))
}

func (h *handlers) approveRegistration(c *gin.Context) {
	id, ok := pathID(c, "id", "the registration")
	if !ok {
		return
	}
	h.respond(c, http.StatusOK)(h.cases.ApproveRegistration(c.Request.Context(), h.caller(c), cases.RegistrationInput{ID: id}))
}

func (h *handlers) rejectRegistration(c *gin.Context) {
	var in cases.RejectRegistrationInput
	if !h.bindJSON(c, &in) {
		return
	}
	id, ok := pathID(c, "id", "the registration")
	if !ok {
		return
	}
	in.ID = id
	h.respond(c, http.StatusOK)(h.cases.RejectRegistration(c.Request.Context(), h.caller(c), in))
}

// respond returns what answers a use case's result: status and the result
// as JSON, or the error; it takes the use case's two results as they come.
func (h *handlers) respond(c *gin.Context, status int) func(out any, err error) {
	return func(out any, err error) { h.render(c, status, out, err) }
}
