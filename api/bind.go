package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// bindJSON decodes the body into dst; on failure it answers 400 (not JSON,
// not an object, unknown field) or 413 and returns false, before anything
// is written. The use case validates what it was given: the rules of
// input live there once, for the API and the pages alike. Unlike
// ShouldBindJSON it refuses unknown fields without touching Gin's
// package-wide switch.
func (h *handlers) bindJSON(c *gin.Context, dst any) bool {
	var raw json.RawMessage
	outer := json.NewDecoder(c.Request.Body)
	err := outer.Decode(&raw)
	if err == nil && outer.More() {
		abortWithError(c, http.StatusBadRequest, "invalid_json", "the body holds more than one JSON value", nil)
		return false
	}
	if err == nil && (len(raw) == 0 || raw[0] != '{') {
		// null would bind as "no change" and an array or a string as
		// nothing at all: the caller meant something else.
		abortWithError(c, http.StatusBadRequest, "invalid_json", "the body must be a JSON object", nil)
		return false
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		// A misspelt field must not be silently ignored: the caller would
		// think it was applied.
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
	}
	if err != nil {
		msg := "the body is not valid JSON: " + err.Error()
		var maxErr *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			msg = "the body is empty; a JSON object is expected"
		case errors.As(err, &maxErr):
			abortWithError(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is too large", nil)
			return false
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			msg = "the body has a field this endpoint does not take: " + strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		abortWithError(c, http.StatusBadRequest, "invalid_json", msg, nil)
		return false
	}
	return true
}
