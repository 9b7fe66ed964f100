package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

func (h *handlers) registerAuthority(c *gin.Context) {
	var in cases.RegisterAuthorityInput
	if !h.bindJSON(c, &in) {
		return
	}
	h.respond(c, http.StatusCreated)(h.cases.RegisterAuthority(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) getAuthority(c *gin.Context) {
	var in cases.GetAuthorityInput
	if !h.bindQueryInput(c, &in) {
		return
	}
	id, ok := pathID(c, "id", "the authority")
	if !ok {
		return
	}
	in.ID = id
	h.respond(c, http.StatusOK)(h.cases.GetAuthority(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) listUsers(c *gin.Context) {
	id, ok := pathID(c, "id", "the authority")
	if !ok {
		return
	}
	h.respond(c, http.StatusOK)(h.cases.ListUsers(c.Request.Context(), h.caller(c), cases.ListUsersInput{AuthorityID: id}))
}

func (h *handlers) createUser(c *gin.Context) {
	var in cases.CreateUserInput
	if !h.bindJSON(c, &in) {
		return
	}
	id, ok := pathID(c, "id", "the authority")
	if !ok {
		return
	}
	in.AuthorityID = id
	h.respond(c, http.StatusCreated)(h.cases.CreateUser(c.Request.Context(), h.caller(c), in))
}

func (h *handlers) updateUser(c *gin.Context) {
	var in cases.UpdateUserInput
	if !h.bindJSON(c, &in) {
		return
	}
	authority, ok := pathID(c, "id", "the authority")
	if !ok {
		return
	}
	user, ok := pathID(c, "user_id", "the user")
	if !ok {
		return
	}
	in.AuthorityID, in.UserID = authority, user
	h.respond(c, http.StatusOK)(h.cases.UpdateUser(c.Request.Context(), h.caller(c), in))
}
