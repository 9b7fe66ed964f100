package systemtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// The contract checker is what makes every end-to-end test a test of the
// document too: it must tell a call that keeps to the document from one
// that breaks it, both ways.
func TestContract_TellsRequestsAndAnswersThatBreakTheDocument(t *testing.T) {
	c, err := LoadContract()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	request := func(method, path, token, body string) *Exchange {
		t.Helper()
		req, err := http.NewRequest(method, "http://127.0.0.1:1"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		var data []byte
		if body != "" {
			data = []byte(body)
		}
		return c.CheckRequest(ctx, req, data)
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}

	for _, tc := range []struct {
		name                string
		method, path, token string
		body                string
		breaks              bool
	}{
		{"a login as documented", http.MethodPost, "/api/v1/auth/login", "", `{"email":"a@b.test","password":"pw"}`, false},
		{"a login without its password", http.MethodPost, "/api/v1/auth/login", "", `{"email":"a@b.test"}`, true},
		{"a message whose text is a number", http.MethodPost, "/api/v1/requests/6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e01/message", "tok", `{"text":5}`, true},
		{"a message without a token", http.MethodPost, "/api/v1/requests/6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e01/message", "", `{"text":"hi","text_lang":"en"}`, true},
		{"a message as documented", http.MethodPost, "/api/v1/requests/6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e01/message", "tok", `{"text":"hi","text_lang":"en"}`, false},
		{"a route the document lacks", http.MethodGet, "/api/v1/nothing-here", "tok", "", true},
		{"a body where none is taken", http.MethodGet, "/healthz", "", `{"a":1}`, true},
	} {
		if got := request(tc.method, tc.path, tc.token, tc.body).RequestErr != nil; got != tc.breaks {
			t.Errorf("%s: breaks the document %v, want %v", tc.name, got, tc.breaks)
		}
	}

	health := request(http.MethodGet, "/healthz", "", "")
	for _, tc := range []struct {
		name   string
		status int
		body   string
		breaks bool
	}{
		{"the documented answer", http.StatusOK, `{"status":"up"}`, false},
		{"a value outside the enum", http.StatusOK, `{"status":"sideways"}`, true},
		{"a required field missing", http.StatusOK, `{}`, true},
		{"a status the document does not list", http.StatusTeapot, `{"status":"up"}`, true},
		{"a 500", http.StatusInternalServerError, `{"error":{"code":"internal","message":"x"}}`, true},
	} {
		err := c.CheckResponse(ctx, health, tc.status, json, []byte(tc.body))
		if got := err != nil; got != tc.breaks {
			t.Errorf("%s: breaks the document %v (%v), want %v", tc.name, got, err, tc.breaks)
		}
	}
	if err := c.CheckResponse(ctx, request(http.MethodGet, "/healthz", "", ""), http.StatusOK,
		http.Header{"Content-Type": {"application/zip"}}, []byte("PK")); err == nil || !strings.Contains(err.Error(), "Content-Type") {
		t.Errorf("an answer of an undocumented media type passes: %v", err)
	}
}
