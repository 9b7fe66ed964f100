package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// ErrorBody is the one shape of every 4xx and 5xx response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: Code for programs, Message for people,
// Details for the fields or checks concerned.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// abortWithError ends the request with the error shape.
func abortWithError(c *gin.Context, status int, code, message string, details any) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Details: details}})
}

func notFound(c *gin.Context) {
	abortWithError(c, http.StatusNotFound, "not_found", "no such resource: "+c.Request.Method+" "+c.Request.URL.Path, nil)
}

func methodNotAllowed(c *gin.Context) {
	abortWithError(c, http.StatusMethodNotAllowed, "method_not_allowed",
		c.Request.Method+" is not allowed on "+c.Request.URL.Path, gin.H{"allow": c.Writer.Header().Get("Allow")})
}

// recovered turns a panic into a 500 in the error shape; the stack goes to
// the log, never to the caller.
func recovered(c *gin.Context, _ any) {
	abortWithError(c, http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request id to the helpdesk",
		gin.H{"request_id": requestIDOf(c)})
}

// fail answers a use case's error: its kind's status and the error shape
// for a *cases.Error, a logged 500 for anything else.
func (h *handlers) fail(c *gin.Context, err error) {
	e := cases.AsError(err)
	if e == nil {
		h.internalError(c, err)
		return
	}
	status := e.Kind.HTTPStatus()
	if status == http.StatusInternalServerError {
		h.internalError(c, err)
		return
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	var details any = e.Details
	if e.Kind == cases.Invalid && len(e.Fields) > 0 {
		details = e.Fields
	}
	abortWithError(c, status, e.Code, e.Message, details)
}
