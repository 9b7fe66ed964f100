package api

// The request's view, its redaction and the party computation are the use
// cases' (cases/requests_views.go); the handlers render what they return.
