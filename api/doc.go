// Package api is OpenIMI's HTTP interface: the Gin router, its middleware
// (request id, logging, metrics, limits, errors) and the handlers that turn
// an official's call into a query or a workflow update. Its contract is the
// OpenAPI document served at /api/v1/openapi.json.
package api
