package systemtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/openimi/openimi/api"
)

// Contract checks what the tests exchange with the API against the OpenAPI
// document it serves (api/openapi.json): a request before it is sent, the
// answer after. The document is the promise back-office systems build on,
// so a test that finds the API and the document disagreeing fails.
type Contract struct {
	doc    *openapi3.T
	router routers.Router
}

// LoadContract parses and resolves the API's document.
func LoadContract() (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIDocument())
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	// The document's one server is "/"; the tests' server has a host and
	// port of its own, so routes are matched on the path alone.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &Contract{doc: doc, router: router}, nil
}

// Document is the parsed document, for suites that walk its operations.
func (c *Contract) Document() *openapi3.T { return c.doc }

// Exchange is one call checked against the document.
type Exchange struct {
	route *routers.Route
	input *openapi3filter.RequestValidationInput
	// RequestErr says how the request breaks the document, or is nil.
	RequestErr error
}

// Operation is the documented operation the request matched, or nil.
func (e *Exchange) Operation() *openapi3.Operation {
	if e.route == nil {
		return nil
	}
	return e.route.Operation
}

// CheckRequest validates req, whose body is body, against the document. req
// itself is not consumed: validation reads a copy.
func (c *Contract) CheckRequest(ctx context.Context, req *http.Request, body []byte) *Exchange {
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(body))
	probe.ContentLength = int64(len(body))
	route, params, err := c.router.FindRoute(probe)
	if err != nil {
		return &Exchange{RequestErr: fmt.Errorf("%s %s is no documented operation: %w", req.Method, req.URL.Path, err)}
	}
	input := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: bearerPresent,
			// The document's defaults are the server's business, not the
			// request's.
			SkipSettingDefaults:               true,
			RejectWhenRequestBodyNotSpecified: true,
		},
	}
	ex := &Exchange{route: route, input: input}
	ex.RequestErr = openapi3filter.ValidateRequest(ctx, input)
	return ex
}

// CheckResponse validates an answer against the document: its status must
// be documented for the operation, its headers and body must match.
func (c *Contract) CheckResponse(ctx context.Context, ex *Exchange, status int, header http.Header, body []byte) error {
	if ex.route == nil {
		return nil // an undocumented path: nothing to check the answer against
	}
	opts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	if !textual(header.Get("Content-Type")) {
		// Attachments are files of their own type, which no schema
		// describes; their media type must still be a documented one.
		opts.ExcludeResponseBody = true
		if resp := ex.route.Operation.Responses.Status(status); resp != nil && resp.Value != nil && len(resp.Value.Content) > 0 {
			if resp.Value.Content.Get(header.Get("Content-Type")) == nil {
				return fmt.Errorf("response %d has Content-Type %q, which the document does not list", status, header.Get("Content-Type"))
			}
		}
	}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: ex.input,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	})
	if err != nil {
		return fmt.Errorf("response %d breaks the document: %w", status, err)
	}
	return nil
}

// textual tells whether a body of this media type has a schema to check.
func textual(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return true
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "text/")
}

// bearerPresent is the document's bearer scheme as far as a request's
// shape goes: whether the token is valid is the server's to say.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("security scheme %q is unknown to the tests", in.SecuritySchemeName)
	}
	auth := in.RequestValidationInput.Request.Header.Get("Authorization")
	if len(auth) < len("Bearer x") || !strings.EqualFold(auth[:len("Bearer ")], "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}
