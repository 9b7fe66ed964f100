// Package systemtest runs the whole of OpenIMI inside a test, as the binary
// runs it: the API behind a real HTTP server, the worker polling a real
// Temporal server, a fresh PostgreSQL database, mail to a real SMTP sink.
// End-to-end tests drive it over HTTP like officials would.
package systemtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/config"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system"
	"github.com/openimi/openimi/system/testenv"
)

// Options shape the system under test.
type Options struct {
	// Day is OPENIMI_DAY: short, so that deadlines pass during the test.
	Day time.Duration
	// DevMailbox serves the dev mailbox page over the test's mail sink, as
	// `openimi dev` does.
	DevMailbox bool
}

// System is a running OpenIMI.
type System struct {
	URL   string
	App   *system.System
	Store *models.Store
	Mail  testenv.Mail
	Day   time.Duration
	// HelpdeskEmail and HelpdeskPassword sign in the bootstrap account.
	HelpdeskEmail    string
	HelpdeskPassword string
	// Contract checks every call made through Do, DoWithHeader and Send
	// against the OpenAPI document.
	Contract *Contract
}

// Start runs a system for the test and stops it when the test ends.
func Start(t *testing.T, opts Options) *System {
	t.Helper()
	if opts.Day == 0 {
		opts.Day = 24 * time.Hour
	}
	mail := testenv.Mailpit(t)
	suffix := strings.ToLower(rand.Text()[:10])
	cfg, err := config.Load([]string{
		"DATABASE_URL=" + testenv.DatabaseURL(t),
		"TEMPORAL_ADDRESS=" + testenv.TemporalAddress(t),
		"TEMPORAL_TASK_QUEUE=test-" + suffix,
		"SMTP_URL=" + mail.SMTPURL,
		"PUBLIC_URL=https://openimi.test",
		"OPENIMI_DAY=" + opts.Day.String(),
		"OPENIMI_BOOTSTRAP_EMAIL=helpdesk-" + suffix + "@openimi.test",
		"OPENIMI_BOOTSTRAP_PASSWORD=helpdesk-password-" + suffix,
	})
	if err != nil {
		t.Fatalf("testsystem: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := testenv.Logger(t)
	sys, err := system.Open(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("testsystem: %v", err)
	}
	if err := system.BootstrapHelpdesk(ctx, cfg, sys.Store, log); err != nil {
		t.Fatalf("testsystem: %v", err)
	}
	contract, err := LoadContract()
	if err != nil {
		t.Fatalf("testsystem: %v", err)
	}
	if opts.DevMailbox {
		sys.DevMailAPI = mail.APIURL
	}
	router, err := sys.Router()
	if err != nil {
		t.Fatalf("testsystem: %v", err)
	}
	srv := httptest.NewServer(router)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := sys.RunWorker(ctx); err != nil {
			t.Errorf("testsystem: worker: %v", err)
		}
	})
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		sys.Close()
	})
	return &System{
		URL: srv.URL, App: sys, Store: sys.Store, Mail: mail, Day: opts.Day,
		HelpdeskEmail: cfg.BootstrapEmail, HelpdeskPassword: cfg.BootstrapPassword,
		Contract: contract,
	}
}

// Response is an answer of the API.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// OffContract says how the request broke the OpenAPI document, or is
	// nil when it kept to it. The API must refuse such a request with a
	// 4xx; Send fails the test otherwise.
	OffContract error
	// Err is set, and Status 0, when the request's own context ended
	// before the answer came: the call hung.
	Err error
}

// JSON decodes the body into v, failing the test if it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d %q is not the JSON expected: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode is the code of an error answer, or "".
func (r Response) ErrorCode() string {
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &body)
	return body.Error.Code
}

// Do calls the API. body is sent as JSON unless it is a string or []byte,
// which are sent as they are; token, when set, as a bearer token.
func (s *System) Do(t testing.TB, method, path, token string, body any) Response {
	t.Helper()
	return s.DoWithHeader(t, method, path, token, body, "", "")
}

// DoWithHeader is Do with one more request header.
func (s *System) DoWithHeader(t testing.TB, method, path, token string, body any, header, value string) Response {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if header != "" {
		req.Header.Set(header, value)
	}
	return s.Send(t, req, data)
}

// Send sends req with body (nil for none) and checks both against the
// OpenAPI document: a request that breaks it must be refused with a 4xx,
// and every answer must be one the document describes. A mismatch fails
// the test; the answer is returned either way.
func (s *System) Send(t testing.TB, req *http.Request, body []byte) Response {
	t.Helper()
	return s.SendWithin(t, req, body, 0)
}

// SendWithin is Send with a bound on the exchange with the server (not on
// the checks): an answer that does not come within it is returned as
// Response.Err, for suites that look for calls that hang. 0 is no bound.
func (s *System) SendWithin(t testing.TB, req *http.Request, body []byte, within time.Duration) Response {
	t.Helper()
	ex := s.Contract.CheckRequest(req.Context(), req, body)
	if within > 0 {
		bounded, cancel := context.WithTimeout(req.Context(), within)
		defer cancel()
		req = req.WithContext(bounded)
	}
	ctx := req.Context()
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The caller's deadline: it asked to hear of a call that hangs.
			return Response{Err: err, OffContract: ex.RequestErr}
		}
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return Response{Err: err, OffContract: ex.RequestErr}
		}
		t.Fatal(err)
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: data, OffContract: ex.RequestErr}
	uri := req.URL.RequestURI()
	if len(uri) > 200 {
		uri = uri[:200] + "…"
	}
	if ex.RequestErr != nil && (out.Status < 400 || out.Status > 499) {
		t.Errorf("contract: %s %s breaks the OpenAPI document, yet the API answered %d %.300s\n%.2000v",
			req.Method, uri, out.Status, data, ex.RequestErr)
	}
	if err := s.Contract.CheckResponse(ctx, ex, out.Status, out.Header, data); err != nil {
		t.Errorf("contract: %s %s: %.2000v\nbody: %.500s", req.Method, uri, err, data)
	}
	return out
}

// Login signs in and returns the bearer token, failing the test otherwise.
func (s *System) Login(t testing.TB, email, pw string) string {
	t.Helper()
	resp := s.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": pw})
	if resp.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	resp.JSON(t, &out)
	return out.Token
}

// HelpdeskToken signs in the bootstrap helpdesk account.
func (s *System) HelpdeskToken(t testing.TB) string {
	t.Helper()
	return s.Login(t, s.HelpdeskEmail, s.HelpdeskPassword)
}

// ActivePassword is the password tests give the accounts they activate.
const ActivePassword = "correct horse battery staple"
