package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// Keys of what authenticate puts in the request's context.
const (
	principalKey = "principal"
	callerKey    = "caller"
)

func bearerToken(c *gin.Context) string {
	scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate resolves the bearer token to the caller, or answers 401.
func (h *handlers) authenticate(c *gin.Context) {
	caller, err := h.cases.Authenticate(c.Request.Context(), bearerToken(c), c.ClientIP())
	if e := cases.AsError(err); e != nil && e.Kind == cases.Unauthenticated {
		if e.Code == cases.CodeInvalidToken {
			c.Header("WWW-Authenticate", `Bearer realm="openimi", error="invalid_token"`)
		} else {
			c.Header("WWW-Authenticate", `Bearer realm="openimi"`)
		}
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Set(principalKey, caller.Principal)
	c.Set(callerKey, caller)
	c.Next()
}

// caller is who calls a use case: the signed-in account on an
// authenticated route, else an anonymous caller; with the client's address
// and, when the caller asked for one, the reader's language.
func (h *handlers) caller(c *gin.Context) cases.Caller {
	cl, ok := c.Value(callerKey).(cases.Caller)
	if !ok {
		cl = cases.Caller{Address: c.ClientIP()}
	}
	if c.Query("lang") != "" || c.GetHeader("Accept-Language") != "" || cl.Language == "" {
		cl.Language = h.language(c)
	}
	return cl
}

func (h *handlers) login(c *gin.Context) {
	var in cases.LoginInput
	if !h.bindJSON(c, &in) {
		return
	}
	out, err := h.cases.Login(c.Request.Context(), h.caller(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) logout(c *gin.Context) {
	if err := h.cases.Logout(c.Request.Context(), h.caller(c)); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *handlers) me(c *gin.Context) {
	out, err := h.cases.Me(c.Request.Context(), h.caller(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
