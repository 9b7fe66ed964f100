package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"
)

// FieldError names one field that failed validation, in the JSON's own
// spelling.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Param string `json:"param,omitempty"`
}

// newValidator checks the `binding` tags Gin users know, but as an instance
// of our own: Gin's is package state, and its errors name Go fields where
// callers need the JSON names they sent.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.SetTagName("binding")
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	return v
}

// bindJSON decodes and validates the body into dst; on failure it answers
// 400 (not JSON, unknown field) or 422 (a field breaks a rule) and returns
// false, before anything is written. Unlike ShouldBindJSON it refuses
// unknown fields without touching Gin's package-wide switch.
func (h *handlers) bindJSON(c *gin.Context, dst any) bool {
	dec := json.NewDecoder(c.Request.Body)
	// A misspelt field must not be silently ignored: the caller would think
	// it was applied.
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
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
	if dec.More() {
		abortWithError(c, http.StatusBadRequest, "invalid_json", "the body holds more than one JSON value", nil)
		return false
	}
	return h.checkStruct(c, dst)
}

// checkStruct validates a decoded request against its `binding` tags,
// answering 422 with every failing field.
func (h *handlers) checkStruct(c *gin.Context, dst any) bool {
	if err := h.validate.Struct(dst); err != nil {
		var verrs validator.ValidationErrors
		if errors.As(err, &verrs) {
			fields := make([]FieldError, 0, len(verrs))
			names := make([]string, 0, len(verrs))
			for _, fe := range verrs {
				name := jsonPath(fe)
				fields = append(fields, FieldError{Field: name, Rule: fe.Tag(), Param: fe.Param()})
				names = append(names, name)
			}
			abortWithError(c, http.StatusUnprocessableEntity, "validation_failed",
				"these fields are missing or invalid: "+strings.Join(names, ", "), fields)
			return false
		}
		abortWithError(c, http.StatusBadRequest, "invalid_body", err.Error(), nil)
		return false
	}
	return true
}

// jsonPath turns the validator's struct namespace into the JSON field path
// the caller sent, e.g. "loginRequest.Email" into "email".
func jsonPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		ns = ns[i+1:]
	}
	return ns
}
